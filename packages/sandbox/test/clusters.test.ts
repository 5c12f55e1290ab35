/**
 * Several EKS clusters by name: `up --cluster tripo04os-staging --cluster tripo04os-production`
 * gives two API servers; EKS lists and describes both; what is created in one is not in the
 * other (seen with the real kubectl); an EKS token made for one cluster is refused by the other;
 * the ingress reaches a Service of the named cluster only; Prometheus text is merged per family.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEksToken, describeEksCluster } from '@tripo04os/aws';
import { exec } from '@tripo04os/common';
import { checkClusterNames, mergeMetrics } from '../src/clusters.ts';
import { readSandboxEnv, SandboxControl, stopSandbox } from '../src/index.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const STAGING = 'tripo04os-staging';
const PRODUCTION = 'tripo04os-production';

describe('cluster names and metrics (no sandbox)', () => {
  test('bad and repeated names fail with one line each', () => {
    expect(checkClusterNames([STAGING, PRODUCTION])).toEqual([STAGING, PRODUCTION]);
    expect(() => checkClusterNames(['-bad'])).toThrow('--cluster -bad: not an EKS cluster name');
    expect(() => checkClusterNames(['a', 'a'])).toThrow('--cluster a: given twice');
  });

  test('mergeMetrics: one group per family, a cluster label on every sample', () => {
    const text = (pod: string) =>
      `# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{pod="${pod}",code="200"} 5\n# HELP up Up.\n# TYPE up gauge\nup 1\n`;
    expect(
      mergeMetrics([
        { cluster: 'a', text: text('p1') },
        { cluster: 'b', text: text('p2') },
      ]),
    ).toBe(
      [
        '# HELP http_requests_total Requests.',
        '# TYPE http_requests_total counter',
        'http_requests_total{cluster="a",pod="p1",code="200"} 5',
        'http_requests_total{cluster="b",pod="p2",code="200"} 5',
        '# HELP up Up.',
        '# TYPE up gauge',
        'up{cluster="a"} 1',
        'up{cluster="b"} 1',
        '',
      ].join('\n'),
    );
  });
});

describe('a sandbox with two clusters', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-clusters-'));
    const up = await exec(process.execPath, [cli, 'up', '--cluster', STAGING, '--cluster', PRODUCTION, '--dir', dir]);
    if (up.code !== 0) throw new Error(`up failed: ${up.stderr}`);
  }, 90_000);
  afterAll(async () => {
    await stopSandbox(dir);
    await rm(dir, { recursive: true, force: true });
  });

  test('EKS knows both, each with its own API server; a token for one is refused by the other', async () => {
    const env = await readSandboxEnv(dir);
    expect(env.SANDBOX_EKS_CLUSTERS).toBe(`${STAGING},${PRODUCTION}`);
    expect(env.SANDBOX_EKS_CLUSTER).toBe(STAGING);
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: env.AWS_REGION,
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
      AWS_ENDPOINT_URL_EKS: env.AWS_ENDPOINT_URL_EKS,
    });
    try {
      const staging = await describeEksCluster(STAGING, env.AWS_REGION);
      const production = await describeEksCluster(PRODUCTION, env.AWS_REGION);
      expect(staging.endpoint).not.toBe(production.endpoint);
      await expect(describeEksCluster('tripo04os-dev', env.AWS_REGION)).rejects.toThrow(/tripo04os-dev/);
      const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
      const token = (await createEksToken({ clusterName: STAGING, region: env.AWS_REGION, credentials })).token;
      const kubectlWithToken = (endpoint: string) =>
        run(
          'kubectl',
          ['--server', endpoint, '--token', token, '--certificate-authority', env.SANDBOX_CA_FILE, 'get', 'namespaces', '-o', 'name'],
          {
            env: { ...process.env, KUBECONFIG: '/dev/null' },
          },
        ).then(
          (r) => ({ ok: true, out: r.stdout }),
          (e: { stderr: string }) => ({ ok: false, out: e.stderr }),
        );
      expect((await kubectlWithToken(staging.endpoint)).ok).toBe(true);
      const refused = await kubectlWithToken(production.endpoint);
      expect(refused.ok).toBe(false);
      expect(refused.out).toMatch(/Unauthorized|must be logged in/);
    } finally {
      process.env = saved;
    }
  });

  test('what is deployed to staging is not in production (real kubectl), and the ingress reaches the named cluster only', async () => {
    const env = await readSandboxEnv(dir);
    const control = new SandboxControl(env.SANDBOX_CONTROL_URL);
    const { image } = await control.pushImage('clusters-test', 'v1');
    const kubectl = (cluster: string, ...args: string[]) =>
      run('kubectl', ['--kubeconfig', join(dir, `kubeconfig-${cluster}`), ...args], { encoding: 'utf8' });
    await kubectl(STAGING, 'create', 'namespace', 'shop');
    await kubectl(STAGING, 'create', 'deployment', 'web', '-n', 'shop', `--image=${image}`, '--port=8000');
    await kubectl(STAGING, 'expose', 'deployment', 'web', '-n', 'shop', '--port=80', '--target-port=8000');
    await kubectl(STAGING, 'rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s');
    expect((await kubectl(STAGING, 'get', 'deployments', '-n', 'shop', '-o', 'name')).stdout.trim()).toBe('deployment.apps/web');
    const prod = await kubectl(PRODUCTION, 'get', 'namespace', 'shop').then(
      () => 'found',
      (e: { stderr: string }) => e.stderr,
    );
    expect(prod).toMatch(/namespaces "shop" not found/);
    const services = await control.services();
    expect(services).toContainEqual(expect.objectContaining({ cluster: STAGING, namespace: 'shop', name: 'web' }));
    const health = await fetch(`${env.SANDBOX_INGRESS_URL}/${STAGING}/shop/web/health`);
    expect(health.status).toBe(200);
    const other = await fetch(`${env.SANDBOX_INGRESS_URL}/${PRODUCTION}/shop/web/health`);
    expect([other.status, await other.text()]).toEqual([404, `no Service shop/web in cluster ${PRODUCTION}\n`]);
    const unknown = await fetch(`${env.SANDBOX_INGRESS_URL}/nowhere/shop/web/health`);
    expect(unknown.status).toBe(404);
  }, 90_000);
});
