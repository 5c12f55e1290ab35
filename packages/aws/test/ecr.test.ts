import { describe, expect, test } from '@jest/globals';
import { recordingLogger } from '@tripo04os/common';
import {
  DEFAULT_LIFECYCLE_POLICY,
  decodeAuthorizationToken,
  type EcrSender,
  ensureRepository,
  findingsOf,
  getEcrLogin,
  listImageTags,
  waitForScanFindings,
} from '../src/ecr.ts';

// A scripted ECR: answers each SDK command (by its class name) from a queue and records the
// inputs, so the control flow (statuses, pages, races) can be driven step by step. The wire
// format against a real endpoint is covered by the docker-build end-to-end tests (sandbox).
type Answer = unknown | ((input: Record<string, unknown>) => unknown);
function scripted(script: Record<string, Answer[]>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const sender: EcrSender = {
    async send(command: unknown) {
      const c = command as { constructor: { name: string }; input: Record<string, unknown> };
      const name = c.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: c.input });
      const queue = script[name];
      if (!queue || queue.length === 0) throw new Error(`unexpected ${name}`);
      const next = queue.length > 1 ? queue.shift() : queue[0];
      const value = typeof next === 'function' ? (next as (i: Record<string, unknown>) => unknown)(c.input) : next;
      if (value instanceof Error) throw value;
      return value;
    },
  };
  return { sender, calls };
}
const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const DIGEST = `sha256:${'d'.repeat(64)}`;

describe('getEcrLogin', () => {
  test('decodes the token, strips the scheme and masks the password and token', async () => {
    const token = Buffer.from('AWS:s3cr3t-pass:with-colon').toString('base64');
    const { sender } = scripted({
      GetAuthorizationToken: [{ authorizationData: [{ authorizationToken: token, proxyEndpoint: 'http://127.0.0.1:5001' }] }],
    });
    const logger = recordingLogger();
    const login = await getEcrLogin(sender, logger);
    expect(login).toMatchObject({
      registry: '127.0.0.1:5001',
      username: 'AWS',
      password: 's3cr3t-pass:with-colon',
      proxyEndpoint: 'http://127.0.0.1:5001',
    });
    expect(logger.masked).toEqual([token, 's3cr3t-pass:with-colon']);
  });
  test('a token that is not user:password', () => {
    expect(() => decodeAuthorizationToken(Buffer.from('nocolon').toString('base64'))).toThrow('not base64 of user:password');
  });
  test('missing credentials give a hint', async () => {
    const { sender } = scripted({
      GetAuthorizationToken: [awsError('CredentialsProviderError', 'Could not load credentials from any providers')],
    });
    await expect(getEcrLogin(sender, recordingLogger())).rejects.toThrow(
      'ECR GetAuthorizationToken failed: CredentialsProviderError: Could not load credentials from any providers (no AWS credentials',
    );
  });
});

describe('ensureRepository', () => {
  test('an existing repository is used as it is', async () => {
    const { sender, calls } = scripted({
      DescribeRepositories: [
        { repositories: [{ repositoryUri: 'r:1/app', registryId: '1', imageScanningConfiguration: { scanOnPush: false } }] },
      ],
    });
    expect(await ensureRepository(sender, 'app', { logger: recordingLogger() })).toEqual({
      name: 'app',
      uri: 'r:1/app',
      registryId: '1',
      created: false,
      scanOnPush: false,
    });
    expect(calls.map((c) => c.command)).toEqual(['DescribeRepositories']);
  });
  test('a missing repository is created with scan on push, the mutability and the default lifecycle policy', async () => {
    const { sender, calls } = scripted({
      DescribeRepositories: [awsError('RepositoryNotFoundException')],
      CreateRepository: [{ repository: { repositoryUri: 'r:1/app', registryId: '1' } }],
      PutLifecyclePolicy: [{}],
    });
    const repo = await ensureRepository(sender, 'app', { tagMutability: 'IMMUTABLE', logger: recordingLogger() });
    expect(repo).toMatchObject({ uri: 'r:1/app', created: true });
    expect(calls[1]).toEqual({
      command: 'CreateRepository',
      input: { repositoryName: 'app', imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } },
    });
    expect(calls[2]).toEqual({
      command: 'PutLifecyclePolicy',
      input: { repositoryName: 'app', lifecyclePolicyText: DEFAULT_LIFECYCLE_POLICY },
    });
    const rule = JSON.parse(DEFAULT_LIFECYCLE_POLICY).rules[0];
    expect(rule.selection).toMatchObject({ tagStatus: 'untagged', countType: 'sinceImagePushed' });
  });
  test('an empty lifecycle policy sets none', async () => {
    const { sender, calls } = scripted({
      DescribeRepositories: [awsError('RepositoryNotFoundException')],
      CreateRepository: [{ repository: { repositoryUri: 'r:1/app' } }],
    });
    await ensureRepository(sender, 'app', { lifecyclePolicy: '', logger: recordingLogger() });
    expect(calls.map((c) => c.command)).toEqual(['DescribeRepositories', 'CreateRepository']);
  });
  test('create-repository false', async () => {
    const { sender } = scripted({ DescribeRepositories: [awsError('RepositoryNotFoundException')] });
    await expect(ensureRepository(sender, 'app', { create: false, logger: recordingLogger() })).rejects.toThrow(
      "ECR repository 'app' does not exist; create it or set create-repository: true",
    );
  });
  test('a repository created by a parallel job meanwhile', async () => {
    const { sender } = scripted({
      DescribeRepositories: [awsError('RepositoryNotFoundException'), { repositories: [{ repositoryUri: 'r:1/app' }] }],
      CreateRepository: [awsError('RepositoryAlreadyExistsException')],
    });
    expect(await ensureRepository(sender, 'app', { logger: recordingLogger() })).toMatchObject({ uri: 'r:1/app', created: false });
  });
});

