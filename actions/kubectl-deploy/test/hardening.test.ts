/** Defects found by outside testing (issue 10), each reproduced through the bundle against the sandbox. */
import { describe, expect, it } from '@jest/globals';
import { leaks, runAction } from '@tripo04os/kit/harness';
import {
  actionDir,
  apiProxy,
  cluster,
  deployAction,
  env,
  expectExit,
  healthServer,
  imageOf,
  kubectl,
  pushImages,
  result,
  unique,
} from './helpers.ts';

describe('hardening (issue 10)', () => {
  it('item 2: health-check-url with user:password@ sends them as a Basic Authorization header and never prints them', async () => {
    const ns = unique('kd-userinfo');
    const [v1, v2] = await pushImages('kd-userinfo', 'v1', 'v2');
    await cluster(ns, { api: v1 as string });
    const password = 'Pa55-w0rd%21secret';
    const expected = `Basic ${Buffer.from('probe:Pa55-w0rd!secret').toString('base64')}`;
    const health = await healthServer((req) => (req.headers.authorization === expected ? 200 : 401));
    try {
      const url = health.url.replace('http://', `http://probe:${password}@`);
      const r = await deployAction({ namespace: ns, images: `api=${v2}`, 'health-check-url': url, 'health-check-interval': '500ms' });
      expectExit(r, 0);
      expect(health.seen.map((req) => req.headers.authorization)).toEqual([expected]);
      expect(r.log).toContain(`Health check ${health.url}`);
      expect(r.summary).toContain(`✅ Health check: ${health.url} answered 200`);
      expect(await imageOf(ns, 'api')).toBe(v2);
      for (const secret of [password, 'Pa55-w0rd!secret', `probe:${password}`, expected.slice(6)]) expect(leaks(r, secret)).toEqual([]);
      expect(r.log).not.toContain('probe:');
    } finally {
      await health.close();
    }
  });

  it('item 6: a paused Deployment is refused before anything changes, naming it and kubectl rollout resume', async () => {
    const ns = unique('kd-paused');
    const [v1, v2] = await pushImages('kd-paused', 'v1', 'v2');
    await cluster(ns, { api: v1 as string });
    await kubectl('-n', ns, 'rollout', 'pause', 'deployment/api');
    const rv = await kubectl('-n', ns, 'get', 'deployment', 'api', '-o', 'jsonpath={.metadata.resourceVersion}');
    const r = await deployAction({ namespace: ns, images: `api=${v2}` });
    expectExit(r, 1);
    expect(r.errors).toEqual([
      `Deployment 'api' in namespace '${ns}' is paused: a change would not roll out; resume it with 'kubectl rollout resume deployment/api -n ${ns}' and run again`,
    ]);
    expect(await kubectl('-n', ns, 'get', 'deployment', 'api', '-o', 'jsonpath={.metadata.resourceVersion}')).toBe(rv);
    expect(await imageOf(ns, 'api')).toBe(v1);
  });

  it('item 5: a manual rollback to a broken revision honours failure-grace and returns to where it started', async () => {
    const ns = unique('kd-undo-broken');
    const [v1, v3] = await pushImages('kd-undo-broken', 'v1', 'v3');
    const missing = `${env.SANDBOX_REGISTRY}/kd-undo-broken:missing`;
    await cluster(ns, { api: v1 as string });
    await kubectl('-n', ns, 'set', 'image', 'deployment/api', `app=${missing}`); // revision 2, never becomes ready
    await kubectl('-n', ns, 'set', 'image', 'deployment/api', `app=${v3}`); // revision 3
    await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=60s');
    // A timeout shorter than the 30 s grace that used to be hard-coded: only the input's 2 s grace fails it on the pod's state.
    const r = await deployAction({
      action: 'rollback',
      namespace: ns,
      deployments: 'api',
      revision: 2,
      timeout: '25s',
      'failure-grace': '2s',
    });
    expectExit(r, 1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^deployment .*\/api: rollback failed: pod api-\S+: container app is in (ErrImagePull|ImagePullBackOff)/);
    expect(r.errors[0]).not.toContain('timed out');
    expect(r.errors[0]).toContain(`rolled back: Deployment ${ns}/api: back to the template of revision 3 (${v3})`);
    expect(await imageOf(ns, 'api')).toBe(v3);
    expect(await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=1s')).toContain('successfully rolled out');
    expect(r.outputs['rolled-back']).toBe('true');
    expect(result(r)).toMatchObject([{ name: 'api', status: 'rolled back', imagesBefore: { app: v3 }, imagesAfter: { app: v3 } }]);
  });

  it('item 16: when the rollback itself fails, the error line says so and where the cluster is left', async () => {
    const ns = unique('kd-undo-500');
    const [v1] = await pushImages('kd-undo-500', 'v1');
    const missing = `${env.SANDBOX_REGISTRY}/kd-undo-500:missing`;
    await cluster(ns, { api: v1 as string });
    // The rollback is the only JSON patch (the deploy sends a strategic merge patch): it gets a 500 every time.
    const proxy = await apiProxy((req) => req.method === 'PATCH' && req.headers['content-type'] === 'application/json-patch+json');
    try {
      const r = await runAction({
        action: actionDir,
        inputs: { kubeconfig: proxy.kubeconfig, namespace: ns, images: `api=${missing}`, 'failure-grace': '2s', timeout: '2m' },
        env: { KUBECONFIG: undefined },
        timeoutMs: 150_000,
      });
      expectExit(r, 1);
      expect(proxy.faults.length).toBeGreaterThan(0);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/^deployment .*\/api: pod api-\S+: container app is in (ErrImagePull|ImagePullBackOff)/);
      expect(r.errors[0]).toContain(`; rollback failed, the cluster is left on Deployment ${ns}/api at revision 2 (app=${missing})`);
      expect(r.outputs['rolled-back']).toBe('false');
      expect(result(r)).toMatchObject([{ name: 'api', status: 'not rolled back' }]);
      expect(r.summary).toContain('**Rollback failed, the cluster is left on:**');
      expect(await imageOf(ns, 'api')).toBe(missing);
    } finally {
      await proxy.close();
    }
  });
});
