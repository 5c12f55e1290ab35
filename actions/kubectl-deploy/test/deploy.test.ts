import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { leaks, runAction } from '@tripo04os/kit/harness';
import {
  type ApiProxy,
  actionDir,
  apiProxy,
  awsEnv,
  cluster,
  control,
  deployAction,
  deploymentYaml,
  env,
  expectExit,
  imageOf,
  kubectl,
  pushImages,
  result,
  unique,
} from './helpers.ts';

describe('kubectl-deploy against the sandbox EKS', () => {
  const services = ['ai-support', 'premium-driver-matching', 'profit-optimization-engine', 'dashboard-api'];
  let ns: string;
  const v1: Record<string, string> = {};
  const v2: Record<string, string> = {};

  beforeAll(async () => {
    ns = unique('kd-parallel');
    for (const s of services) {
      const [a, b] = await pushImages(`kd-${s}`, 'v1', 'v2');
      v1[s] = a as string;
      v2[s] = b as string;
      // Slow enough that a one-at-a-time rollout would take four times as long.
      await control.setBehaviour({ image: b as string, readyDelayMs: 2000 });
    }
    await cluster(ns, v1);
  });

  it('rolls four Deployments out in parallel, judged like kubectl rollout status, and says who deployed', async () => {
    const r = await deployAction({ namespace: ns, images: services.map((s) => `${s}=${v2[s]}`).join('\n') });
    expectExit(r, 0);
    const res = result(r);
    expect(res.map((x) => [x.name, x.status, x.revisionBefore, x.revisionAfter])).toEqual(services.map((s) => [s, 'rolled out', 1, 2]));
    for (const x of res) {
      expect(x.imagesBefore).toEqual({ app: v1[x.name] });
      expect(x.imagesAfter).toEqual({ app: v2[x.name] });
      // Parallel: every rollout took about one ready delay (2 s per pod, 2 pods, maxSurge 25% → one at a time), not four.
      expect(x.seconds).toBeLessThan(15);
    }
    expect(r.outputs['rolled-back']).toBe('false');
    for (const s of services) {
      expect(await imageOf(ns, s)).toBe(v2[s]);
      expect(await kubectl('-n', ns, 'rollout', 'status', `deployment/${s}`, '--timeout=1s')).toContain('successfully rolled out');
    }
    const ann = JSON.parse(await kubectl('-n', ns, 'get', 'deployment', 'ai-support', '-o', 'jsonpath={.metadata.annotations}')) as Record<
      string,
      string
    >;
    expect(ann['kubernetes.io/change-cause']).toContain(`app=${v2['ai-support']}`);
    expect(ann['kubernetes.io/change-cause']).toContain('tripo04os/ai-support@0123456 by octocat');
    expect(JSON.parse(ann['tripo04os.io/deployed-by'] as string)).toEqual({
      repo: 'tripo04os/ai-support',
      sha: '0123456789abcdef0123456789abcdef01234567',
      run: 'https://github.com/tripo04os/ai-support/actions/runs/1234567890',
      actor: 'octocat',
    });
    // One row per Deployment in the job summary.
    for (const s of services) expect(r.summary).toContain(`| ${ns}/${s} | ${v1[s]} → ${v2[s]} | 1 → 2 |`);
    // No secret anywhere: the AWS secret key and the EKS token (only its prefix is knowable).
    expect(leaks(r, env.AWS_SECRET_ACCESS_KEY)).toEqual([]);
    expect(leaks(r, 'k8s-aws-v1.')).toEqual([]);
    expect(r.masked.some((m) => m.startsWith('k8s-aws-v1.'))).toBe(true);
  });

  it('is a no-op that succeeds when the images are already in place', async () => {
    const r = await deployAction({ namespace: ns, images: `ai-support=${v2['ai-support']}` });
    expectExit(r, 0);
    expect(result(r)).toMatchObject([{ name: 'ai-support', status: 'unchanged', revisionBefore: 2, revisionAfter: 2 }]);
  });

  it('leaves the annotations alone when annotate is false', async () => {
    const r = await deployAction({ namespace: ns, images: `dashboard-api=${v1['dashboard-api']}`, annotate: false });
    expectExit(r, 0);
    expect(result(r)).toMatchObject([{ name: 'dashboard-api', status: 'rolled out', revisionBefore: 2, revisionAfter: 3 }]);
    const cause = await kubectl(
      '-n',
      ns,
      'get',
      'deployment',
      'dashboard-api',
      '-o',
      "jsonpath={.metadata.annotations['kubernetes\\.io/change-cause']}",
    );
    expect(cause).toContain(`app=${v2['dashboard-api']}`); // still the previous run's
  });

  it('takes the AWS keys from a shared credentials file: a provider of the chain the bundle loads only when it gets there', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kd-ini-'));
    const file = join(home, 'credentials');
    await writeFile(
      file,
      `[default]\naws_access_key_id = ${env.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${env.AWS_SECRET_ACCESS_KEY}\n`,
    );
    const s = 'profit-optimization-engine';
    const r = await deployAction(
      { namespace: ns, images: `${s}=${v1[s]}` },
      {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
        AWS_EC2_METADATA_DISABLED: 'true',
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: file,
      },
    );
    expectExit(r, 0);
    expect(result(r)).toMatchObject([{ name: s, status: 'rolled out', revisionBefore: 2, revisionAfter: 3 }]);
    expect(await imageOf(ns, s)).toBe(v1[s]);
    expect(leaks(r, env.AWS_SECRET_ACCESS_KEY)).toEqual([]);
  });
});

