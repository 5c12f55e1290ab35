import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { leaks, runAction } from '@tripo04os/kit/harness';
import {
  actionDir,
  awsEnv,
  cluster,
  control,
  deployAction,
  deploymentYaml,
  env,
  expectExit,
  imageOf,
  kubectl,
  kubectlApply,
  pushImages,
  result,
  unique,
} from './helpers.ts';

/** Every failure here must be reported well before the rollout timeout. */
const TIMEOUT = '3m';

describe('failed rollouts fail fast, explain why and roll back', () => {
  it('a missing image: ErrImagePull/ImagePullBackOff with the diagnosis, every changed Deployment back on its old image', async () => {
    const ns = unique('kd-missing');
    const [good1] = await pushImages('kd-missing-ok', 'v1');
    const [other1, other2] = await pushImages('kd-missing-other', 'v1', 'v2');
    await cluster(ns, { api: good1 as string, worker: other1 as string });
    const missing = `${env.SANDBOX_REGISTRY}/kd-missing-ok:does-not-exist`;
    const r = await deployAction({ namespace: ns, images: `api=${missing}\nworker=${other2}`, timeout: TIMEOUT });
    expectExit(r, 1);
    expect(r.durationMs).toBeLessThan(60_000); // not the 3 minute timeout
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/deployment .*\/api: pod api-\S+: container app is in (ErrImagePull|ImagePullBackOff)/);
    expect(r.errors[0]).toContain('rolled back');
    // The diagnosis: waiting reason and message, pod events, in the log and the summary.
    for (const text of [r.log, r.summary]) {
      expect(text).toMatch(/container app: waiting: (ErrImagePull|ImagePullBackOff)/);
      expect(text).toContain(`Failed to pull image "${missing}"`);
    }
    expect(r.summary).toContain('Diagnosis of');
    expect(r.summary).toContain('**Rolled back:**');
    expect(r.outputs['rolled-back']).toBe('true');
    const res = result(r);
    expect(res.find((x) => x.name === 'api')).toMatchObject({
      status: 'rolled back',
      imagesBefore: { app: good1 },
      imagesAfter: { app: good1 },
      imagesTried: { app: missing },
    });
    expect(r.summary).toContain(`${good1} → ${missing} (rolled back)`);
    // The other Deployment this run changed goes back too, even though its rollout was fine.
    expect(res.find((x) => x.name === 'worker')).toMatchObject({ status: 'rolled back', imagesAfter: { app: other1 } });
    // Checked with the real kubectl.
    expect(await imageOf(ns, 'api')).toBe(good1);
    expect(await imageOf(ns, 'worker')).toBe(other1);
    expect(await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=1s')).toContain('successfully rolled out');
  });

  it('a crash loop: CrashLoopBackOff with the previous log tail, old image back', async () => {
    const ns = unique('kd-crash');
    const [v1, v2] = await pushImages('kd-crash', 'v1', 'v2');
    await control.setBehaviour({ image: v2 as string, crashLoop: true });
    await cluster(ns, { api: v1 as string });
    const r = await deployAction({ namespace: ns, images: `api=${v2}`, timeout: TIMEOUT });
    expectExit(r, 1);
    expect(r.durationMs).toBeLessThan(90_000);
    expect(r.errors[0]).toMatch(/container app is in CrashLoopBackOff/);
    // A crash-looping container flips between waiting (CrashLoopBackOff) and running: either is the truth at diagnosis time.
    expect(r.summary).toMatch(/container app: (waiting: CrashLoopBackOff|running).*\(\d+ restarts\)/);
    expect(r.summary).toContain('fatal: the application exited with an error');
    expect(r.summary).toMatch(/last state: terminated: Error \(exit code \d+\)/);
    expect(r.summary).toContain('previous log:');
    expect(await imageOf(ns, 'api')).toBe(v1);
    expect(result(r)[0]).toMatchObject({ status: 'rolled back', revisionBefore: 1 });
  });

  it('a failing health check URL rolls back after all rollouts', async () => {
    const ns = unique('kd-health');
    const [v1, v2] = await pushImages('kd-health', 'v1', 'v2');
    await control.setBehaviour({ image: v2 as string, healthStatus: 503 });
    await cluster(ns, { api: v1 as string });
    await kubectlApply(
      `apiVersion: v1\nkind: Service\nmetadata: { name: api, namespace: ${ns} }\nspec:\n  selector: { app: api }\n  ports: [{ port: 80 }]\n`,
    );
    const svc = (await control.services()).find((s) => s.namespace === ns && s.name === 'api');
    expect(svc).toBeDefined();
    const url = `${svc?.url.replace(/\/$/, '')}/health`;
    expect((await fetch(url)).status).toBe(200); // v1 is healthy
    const r = await deployAction({
      namespace: ns,
      images: `api=${v2}`,
      'health-check-url': url,
      'health-check-retries': 3,
      'health-check-interval': '500ms',
    });
    expectExit(r, 1);
    expect(r.errors[0]).toContain(`health check ${url} failed after 3 attempts: HTTP 503 (expected 200-399)`);
    expect(r.log).toContain('Health check attempt 1/3 failed: HTTP 503');
    expect(r.summary).toContain('❌ Health check');
    expect(await imageOf(ns, 'api')).toBe(v1);
    expect(result(r)[0]).toMatchObject({ status: 'rolled back', imagesAfter: { app: v1 } });
    expect((await fetch(url)).status).toBe(200);
    expect(leaks(r, env.AWS_SECRET_ACCESS_KEY)).toEqual([]);
  });

  it('with auto-rollback off, a failure stays in place and says so', async () => {
    const ns = unique('kd-norollback');
    const [v1] = await pushImages('kd-norollback', 'v1');
    await cluster(ns, { api: v1 as string });
    const r = await deployAction({ namespace: ns, images: `api=${env.SANDBOX_REGISTRY}/kd-norollback:nope`, 'auto-rollback': false });
    expectExit(r, 1);
    expect(r.outputs['rolled-back']).toBe('false');
    expect(r.warnings.join('\n')).toContain('auto-rollback is off');
    expect(await imageOf(ns, 'api')).toBe(`${env.SANDBOX_REGISTRY}/kd-norollback:nope`);
  });

  it('restores what the run changed: ConfigMap and Secret data back, a Deployment it created deleted', async () => {
    const ns = unique('kd-restore');
    const [v1, v2] = await pushImages('kd-restore', 'v1', 'v2');
    await cluster(ns, { api: v1 as string });
    await kubectlApply(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app-config, namespace: ${ns} }\ndata: { LOG_LEVEL: INFO }\n`);
    await kubectlApply(
      `apiVersion: v1\nkind: Secret\nmetadata: { name: app-secrets, namespace: ${ns} }\nstringData: { TOKEN: old-token-value }\n`,
    );
    const dir = await mkdtemp(join(tmpdir(), 'kd-restore-'));
    await writeFile(join(dir, 'fresh.yaml'), deploymentYaml(ns, 'fresh', `${env.SANDBOX_REGISTRY}/kd-restore-fresh:never-pushed`, 1));
    const r = await runAction({
      action: actionDir,
      cwd: dir,
      inputs: {
        'cluster-name': env.SANDBOX_EKS_CLUSTER,
        namespace: ns,
        manifests: 'fresh.yaml',
        images: `api=${v2}`,
        'config-map': 'app-config',
        'config-map-data': 'LOG_LEVEL=DEBUG',
        secret: 'app-secrets',
        'secret-env': 'TOKEN',
        'failure-grace': '2s',
        timeout: TIMEOUT,
      },
      env: { ...awsEnv, TOKEN: 'new-token-value' },
      timeoutMs: 150_000,
    });
    expectExit(r, 1);
    expect(r.errors[0]).toMatch(/deployment .*\/fresh: pod fresh-\S+: container app is in (ErrImagePull|ImagePullBackOff)/);
    expect(await kubectl('-n', ns, 'get', 'configmap', 'app-config', '-o', 'jsonpath={.data.LOG_LEVEL}')).toBe('INFO');
    const token = await kubectl('-n', ns, 'get', 'secret', 'app-secrets', '-o', 'jsonpath={.data.TOKEN}');
    expect(Buffer.from(token, 'base64').toString()).toBe('old-token-value');
    expect(await kubectl('-n', ns, 'get', 'deployments', '-o', 'name')).toBe('deployment.apps/api\n');
    expect(await imageOf(ns, 'api')).toBe(v1);
    expect(r.summary).toContain(`ConfigMap ${ns}/app-config: previous data restored`);
    expect(r.summary).toContain(`Deployment ${ns}/fresh: deleted (this run created it)`);
    expect(result(r).map((x) => [x.name, x.status])).toEqual([
      ['fresh', 'deleted'],
      ['api', 'rolled back'],
    ]);
    for (const secret of ['new-token-value', 'old-token-value']) expect(leaks(r, secret)).toEqual([]);
  });

  it('ProgressDeadlineExceeded fails the rollout as kubectl rollout status does, and rolls back', async () => {
    const ns = unique('kd-deadline');
    const [v1, v2] = await pushImages('kd-deadline', 'v1', 'v2');
    await control.setBehaviour({ image: v2 as string, neverReady: true });
    await kubectlApply(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`);
    await kubectlApply(
      deploymentYaml(ns, 'api', v1 as string, 1).replace('  replicas: 1\n', '  replicas: 1\n  progressDeadlineSeconds: 3\n'),
    );
    await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=60s');
    // A long grace: the pod never turns ready but is not in a fatal state; the deadline decides.
    const r = await deployAction({ namespace: ns, images: `api=${v2}`, 'failure-grace': '5m', timeout: TIMEOUT });
    expectExit(r, 1);
    expect(r.durationMs).toBeLessThan(60_000);
    expect(r.errors[0]).toContain('deployment "api" exceeded its progress deadline');
    expect(r.summary).toContain('Diagnosis of');
    expect(await imageOf(ns, 'api')).toBe(v1);
    expect(result(r)[0]).toMatchObject({ status: 'rolled back', imagesAfter: { app: v1 } });
    expect(r.summary).toContain('back to the template of revision 1');
  });

  it('CreateContainerConfigError (a Secret the pod needs is missing) fails fast; the Deployment it created is deleted', async () => {
    const ns = unique('kd-config');
    const [v1] = await pushImages('kd-config', 'v1');
    await kubectlApply(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`);
    const dir = await mkdtemp(join(tmpdir(), 'kd-config-'));
    const yaml = deploymentYaml(ns, 'api', v1 as string, 1).replace(
      `          image: ${v1}\n`,
      `          image: ${v1}\n          envFrom: [{ secretRef: { name: app-secrets } }]\n`,
    );
    await writeFile(join(dir, 'api.yaml'), yaml);
    const r = await runAction({
      action: actionDir,
      cwd: dir,
      inputs: { 'cluster-name': env.SANDBOX_EKS_CLUSTER, namespace: ns, manifests: 'api.yaml', 'failure-grace': '2s', timeout: TIMEOUT },
      env: awsEnv,
      timeoutMs: 150_000,
    });
    expectExit(r, 1);
    expect(r.durationMs).toBeLessThan(60_000);
    expect(r.errors[0]).toContain('container app is in CreateContainerConfigError (secret "app-secrets" not found)');
    expect(r.summary).toContain('container app: waiting: CreateContainerConfigError: secret "app-secrets" not found');
    expect(result(r)).toMatchObject([{ name: 'api', status: 'deleted', revisionBefore: null }]);
    expect(await kubectl('-n', ns, 'get', 'deployments', '-o', 'name')).toBe('');
  });
});
