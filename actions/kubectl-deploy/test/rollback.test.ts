import { beforeAll, describe, expect, it } from '@jest/globals';
import { cluster, control, deployAction, expectExit, imageOf, kubectl, kubectlApply, pushImages, result, unique } from './helpers.ts';

describe('action: rollback (kubectl rollout undo semantics)', () => {
  let ns: string;
  let v: string[];

  beforeAll(async () => {
    ns = unique('kd-undo');
    v = await pushImages('kd-undo', 'v1', 'v2', 'v3');
    await cluster(ns, { api: v[0] as string, worker: v[0] as string });
    for (const image of [v[1], v[2]]) {
      await kubectl('-n', ns, 'set', 'image', 'deployment/api', `app=${image}`);
      await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=60s');
    }
  });

  it('returns to the previous revision, waits for it and checks health', async () => {
    await kubectlApply(
      `apiVersion: v1\nkind: Service\nmetadata: { name: api, namespace: ${ns} }\nspec:\n  selector: { app: api }\n  ports: [{ port: 80 }]\n`,
    );
    const svc = (await control.services()).find((s) => s.namespace === ns && s.name === 'api');
    const url = `${svc?.url.replace(/\/$/, '')}/health`;
    const r = await deployAction({
      action: 'rollback',
      namespace: ns,
      deployments: 'api',
      'health-check-url': url,
      'health-check-interval': '500ms',
    });
    expectExit(r, 0);
    expect(await imageOf(ns, 'api')).toBe(v[1]);
    expect(result(r)).toMatchObject([
      { name: 'api', status: 'rolled back', revisionBefore: 3, revisionAfter: 4, imagesBefore: { app: v[2] }, imagesAfter: { app: v[1] } },
    ]);
    expect(r.outputs['rolled-back']).toBe('true');
    expect(await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=1s')).toContain('successfully rolled out');
    expect(r.summary).toContain('kubectl-deploy rollback: succeeded');
    expect(r.summary).toContain(`✅ Health check: ${url} answered 200`);
  });

  it('returns to a given revision', async () => {
    const r = await deployAction({ action: 'rollback', namespace: ns, deployments: 'api', revision: 1, images: `api=${v[2]}` });
    expectExit(r, 0);
    expect(r.warnings).toEqual(['action: rollback ignores images and manifests']);
    expect(await imageOf(ns, 'api')).toBe(v[0]);
    expect(result(r)[0]).toMatchObject({ status: 'rolled back', imagesAfter: { app: v[0] } });
    const history = await kubectl('-n', ns, 'rollout', 'history', 'deployment/api');
    expect(history).toMatch(/^5\s/m); // revision 1 came back as revision 5, as kubectl undo does
  });

  it('says which revisions exist when the asked one does not, before changing anything', async () => {
    const r = await deployAction({ action: 'rollback', namespace: ns, deployments: 'api', revision: 42 });
    expectExit(r, 1);
    expect(r.errors).toEqual([expect.stringContaining("Deployment 'api' has no revision 42 in its history (revisions: ")]);
    expect(await imageOf(ns, 'api')).toBe(v[0]);
  });

  it('refuses a Deployment with no history', async () => {
    const r = await deployAction({ action: 'rollback', namespace: ns, deployments: 'worker' });
    expectExit(r, 1);
    expect(r.errors).toEqual(["Deployment 'worker' has no rollout history to roll back to (no previous revision)"]);
  });

  it('refuses a paused Deployment', async () => {
    await kubectl('-n', ns, 'rollout', 'pause', 'deployment/api');
    try {
      const r = await deployAction({ action: 'rollback', namespace: ns, deployments: 'api' });
      expectExit(r, 1);
      expect(r.errors[0]).toContain("Deployment 'api' is paused: you cannot roll back a paused deployment; resume it first");
      expect(await imageOf(ns, 'api')).toBe(v[0]);
    } finally {
      await kubectl('-n', ns, 'rollout', 'resume', 'deployment/api');
    }
  });
});