describe('reading the Deployments before any change', () => {
  const names = ['orders', 'billing', 'search'];
  let ns: string;
  let v1: string;
  let v2: string;

  beforeAll(async () => {
    ns = unique('kd-read');
    [v1, v2] = (await pushImages('kd-read', 'v1', 'v2')) as [string, string];
    await cluster(ns, Object.fromEntries(names.map((n) => [n, v1])));
  });

  const deploymentsPath = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/deployments`;
  /** The requests before the first PATCH, i.e. what the check of the cluster read. */
  const reads = (seen: string[]) => {
    const firstPatch = seen.findIndex((line) => line.startsWith('PATCH '));
    return firstPatch < 0 ? seen : seen.slice(0, firstPatch);
  };

  /** The action with `images`, reaching the cluster through `proxy`. */
  const deployThrough = (proxy: ApiProxy, images: string) =>
    runAction({
      action: actionDir,
      inputs: { kubeconfig: proxy.kubeconfig, namespace: ns, images },
      env: { KUBECONFIG: undefined },
      timeoutMs: 120_000,
    });

  it('reads several Deployments of a namespace with one list, then rolls them out', async () => {
    const proxy = await apiProxy(() => false);
    try {
      const r = await deployThrough(proxy, names.map((n) => `${n}=${v2}`).join('\n'));
      expectExit(r, 0);
      expect(result(r).map((x) => [x.name, x.status])).toEqual(names.map((n) => [n, 'rolled out']));
      expect(reads(proxy.seen)).toEqual([`GET ${deploymentsPath(ns)}`]);
      for (const n of names) expect(await imageOf(ns, n)).toBe(v2);
    } finally {
      await proxy.close();
    }
  });

  it('names the one that is missing, and changes nothing', async () => {
    const proxy = await apiProxy(() => false);
    try {
      const r = await deployThrough(proxy, `orders=${v1}\nnot-there=${v1}`);
      expectExit(r, 1);
      expect(r.errors).toEqual([`Deployment 'not-there' not found in namespace '${ns}' (input 'images')`]);
      expect(proxy.seen.filter((line) => !line.startsWith('GET '))).toEqual([]);
      expect(await imageOf(ns, 'orders')).toBe(v2);
    } finally {
      await proxy.close();
    }
  });

  it('reads them one by one when the role may get but not list Deployments', async () => {
    const isList = (req: { method?: string; url?: string }) => req.method === 'GET' && req.url === deploymentsPath(ns);
    const proxy = await apiProxy(isList, {
      code: 403,
      reason: 'Forbidden',
      message: `deployments.apps is forbidden: User "ci-deployer" cannot list resource "deployments" in API group "apps" in the namespace "${ns}"`,
    });
    try {
      const r = await deployThrough(proxy, names.map((n) => `${n}=${v1}`).join('\n'));
      expectExit(r, 0);
      expect(proxy.faults).toEqual([`GET ${deploymentsPath(ns)}`]);
      expect(reads(proxy.seen).slice(1).sort()).toEqual(names.map((n) => `GET ${deploymentsPath(ns)}/${n}`).sort());
      expect(result(r).map((x) => [x.name, x.status])).toEqual(names.map((n) => [n, 'rolled out']));
      for (const n of names) expect(await imageOf(ns, n)).toBe(v1);
    } finally {
      await proxy.close();
    }
  });
});

describe('manifests, ConfigMap and Secret', () => {
  it('applies Namespace, ConfigMap, Secret, Service and Deployment in order with image and env substitution', async () => {
    const ns = unique('kd-manifests');
    const [old, fresh] = await pushImages('kd-manifest-api', 'old', 'new');
    const dir = await mkdtemp(join(tmpdir(), 'kd-manifests-'));
    await writeFile(
      join(dir, 'app.yaml'),
      `${deploymentYaml(ns, 'api', old as string, 1)}---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: ${ns} }
spec:
  selector: { app: api }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: app-config, namespace: ${ns} }