describe('listImageTags', () => {
  test('all pages', async () => {
    const { sender, calls } = scripted({
      DescribeImages: [
        { imageDetails: [{ imageTags: ['1.0.0', 'latest'] }, {}], nextToken: 't2' },
        { imageDetails: [{ imageTags: ['2.0.0'] }] },
      ],
    });
    expect(await listImageTags(sender, 'app')).toEqual(['1.0.0', 'latest', '2.0.0']);
    expect(calls[1]?.input.nextToken).toBe('t2');
  });
  test('no repository, no tags', async () => {
    const { sender } = scripted({ DescribeImages: [awsError('RepositoryNotFoundException')] });
    expect(await listImageTags(sender, 'app')).toEqual([]);
  });
});

describe('waitForScanFindings', () => {
  const fast = { pollMs: 5, maxPollMs: 10, logger: recordingLogger() };
  const status = (s: string, extra: object = {}) => ({ imageScanStatus: { status: s }, ...extra });

  test('PENDING and IN_PROGRESS wait; COMPLETE gives every page of findings', async () => {
    const { sender, calls } = scripted({
      DescribeImageScanFindings: [
        status('PENDING'),
        status('IN_PROGRESS'),
        status('COMPLETE', { imageScanFindings: { findings: [{ name: 'CVE-1', severity: 'CRITICAL', uri: 'u1' }] }, nextToken: 'p2' }),
        status('COMPLETE', { imageScanFindings: { findings: [{ name: 'CVE-2', severity: 'LOW' }] } }),
      ],
    });
    const r = await waitForScanFindings(sender, 'app', DIGEST, { ...fast, timeoutMs: 5000 });
    expect(r).toEqual({
      status: 'COMPLETE',
      polls: 2,
      findings: [
        { id: 'CVE-1', severity: 'CRITICAL', uri: 'u1' },
        { id: 'CVE-2', severity: 'LOW' },
      ],
    });
    expect(calls[0]?.input).toMatchObject({ repositoryName: 'app', imageId: { imageDigest: DIGEST } });
    expect(calls[3]?.input.nextToken).toBe('p2');
  });

  test('ACTIVE (enhanced scanning) findings, unfixed ones dropped on request', async () => {
    const enhanced = {
      imageScanFindings: {
        enhancedFindings: [
          {
            severity: 'HIGH',
            fixAvailable: 'YES',
            packageVulnerabilityDetails: {
              vulnerabilityId: 'CVE-9',
              vulnerablePackages: [{ name: 'openssl', version: '3.0.1', fixedInVersion: '3.0.2' }],
            },
          },
          { severity: 'CRITICAL', fixAvailable: 'NO', packageVulnerabilityDetails: { vulnerabilityId: 'CVE-10' } },
        ],
      },
    };
    const { sender } = scripted({ DescribeImageScanFindings: [status('ACTIVE', enhanced)] });
    const r = await waitForScanFindings(sender, 'app', DIGEST, { ...fast, timeoutMs: 5000, ignoreUnfixed: true });
    expect(r.findings).toEqual([{ id: 'CVE-9', severity: 'HIGH', package: 'openssl', installedVersion: '3.0.1', fixedVersion: '3.0.2' }]);
    expect(findingsOf(enhanced as never, false)).toHaveLength(2);
  });

  test('FAILED fails with the description', async () => {
    const { sender } = scripted({
      DescribeImageScanFindings: [{ imageScanStatus: { status: 'FAILED', description: 'unsupported layer' } }],
    });
    await expect(waitForScanFindings(sender, 'app', DIGEST, { ...fast, timeoutMs: 5000 })).rejects.toThrow(
      `ECR scan of app@${DIGEST} failed: unsupported layer`,
    );
  });

  test('UNSUPPORTED_IMAGE returns without findings', async () => {
    const { sender } = scripted({
      DescribeImageScanFindings: [{ imageScanStatus: { status: 'UNSUPPORTED_IMAGE', description: 'scratch image' } }],
    });
    expect(await waitForScanFindings(sender, 'app', DIGEST, { ...fast, timeoutMs: 5000 })).toEqual({
      status: 'UNSUPPORTED_IMAGE',
      description: 'scratch image',
      findings: [],
      polls: 0,
    });
  });

  test('a scan that never started is started once', async () => {
    const { sender, calls } = scripted({
      DescribeImageScanFindings: [awsError('ScanNotFoundException'), awsError('ScanNotFoundException'), status('COMPLETE')],
      StartImageScan: [{}],
    });
    await waitForScanFindings(sender, 'app', DIGEST, { ...fast, timeoutMs: 5000 });
    expect(calls.map((c) => c.command)).toEqual([
      'DescribeImageScanFindings',
      'StartImageScan',
      'DescribeImageScanFindings',
      'DescribeImageScanFindings',
    ]);
  });

  test('scan-timeout', async () => {
    const { sender } = scripted({ DescribeImageScanFindings: [status('IN_PROGRESS')] });
    await expect(waitForScanFindings(sender, 'app', DIGEST, { ...fast, timeoutMs: 200 })).rejects.toThrow(
      `ECR scan of app@${DIGEST} did not finish within 200ms (last status IN_PROGRESS); raise scan-timeout`,
    );
  });
});
