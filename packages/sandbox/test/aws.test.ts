import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  PutLifecyclePolicyCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { exec } from '@tripo04os/common';
import { makeEksToken } from '../src/aws/eks-token-sign.ts';
import { sandboxControl, sandboxEnv } from '../src/testing.ts';

const env = sandboxEnv();
const control = sandboxControl();
const unique = () => randomBytes(4).toString('hex');

// The SDK clients are configured by the environment alone, exactly as the actions' are.
beforeAll(() => {
  for (const key of [
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ENDPOINT_URL_ECR',
    'AWS_ENDPOINT_URL_EKS',
    'AWS_ENDPOINT_URL_STS',
  ] as const) {
    process.env[key] = env[key];
  }
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
});

const wrongSecret = { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: 'not-the-secret' } };
const unknownKey = { credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: env.AWS_SECRET_ACCESS_KEY } };

/** GET over HTTPS trusting only `ca`; resolves with the status. */
function httpsGet(url: string, ca: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('STS', () => {
  test('GetCallerIdentity answers the sandbox identity', async () => {
    const me = await new STSClient({}).send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe('000000000000');
    expect(me.Arn).toBe('arn:aws:iam::000000000000:user/sandbox');
    expect(me.UserId).toMatch(/^AIDA/);
  });

  test('a wrong secret key gives SignatureDoesNotMatch, an unknown key InvalidClientTokenId', async () => {
    await expect(new STSClient(wrongSecret).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(new STSClient(unknownKey).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  });
});

describe('EKS', () => {
  test('DescribeCluster gives the API server whose certificate its CA verifies; an EKS token authenticates', async () => {
    const { cluster } = await new EKSClient({}).send(new DescribeClusterCommand({ name: env.SANDBOX_EKS_CLUSTER }));
    expect(cluster).toMatchObject({
      name: env.SANDBOX_EKS_CLUSTER,
      status: 'ACTIVE',
      arn: `arn:aws:eks:${env.AWS_REGION}:000000000000:cluster/${env.SANDBOX_EKS_CLUSTER}`,
    });
    expect(cluster?.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = Buffer.from(cluster?.certificateAuthority?.data ?? '', 'base64').toString();
    expect(ca).toContain('BEGIN CERTIFICATE');
    const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
    const token = await makeEksToken({ clusterName: env.SANDBOX_EKS_CLUSTER, credentials, region: env.AWS_REGION });
    expect(await httpsGet(`${cluster?.endpoint}/api/v1/namespaces`, ca, token)).toBe(200);
    // The API server answers 401 to bad EKS tokens.
    const bad = await Promise.all([
      makeEksToken({
        clusterName: env.SANDBOX_EKS_CLUSTER,
        credentials: { ...credentials, secretAccessKey: 'wrong' },
        region: env.AWS_REGION,
      }),
      makeEksToken({ clusterName: 'another-cluster', credentials, region: env.AWS_REGION }),
      makeEksToken({
        clusterName: env.SANDBOX_EKS_CLUSTER,
        credentials,
        region: env.AWS_REGION,
        signingDate: new Date(Date.now() - 16 * 60_000),
      }),
    ]);
    for (const t of [...bad, 'not-a-token']) expect(await httpsGet(`${cluster?.endpoint}/api/v1/namespaces`, ca, t)).toBe(401);
    // Another CA does not verify it.
    const { readFile } = await import('node:fs/promises');
    const systemCa = await readFile('/etc/ssl/certs/ca-certificates.crt', 'utf8').catch(() => '');
    if (systemCa) await expect(httpsGet(`${cluster?.endpoint}/version`, systemCa)).rejects.toThrow(/certificate/);
  });

  test('an unknown cluster gives ResourceNotFoundException; a wrong key InvalidSignatureException', async () => {
    await expect(new EKSClient({}).send(new DescribeClusterCommand({ name: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(new EKSClient(wrongSecret).send(new DescribeClusterCommand({ name: env.SANDBOX_EKS_CLUSTER }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    await expect(new EKSClient(unknownKey).send(new DescribeClusterCommand({ name: env.SANDBOX_EKS_CLUSTER }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });
});

describe('ECR', () => {
  const ecr = () => new ECRClient({});

  test('repositories: create (scan on push, tag mutability), already exists, bad name, describe, not found', async () => {
    const name = `team/svc-${unique()}`;
    const { repository } = await ecr().send(
      new CreateRepositoryCommand({
        repositoryName: name,
        imageScanningConfiguration: { scanOnPush: true },
        imageTagMutability: 'IMMUTABLE',
      }),
    );
    expect(repository).toMatchObject({
      repositoryName: name,
      repositoryUri: `${env.SANDBOX_REGISTRY}/${name}`,
      registryId: '000000000000',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
    });
    expect(repository?.createdAt).toBeInstanceOf(Date);
    await expect(ecr().send(new CreateRepositoryCommand({ repositoryName: name }))).rejects.toMatchObject({
      name: 'RepositoryAlreadyExistsException',
    });
    await expect(ecr().send(new CreateRepositoryCommand({ repositoryName: 'Bad Name' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    const described = await ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    expect(described.repositories?.map((r) => r.repositoryUri)).toEqual([`${env.SANDBOX_REGISTRY}/${name}`]);
    await expect(ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [`missing-${unique()}`] }))).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
      message: expect.stringContaining('does not exist in the registry'),
    });
  });

  test('listing every repository (no repositoryNames, as aws ecr describe-repositories does), in pages with maxResults/nextToken', async () => {
    const created = [`list-a-${unique()}`, `list-b-${unique()}`];
    for (const repositoryName of created) await ecr().send(new CreateRepositoryCommand({ repositoryName }));
    const pushed = `list-pushed-${unique()}`;
    await sandboxControl().pushImage(pushed, 'v1'); // in the registry only: ECR shows it too
    const all = (await ecr().send(new DescribeRepositoriesCommand({}))).repositories?.map((r) => r.repositoryName) ?? [];
    expect(all).toEqual(expect.arrayContaining([...created, pushed]));
    expect([...all].sort()).toEqual(all);
    const paged: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ecr().send(new DescribeRepositoriesCommand({ maxResults: 2, ...(nextToken ? { nextToken } : {}) }));
      expect(page.repositories?.length).toBeLessThanOrEqual(2);
      paged.push(...(page.repositories?.map((r) => r.repositoryName as string) ?? []));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    // Other suites share the sandbox and may create or delete repositories between the two
    // listings: compare this test's own repositories, and the paging's shape as a whole.
    const ours = (names: string[]) => names.filter((n) => [...created, pushed].includes(n));
    expect(ours(paged)).toEqual(ours(all as string[]));
    expect(ours(paged)).toEqual([...created, pushed].sort());
    expect([...new Set(paged)].sort()).toEqual(paged);
    expect(pages).toBe(Math.ceil(paged.length / 2));
    await expect(
      ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [created[0] as string], maxResults: 2 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('DeleteRepository removes an empty repository and refuses one with images unless forced', async () => {
    const empty = `del-${unique()}`;
    await ecr().send(new CreateRepositoryCommand({ repositoryName: empty }));
    await ecr().send(new DeleteRepositoryCommand({ repositoryName: empty }));
    await expect(ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [empty] }))).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
    });
    const full = `del-full-${unique()}`;
    await ecr().send(new CreateRepositoryCommand({ repositoryName: full }));
    await sandboxControl().pushImage(full, 'v1');
    await expect(ecr().send(new DeleteRepositoryCommand({ repositoryName: full }))).rejects.toMatchObject({
      name: 'RepositoryNotEmptyException',
    });
  });

  test('lifecycle policies are stored and validated', async () => {
    const name = `lc-${unique()}`;
    await ecr().send(new CreateRepositoryCommand({ repositoryName: name }));
    await expect(ecr().send(new GetLifecyclePolicyCommand({ repositoryName: name }))).rejects.toMatchObject({
      name: 'LifecyclePolicyNotFoundException',
    });
    const policy = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
          action: { type: 'expire' },
        },
      ],
    });
    const put = await ecr().send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: policy }));
    expect(put.lifecyclePolicyText).toBe(policy);
    expect((await ecr().send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lifecyclePolicyText).toBe(policy);
    await expect(
      ecr().send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: '{"rules":[]}' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      ecr().send(new PutLifecyclePolicyCommand({ repositoryName: `missing-${unique()}`, lifecyclePolicyText: policy })),
    ).rejects.toMatchObject({ name: 'RepositoryNotFoundException' });
  });

  test('DescribeImages reads tags and digests from the registry', async () => {
    const name = `img-${unique()}`;
    await ecr().send(new CreateRepositoryCommand({ repositoryName: name }));
    const v1 = await control.pushImage(name, 'v1');
    const v2 = await control.pushImage(name, 'v2');
    const all = await ecr().send(new DescribeImagesCommand({ repositoryName: name }));
    const byDigest = Object.fromEntries((all.imageDetails ?? []).map((d) => [d.imageDigest, d]));
    expect(byDigest[v1.digest]?.imageTags).toEqual(['v1']);
    expect(byDigest[v2.digest]?.imageTags).toEqual(['v2']);
    expect(byDigest[v1.digest]?.imageSizeInBytes).toBeGreaterThan(0);
    expect(byDigest[v1.digest]?.imagePushedAt).toBeInstanceOf(Date);
    const one = await ecr().send(new DescribeImagesCommand({ repositoryName: name, imageIds: [{ imageTag: 'v2' }] }));
    expect(one.imageDetails?.map((d) => d.imageDigest)).toEqual([v2.digest]);
    await expect(ecr().send(new DescribeImagesCommand({ repositoryName: name, imageIds: [{ imageTag: 'v9' }] }))).rejects.toMatchObject({
      name: 'ImageNotFoundException',
    });
  });

  test('DescribeImageScanFindings answers what the control endpoint seeded, IN_PROGRESS first', async () => {
    const scanned = `scan-${unique()}`;
    const plain = `noscan-${unique()}`;
    await ecr().send(new CreateRepositoryCommand({ repositoryName: scanned, imageScanningConfiguration: { scanOnPush: true } }));
    await ecr().send(new CreateRepositoryCommand({ repositoryName: plain }));
    const image = await control.pushImage(scanned, 'v1');
    await control.pushImage(plain, 'v1');
    const scan = (repositoryName: string, imageId: { imageTag?: string; imageDigest?: string }) =>
      ecr().send(new DescribeImageScanFindingsCommand({ repositoryName, imageId }));

    // Scan on push without seeded findings: a clean, complete scan. Without scan on push: none.
    const clean = await scan(scanned, { imageTag: 'v1' });
    expect(clean.imageScanStatus?.status).toBe('COMPLETE');
    expect(clean.imageScanFindings?.findingSeverityCounts).toEqual({});
    expect(clean.imageId).toEqual({ imageTag: 'v1', imageDigest: image.digest });
    await expect(scan(plain, { imageTag: 'v1' })).rejects.toMatchObject({ name: 'ScanNotFoundException' });
    await expect(scan(scanned, { imageTag: 'missing' })).rejects.toMatchObject({ name: 'ImageNotFoundException' });

    await control.seedFindings({
      repository: scanned,
      imageTag: 'v1',
      status: 'COMPLETE',
      pendingPolls: 2,
      findings: [
        { name: 'CVE-2026-0001', severity: 'CRITICAL', uri: 'https://example.com/CVE-2026-0001' },
        { name: 'CVE-2026-0002', severity: 'HIGH' },
        { name: 'CVE-2026-0003', severity: 'HIGH' },
      ],
    });
    expect((await scan(scanned, { imageTag: 'v1' })).imageScanStatus?.status).toBe('IN_PROGRESS');
    expect((await scan(scanned, { imageDigest: image.digest })).imageScanStatus?.status).toBe('IN_PROGRESS');
    const done = await scan(scanned, { imageTag: 'v1' });
    expect(done.imageScanStatus?.status).toBe('COMPLETE');
    expect(done.imageScanFindings?.findingSeverityCounts).toEqual({ CRITICAL: 1, HIGH: 2 });
    expect(done.imageScanFindings?.findings?.map((f) => [f.name, f.severity])).toEqual([
      ['CVE-2026-0001', 'CRITICAL'],
      ['CVE-2026-0002', 'HIGH'],
      ['CVE-2026-0003', 'HIGH'],
    ]);

    for (const status of ['FAILED', 'UNSUPPORTED_IMAGE', 'PENDING'] as const) {
      await control.seedFindings({ repository: plain, status, description: `seeded ${status}` });
      const r = await scan(plain, { imageTag: 'v1' });
      expect(r.imageScanStatus).toEqual({ status, description: `seeded ${status}` });
      expect(r.imageScanFindings).toBeUndefined();
    }
    await control.seedFindings({
      repository: plain,
      status: 'ACTIVE',
      findings: [{ name: 'CVE-2026-0009', severity: 'MEDIUM', package: 'openssl', packageVersion: '3.0.1', fixedInVersion: '3.0.2' }],
    });
    const active = await scan(plain, { imageTag: 'v1' });
    expect(active.imageScanStatus?.status).toBe('ACTIVE');
    expect(active.imageScanFindings?.findingSeverityCounts).toEqual({ MEDIUM: 1 });
    expect(active.imageScanFindings?.enhancedFindings?.[0]).toMatchObject({
      fixAvailable: 'YES',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2026-0009',
        vulnerablePackages: [{ name: 'openssl', version: '3.0.1', fixedInVersion: '3.0.2' }],
      },
    });
  });

  test('StartImageScan starts a scan once (IN_PROGRESS, then COMPLETE); a second start hits the quota', async () => {
    const name = `start-${unique()}`;
    await ecr().send(new CreateRepositoryCommand({ repositoryName: name }));
    const { digest } = await control.pushImage(name, 'v1');
    const scan = () => ecr().send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageDigest: digest } }));
    await expect(scan()).rejects.toMatchObject({ name: 'ScanNotFoundException' });
    const started = await ecr().send(new StartImageScanCommand({ repositoryName: name, imageId: { imageDigest: digest } }));
    expect(started.imageScanStatus?.status).toBe('IN_PROGRESS');
    expect((await scan()).imageScanStatus?.status).toBe('IN_PROGRESS');
    expect((await scan()).imageScanStatus?.status).toBe('COMPLETE');
    await expect(ecr().send(new StartImageScanCommand({ repositoryName: name, imageId: { imageDigest: digest } }))).rejects.toMatchObject({
      name: 'LimitExceededException',
    });
  });

  test('GetAuthorizationToken hands out registry credentials that skopeo login and docker login accept', async () => {
    const { authorizationData } = await ecr().send(new GetAuthorizationTokenCommand({}));
    const data = authorizationData?.[0];
    expect(data?.proxyEndpoint).toBe(`http://${env.SANDBOX_REGISTRY}`);
    expect(data?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 3600_000);
    const [user, password] = Buffer.from(data?.authorizationToken ?? '', 'base64')
      .toString()
      .split(':') as [string, string];
    expect(user).toBe(env.SANDBOX_REGISTRY_USER);
    const registry = (data?.proxyEndpoint ?? '').replace(/^https?:\/\//, '');
    const authDir = await mkdtemp(join(tmpdir(), 'sandbox-login-'));
    try {
      const authfile = join(authDir, 'auth.json');
      const ok = await exec(
        'skopeo',
        ['login', '--tls-verify=false', '--authfile', authfile, '--username', user, '--password-stdin', registry],
        { input: password },
      );
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toContain('Login Succeeded');
      const bad = await exec(
        'skopeo',
        ['login', '--tls-verify=false', '--authfile', authfile, '--username', user, '--password-stdin', registry],
        { input: 'wrong' },
      );
      expect(bad.code).not.toBe(0);
      // docker login through the Docker daemon (which treats 127.0.0.0/8 registries as plain HTTP).
      const dockerEnv = { ...process.env, DOCKER_CONFIG: authDir };
      const info = await exec('docker', ['info', '--format', '{{.ServerVersion}}'], { env: dockerEnv });
      if (info.code !== 0) {
        throw new Error(
          `The Docker daemon is not running (${info.stderr.trim().split('\n').pop()}). Start it as root: dockerd --storage-driver=vfs --iptables=false --bridge=none & (.ci/run does this)`,
        );
      }
      const docker = await exec('docker', ['login', '--username', user, '--password-stdin', registry], { input: password, env: dockerEnv });
      expect(docker.stdout).toContain('Login Succeeded');
      const dockerBad = await exec('docker', ['login', '--username', user, '--password-stdin', registry], {
        input: 'wrong',
        env: dockerEnv,
      });
      expect(dockerBad.code).not.toBe(0);
    } finally {
      await rm(authDir, { recursive: true, force: true });
    }
  });

  test('a wrong secret key gives InvalidSignatureException, an unknown key UnrecognizedClientException', async () => {
    await expect(new ECRClient(wrongSecret).send(new DescribeRepositoriesCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    await expect(new ECRClient(unknownKey).send(new GetAuthorizationTokenCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    const unsigned = await fetch(env.AWS_ENDPOINT_URL_ECR, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});