data:
  ENVIRONMENT: \${DEPLOY_ENV}
  LOG_LEVEL: INFO
`,
    );
    await writeFile(join(dir, 'namespace.yaml'), `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`);
    const secretValue = `s3cr3t-${unique('db')}`;
    const r = await runAction({
      action: actionDir,
      cwd: dir,
      inputs: {
        'cluster-name': env.SANDBOX_EKS_CLUSTER,
        namespace: ns,
        manifests: '*.yaml',
        'substitute-env': true,
        images: `api=${fresh}`,
        secret: 'app-secrets',
        'secret-env': 'DATABASE_URL, JWT_SECRET',
        'config-map': 'runtime',
        'config-map-data': 'MAX_REQUESTS=10000\nREQUEST_TIMEOUT=30',
        'failure-grace': '2s',
        timeout: '1m',
      },
      env: { ...awsEnv, DEPLOY_ENV: 'staging', DATABASE_URL: secretValue, JWT_SECRET: 'jwt-value-9f8e7d' },
      timeoutMs: 120_000,
    });
    expectExit(r, 0);
    expect(result(r)).toMatchObject([
      { namespace: ns, name: 'api', status: 'rolled out', revisionBefore: null, imagesAfter: { app: fresh } },
    ]);
    expect(await imageOf(ns, 'api')).toBe(fresh);
    expect(await kubectl('-n', ns, 'get', 'configmap', 'app-config', '-o', 'jsonpath={.data.ENVIRONMENT}')).toBe('staging');
    expect(await kubectl('-n', ns, 'get', 'configmap', 'runtime', '-o', 'jsonpath={.data.MAX_REQUESTS}')).toBe('10000');
    const stored = await kubectl('-n', ns, 'get', 'secret', 'app-secrets', '-o', 'jsonpath={.data.DATABASE_URL}');
    expect(Buffer.from(stored, 'base64').toString()).toBe(secretValue);
    expect(await kubectl('-n', ns, 'get', 'service', 'api', '-o', 'jsonpath={.spec.ports[0].port}')).toBe('80');
    const managers = await kubectl(
      '-n',
      ns,
      'get',
      'configmap',
      'app-config',
      '--show-managed-fields',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
    );
    expect(managers).toContain('tripo04os-actions');
    // Namespace first, Deployment last, in the log.
    const order = ['Namespace', 'ConfigMap', 'Service'].map((k) => r.log.indexOf(`${k} `));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const secret of [secretValue, 'jwt-value-9f8e7d', env.AWS_SECRET_ACCESS_KEY]) expect(leaks(r, secret)).toEqual([]);
  });
});
