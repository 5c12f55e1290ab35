/**
 * ECR against the sandbox's AWS endpoint (JSON 1.1 over SigV4, the SDK pointed at it with
 * AWS_ENDPOINT_URL_ECR as a job would be): token, repository creation with its settings, tags
 * of pushed images, and the scan findings wait over seeded statuses.
 */

import type { ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { recordingLogger } from '@tripo04os/common';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';
import {
  createEcrClient,
  describeRepository,
  ensureRepository,
  getEcrLogin,
  getLifecyclePolicy,
  listImageTags,
  waitForScanFindings,
} from '../src/ecr.ts';

let client: ECRClient;
const saved: Record<string, string | undefined> = {};
const suffix = Date.now().toString(36);

beforeAll(async () => {
  const env = sandboxEnv();
  // The SDK's default chain and endpoint settings, exactly what configure-aws-credentials leaves behind.
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_ECR'] as const) {
    saved[k] = process.env[k];
    process.env[k] = env[k];
  }
  client = await createEcrClient(env.AWS_REGION);
});
afterAll(() => {
  client?.destroy();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('ECR through the sandbox endpoint', () => {
  test('the token hands out the registry credentials, masked', async () => {
    const env = sandboxEnv();
    const logger = recordingLogger();
    const login = await getEcrLogin(client, logger);
    expect(login.registry).toBe(env.SANDBOX_REGISTRY);
    expect(login.password).toBe(env.SANDBOX_REGISTRY_PASSWORD);
    expect(logger.masked).toContain(env.SANDBOX_REGISTRY_PASSWORD);
  });

  test('a missing repository is created once, IMMUTABLE as asked, then found', async () => {
    const name = `ecr-test-${suffix}`;
    expect(await describeRepository(client, name)).toBeUndefined();
    const created = await ensureRepository(client, name, { tagMutability: 'IMMUTABLE', logger: recordingLogger() });
    expect(created).toMatchObject({ name, uri: `${sandboxEnv().SANDBOX_REGISTRY}/${name}`, created: true });
    const again = await ensureRepository(client, name, { logger: recordingLogger() });
    expect(again).toMatchObject({ uri: created.uri, created: false, scanOnPush: true });
  });

  test('lifecycle policy: refused at creation undoes the repository; an existing one takes a changed policy, keeps an equal one', async () => {
    const name = `ecr-policy-${suffix}`;
    const rule = (tagStatus: string, countNumber: number) =>
      JSON.stringify({
        rules: [{ rulePriority: 1, selection: { tagStatus, countType: 'imageCountMoreThan', countNumber }, action: { type: 'expire' } }],
      });
    await expect(ensureRepository(client, name, { lifecyclePolicy: rule('sometimes', 3), logger: recordingLogger() })).rejects.toThrow(
      new RegExp(
        `^Input 'lifecycle-policy' was refused by ECR for ${name}: InvalidParameterException: .*; the repository just created was deleted again`,
      ),
    );
    expect(await describeRepository(client, name)).toBeUndefined();
    await ensureRepository(client, name, { lifecyclePolicy: rule('untagged', 3), logger: recordingLogger() });
    expect(await getLifecyclePolicy(client, name)).toBe(rule('untagged', 3));
    const same = recordingLogger();
    // The same policy with other spacing is left alone.
    await ensureRepository(client, name, { lifecyclePolicy: JSON.stringify(JSON.parse(rule('untagged', 3)), null, 2), logger: same });
    expect(same.lines).toContain(`The lifecycle policy of ${name} is already the one given`);
    expect(await getLifecyclePolicy(client, name)).toBe(rule('untagged', 3));
    await ensureRepository(client, name, { lifecyclePolicy: rule('any', 7), logger: recordingLogger() });
    expect(await getLifecyclePolicy(client, name)).toBe(rule('any', 7));
    // Without the input an existing repository is left as it is.
    await ensureRepository(client, name, { logger: recordingLogger() });
    expect(await getLifecyclePolicy(client, name)).toBe(rule('any', 7));
  });

  test('create-repository false on a missing repository', async () => {
    await expect(ensureRepository(client, `ecr-missing-${suffix}`, { create: false, logger: recordingLogger() })).rejects.toThrow(
      `ECR repository 'ecr-missing-${suffix}' does not exist`,
    );
  });

  test('the tags of pushed images, and none for a missing repository', async () => {
    const name = `ecr-tags-${suffix}`;
    await ensureRepository(client, name, { logger: recordingLogger() });
    await sandboxControl().pushImage(name, '2.0.0');
    await sandboxControl().pushImage(name, '1.4.9');
    expect((await listImageTags(client, name)).sort()).toEqual(['1.4.9', '2.0.0']);
    expect(await listImageTags(client, `ecr-none-${suffix}`)).toEqual([]);
  });

  test('scan findings: IN_PROGRESS answers are waited out, then the findings of the digest', async () => {
    const name = `ecr-scan-${suffix}`;
    await ensureRepository(client, name, { logger: recordingLogger() });
    const { digest } = await sandboxControl().pushImage(name, 'v1');
    await sandboxControl().seedFindings({
      repository: name,
      imageDigest: digest,
      status: 'COMPLETE',
      pendingPolls: 2,
      findings: [
        { name: 'CVE-2026-1000', severity: 'HIGH', uri: 'https://nvd.example/CVE-2026-1000' },
        { name: 'CVE-2026-1001', severity: 'MEDIUM' },
      ],
    });
    const r = await waitForScanFindings(client, name, digest, { timeoutMs: 30_000, pollMs: 50, logger: recordingLogger() });
    expect(r.status).toBe('COMPLETE');
    expect(r.polls).toBe(2);
    expect(r.findings.map((f) => [f.id, f.severity])).toEqual([
      ['CVE-2026-1000', 'HIGH'],
      ['CVE-2026-1001', 'MEDIUM'],
    ]);
  });

  test.each([
    ['FAILED', /failed: layer too large/],
    ['UNSUPPORTED_IMAGE', null],
  ] as const)('scan status %s', async (status, error) => {
    const name = `ecr-${status.toLowerCase().replace('_', '-')}-${suffix}`;
    await ensureRepository(client, name, { logger: recordingLogger() });
    const { digest } = await sandboxControl().pushImage(name, 'v1');
    await sandboxControl().seedFindings({ repository: name, status, description: 'layer too large', findings: [] });
    const wait = waitForScanFindings(client, name, digest, { timeoutMs: 10_000, pollMs: 50, logger: recordingLogger() });
    if (error) await expect(wait).rejects.toThrow(error);
    else expect(await wait).toMatchObject({ status, findings: [] });
  });
});
