/** Two runs on one Deployment at once (issue 10, items 3 and 4): neither undoes nor claims the other's release. */
import { describe, expect, it } from '@jest/globals';
import { cluster, control, deployAction, expectExit, healthServer, imageOf, kubectl, pushImages, result, unique } from './helpers.ts';

const rolledOut = async (ns: string, image: string) =>
  (await imageOf(ns, 'api')) === image &&
  (await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=1s').catch(() => '')).includes('successfully rolled out');

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 90_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('concurrent runs on one Deployment', () => {
  it('item 3: a run whose health check fails after another run released leaves that release alone and says so', async () => {
    const ns = unique('kd-race-rollback');
    const [v1, v2, v3] = await pushImages('kd-race-rollback', 'v1', 'v2', 'v3');
    await cluster(ns, { api: v1 as string });
    const unhealthy = await healthServer(() => 503);
    try {
      // Run A: v2, then a health check that keeps failing for a while.
      const runA = deployAction({
        namespace: ns,
        images: `api=${v2}`,
        'health-check-url': unhealthy.url,
        'health-check-retries': 30,
        'health-check-interval': '1s',
      });
      await until(() => rolledOut(ns, v2 as string), 'run A rolled v2 out');
      // Run B: v3, while A is still health-checking.
      const b = await deployAction({ namespace: ns, images: `api=${v3}` });
      expectExit(b, 0);
      expect(await imageOf(ns, 'api')).toBe(v3);
      const a = await runA;
      expectExit(a, 1);
      expect(a.errors).toHaveLength(1);
      expect(a.errors[0]).toContain(`superseded by another change and left alone: Deployment ${ns}/api`);
      expect(a.warnings.join('\n')).toContain(`Deployment ${ns}/api was changed by another deploy after this run (generation`);
      expect(a.warnings.join('\n')).toContain('concurrency');
      expect(a.outputs['rolled-back']).toBe('false');
      expect(result(a)).toMatchObject([{ name: 'api', status: 'superseded' }]);
      // B's release stays: A did not restore v1 over it.
      expect(await imageOf(ns, 'api')).toBe(v3);
      expect(await kubectl('-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=5s')).toContain('successfully rolled out');
    } finally {
      await unhealthy.close();
    }
  }, 180_000);

  it('item 4: a run whose rollout another run replaced fails instead of reporting success (or warns, by if-superseded)', async () => {
    const ns = unique('kd-race-success');
    const [v1, v2, v3, v4, v5] = await pushImages('kd-race-success', 'v1', 'v2', 'v3', 'v4', 'v5');
    for (const slow of [v2, v4]) await control.setBehaviour({ image: slow as string, readyDelayMs: 8000 });
    await cluster(ns, { api: v1 as string });

    // Run A: v2 (slow to become ready); run B replaces it with v3 while A waits.
    const runA = deployAction({ namespace: ns, images: `api=${v2}` });
    await until(async () => (await imageOf(ns, 'api')) === v2, "run A's change landed");
    const b = await deployAction({ namespace: ns, images: `api=${v3}` });
    expectExit(b, 0);
    const a = await runA;
    expectExit(a, 1);
    expect(a.errors[0]).toMatch(
      new RegExp(
        `^deployment ${ns}/api: superseded: another change replaced this run's while it rolled out \\(generation \\d+ → \\d+, now app=`,
      ),
    );
    expect(a.errors[0]).toContain(`now app=${v3}`);
    expect(result(a)).toMatchObject([{ name: 'api', status: 'superseded' }]);
    expect(a.outputs['rolled-back']).toBe('false');
    expect(await imageOf(ns, 'api')).toBe(v3);

    // The same race with if-superseded: warn succeeds with a warning.
    const runC = deployAction({ namespace: ns, images: `api=${v4}`, 'if-superseded': 'warn' });
    await until(async () => (await imageOf(ns, 'api')) === v4, "run C's change landed");
    expectExit(await deployAction({ namespace: ns, images: `api=${v5}` }), 0);
    const c = await runC;
    expectExit(c, 0);
    expect(c.warnings.join('\n')).toContain(`deployment ${ns}/api: superseded: another change replaced this run's while it rolled out`);
    expect(result(c)).toMatchObject([{ name: 'api', status: 'superseded' }]);
    expect(await imageOf(ns, 'api')).toBe(v5);
  }, 240_000);
});
