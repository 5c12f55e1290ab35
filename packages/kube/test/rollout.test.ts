import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '@tripo04os/common';
import type { KubeClient, WatchEvent } from '../src/client.ts';
import { waitForRollout } from '../src/rollout.ts';
import type { Deployment, Pod } from '../src/types.ts';
import { SharedWatches } from '../src/watch.ts';

/** A stand-in for the API server's watch stream, driven by the test: what happens when a watch ends, 410s, or pods fail. */
class FakeClient {
  watches: {
    path: string;
    query: Record<string, unknown>;
    onEvent: (e: WatchEvent<unknown>) => void;
    done: (err: unknown) => void;
    stopped: boolean;
  }[] = [];
  requests: string[] = [];
  objects = new Map<string, unknown>();
  async watch(path: string, query: Record<string, unknown>, onEvent: (e: WatchEvent<unknown>) => void, done: (err: unknown) => void) {
    const w = { path, query, onEvent, done, stopped: false };
    this.watches.push(w);
    return () => {
      w.stopped = true;
    };
  }
  async request(method: string, path: string) {
    this.requests.push(`${method} ${path}`);
    if (!this.objects.has(path)) throw Object.assign(new Error('not found'), { status: 404 });
    return structuredClone(this.objects.get(path));
  }
  deploymentWatches() {
    return this.watches.filter((w) => w.path.endsWith('/deployments'));
  }
  podWatches() {
    return this.watches.filter((w) => w.path.endsWith('/pods'));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function dep(rv: string, observed: number, updated: number, available: number, revision = '2', reason?: string): Deployment {
  return {
    metadata: {
      name: 'api',
      namespace: 'ns',
      generation: 2,
      resourceVersion: rv,
      uid: 'u',
      annotations: { 'deployment.kubernetes.io/revision': revision },
    },
    spec: { replicas: 1, selector: { matchLabels: { app: 'api' } }, template: { spec: { containers: [{ name: 'app', image: 'img:2' }] } } },
    status: {
      observedGeneration: observed,
      replicas: 1,
      updatedReplicas: updated,
      availableReplicas: available,
      conditions: reason ? [{ type: 'Progressing', status: 'False', reason }] : [],
    },
  };
}

function pod(name: string, rs: string, reason: string): Pod {
  return {
    metadata: {
      name,
      labels: { app: 'api' },
      resourceVersion: '50',
      ownerReferences: [{ kind: 'ReplicaSet', name: rs, uid: rs, controller: true }],
    },
    spec: { containers: [{ name: 'app', image: 'img:2' }] },
    status: { phase: 'Pending', containerStatuses: [{ name: 'app', state: { waiting: { reason, message: `${reason} message` } } }] },
  };
}

const wait = (c: FakeClient, initial: Deployment, extra: Partial<Parameters<typeof waitForRollout>[2]> = {}) =>
  waitForRollout(c as unknown as KubeClient, initial, { timeoutMs: 2000, failureGraceMs: 50, logger: silentLogger, ...extra });

describe('waitForRollout', () => {
  it('re-opens a watch the server ended from the last resourceVersion it saw', async () => {
    const c = new FakeClient();
    const p = wait(c, dep('10', 1, 0, 0), { watchTimeoutSeconds: 1 });
    await tick();
    expect(c.deploymentWatches()).toHaveLength(1);
    const first = c.deploymentWatches()[0]!;
    expect(first.query).toMatchObject({
      fieldSelector: 'metadata.name=api',
      resourceVersion: '10',
      allowWatchBookmarks: 'true',
      timeoutSeconds: 1,
    });
    first.onEvent({ type: 'MODIFIED', object: dep('11', 2, 0, 0) });
    first.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } as Deployment });
    first.done(null); // the server ends watches by design
    await tick();
    const second = c.deploymentWatches()[1]!;
    expect(second.query.resourceVersion).toBe('15');
    second.onEvent({ type: 'MODIFIED', object: dep('16', 2, 1, 1) });
    await expect(p).resolves.toMatchObject({ ok: true, message: 'deployment "api" successfully rolled out' });
    expect(c.requests).toEqual([]); // no polling, no re-list
    expect(c.watches.every((w) => w.stopped)).toBe(true);
  });

  it('lists again and resumes from the new resourceVersion on 410 Gone', async () => {
    const c = new FakeClient();
    c.objects.set('/apis/apps/v1/namespaces/ns/deployments/api', dep('40', 2, 0, 0));
    const p = wait(c, dep('10', 1, 0, 0));
    await tick();
    const first = c.deploymentWatches()[0]!;
    first.onEvent({ type: 'ERROR', object: { code: 410, reason: 'Expired' } as unknown as Deployment });
    first.done(null);
    await tick();
    expect(c.requests).toEqual(['GET /apis/apps/v1/namespaces/ns/deployments/api']);
    const second = c.deploymentWatches()[1]!;
    expect(second.query.resourceVersion).toBe('40');
    second.onEvent({ type: 'MODIFIED', object: dep('41', 2, 1, 1) });
    await expect(p).resolves.toMatchObject({ ok: true });
  });

  it('retries a watch that fails to open, with backoff', async () => {
    const c = new FakeClient();
    let failures = 3;
    const real = c.watch.bind(c);
    c.watch = async (path, query, onEvent, done) => {
      if (path.endsWith('/deployments') && failures-- > 0) {
        done(new Error('ECONNRESET'));
        return () => {};
      }
      return real(path, query, onEvent, done);
    };
    const delays: number[] = [];
    const clock = {
      sleep: async (ms: number) => {
        delays.push(ms);
      },
      random: () => 0.5,
    };
    const p = wait(c, dep('10', 1, 0, 0), { timeoutMs: 5000, clock });
    await tick();
    // Three failed opens, three waits: 300 ms doubled each time, drawn from the upper half (random 0.5 → 3/4 of it).
    expect(delays).toEqual([225, 450, 900]);
    const w = c.deploymentWatches()[0]!;
    expect(w.query.resourceVersion).toBe('10');
    w.onEvent({ type: 'MODIFIED', object: dep('11', 2, 1, 1) });
    await expect(p).resolves.toMatchObject({ ok: true });
  });

  it('fails fast when a pod of the new ReplicaSet sits in ImagePullBackOff past the grace', async () => {
    const c = new FakeClient();
    c.objects.set('/apis/apps/v1/namespaces/ns/replicasets/api-new', {
      metadata: { name: 'api-new', annotations: { 'deployment.kubernetes.io/revision': '2' } },
    });
    const started = Date.now();
    const p = wait(c, dep('10', 2, 1, 0), { timeoutMs: 60_000 });
    await tick();
    expect(c.podWatches()[0]?.query).toMatchObject({ labelSelector: 'app=api' });
    c.podWatches()[0]!.onEvent({ type: 'ADDED', object: pod('api-new-x', 'api-new', 'ImagePullBackOff') });
    const out = await p;
    expect(out).toMatchObject({ ok: false, reason: 'PodFailure', pods: ['api-new-x'] });
    expect(out.ok ? '' : out.message).toBe('pod api-new-x: container app is in ImagePullBackOff (ImagePullBackOff message)');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ignores old pods in a bad state and pods that recover within the grace', async () => {
    const c = new FakeClient();
    c.objects.set('/apis/apps/v1/namespaces/ns/replicasets/api-old', {
      metadata: { name: 'api-old', annotations: { 'deployment.kubernetes.io/revision': '1' } },
    });
    const p = wait(c, dep('10', 2, 1, 0), { timeoutMs: 400 });
    await tick();
    const pods = c.podWatches()[0]!;
    pods.onEvent({ type: 'ADDED', object: pod('api-old-y', 'api-old', 'CrashLoopBackOff') });
    pods.onEvent({ type: 'ADDED', object: pod('api-new-z', 'api-new', 'ErrImagePull') });
    await tick();
    pods.onEvent({
      type: 'MODIFIED',
      object: { ...pod('api-new-z', 'api-new', 'ErrImagePull'), status: { containerStatuses: [{ name: 'app', state: { running: {} } }] } },
    });
    await expect(p).resolves.toMatchObject({ ok: false, reason: 'Timeout', message: expect.stringContaining('timed out after 0s') });
  });

  it('fails on ProgressDeadlineExceeded as kubectl does', async () => {
    const c = new FakeClient();
    const p = wait(c, dep('10', 2, 0, 0));
    await tick();
    c.deploymentWatches()[0]!.onEvent({ type: 'MODIFIED', object: dep('11', 2, 0, 0, '2', 'ProgressDeadlineExceeded') });
    await expect(p).resolves.toMatchObject({
      ok: false,
      reason: 'ProgressDeadlineExceeded',
      message: 'deployment "api" exceeded its progress deadline',
    });
  });

  it('ignores a deadline condition left by the previous rollout, but not a new one', async () => {
    const stale = dep('10', 2, 0, 0, '2', 'ProgressDeadlineExceeded');
    stale.status!.conditions![0]!.lastUpdateTime = '2026-01-01T00:00:00Z';
    const c = new FakeClient();
    const p = wait(c, { ...stale, metadata: { ...stale.metadata, generation: 3 } });
    await tick();
    const w = c.deploymentWatches()[0]!;
    w.onEvent({
      type: 'MODIFIED',
      object: {
        ...stale,
        metadata: { ...stale.metadata, generation: 3, resourceVersion: '11' },
        status: { ...stale.status, observedGeneration: 3 },
      },
    });
    await tick();
    w.onEvent({ type: 'MODIFIED', object: dep('12', 2, 1, 1) });
    await expect(p).resolves.toMatchObject({ ok: true });

    const c2 = new FakeClient();
    const p2 = wait(c2, { ...stale, metadata: { ...stale.metadata, generation: 3 } });
    await tick();
    const fresh = dep('13', 3, 0, 0, '2', 'ProgressDeadlineExceeded');
    fresh.metadata.generation = 3;
    fresh.status!.conditions![0]!.lastUpdateTime = '2026-01-01T00:10:00Z';
    c2.deploymentWatches()[0]!.onEvent({ type: 'MODIFIED', object: fresh });
    await expect(p2).resolves.toMatchObject({ ok: false, reason: 'ProgressDeadlineExceeded' });
  });

  it('stops when aborted (another Deployment failed)', async () => {
    const c = new FakeClient();
    const stop = new AbortController();
    const p = wait(c, dep('10', 1, 0, 0), { signal: stop.signal });
    await tick();
    stop.abort();
    await expect(p).resolves.toMatchObject({ ok: false, reason: 'Aborted' });
    expect(c.watches.every((w) => w.stopped)).toBe(true);
  });
});

/** A Deployment of `dep` renamed (its selector and pods follow the name). */
function named(name: string, d: Deployment): Deployment {
  return {
    ...d,
    metadata: { ...d.metadata, name },
    spec: { ...d.spec, selector: { matchLabels: { app: name } } },
  };
}

function podOf(app: string, name: string, reason: string): Pod {
  const p = pod(name, `${app}-new`, reason);
  return { ...p, metadata: { ...p.metadata, labels: { app } } };
}

describe("waitForRollout with the namespace's shared watches", () => {
  const sharedWait = (
    c: FakeClient,
    shared: SharedWatches,
    initial: Deployment,
    extra: Partial<Parameters<typeof waitForRollout>[2]> = {},
  ) => wait(c, initial, { shared, ...extra });

  it('opens one Deployment watch and one pod watch for the namespace, gives each wait its own events, closes both at the end', async () => {
    const c = new FakeClient();
    const shared = new SharedWatches(c as unknown as KubeClient, { logger: silentLogger });
    const a = sharedWait(c, shared, named('a', dep('10', 1, 0, 0)));
    const b = sharedWait(c, shared, named('b', dep('11', 1, 0, 0)));
    await tick();
    expect(c.watches.map((w) => w.path)).toEqual(['/apis/apps/v1/namespaces/ns/deployments', '/api/v1/namespaces/ns/pods']);
    // A fresh list of the namespace: no selector, no resourceVersion.
    for (const w of c.watches) expect(w.query).toEqual({ allowWatchBookmarks: 'true' });
    const [deployments, pods] = c.watches as [FakeClient['watches'][0], FakeClient['watches'][0]];
    deployments.onEvent({ type: 'ADDED', object: named('a', dep('20', 2, 1, 1)) });
    await expect(a).resolves.toMatchObject({ ok: true, message: 'deployment "a" successfully rolled out' });
    // b is still waiting: the streams stay open for it, and a's events do not finish it.
    expect(deployments.stopped).toBe(false);
    expect(pods.stopped).toBe(false);
    deployments.onEvent({ type: 'MODIFIED', object: named('a', dep('21', 2, 1, 1)) });
    deployments.onEvent({ type: 'MODIFIED', object: named('b', dep('22', 2, 1, 1)) });
    await expect(b).resolves.toMatchObject({ ok: true, message: 'deployment "b" successfully rolled out' });
    expect(c.watches).toHaveLength(2);
    expect(c.watches.every((w) => w.stopped)).toBe(true);
    expect(c.requests).toEqual([]);
  });

  it('fails only the Deployment whose own pods fail', async () => {
    const c = new FakeClient();
    for (const app of ['a', 'b'])
      c.objects.set(`/apis/apps/v1/namespaces/ns/replicasets/${app}-new`, {
        metadata: { name: `${app}-new`, annotations: { 'deployment.kubernetes.io/revision': '2' } },
      });
    const shared = new SharedWatches(c as unknown as KubeClient, { logger: silentLogger });
    const a = sharedWait(c, shared, named('a', dep('10', 2, 1, 0)), { timeoutMs: 60_000 });
    const b = sharedWait(c, shared, named('b', dep('11', 2, 1, 0)), { timeoutMs: 60_000 });
    await tick();
    c.podWatches()[0]!.onEvent({ type: 'ADDED', object: podOf('b', 'b-new-x', 'ImagePullBackOff') });
    await expect(b).resolves.toMatchObject({ ok: false, reason: 'PodFailure', pods: ['b-new-x'] });
    c.deploymentWatches()[0]!.onEvent({ type: 'MODIFIED', object: named('a', dep('12', 2, 1, 1)) });
    await expect(a).resolves.toMatchObject({ ok: true });
  });

  it('on 410 Gone every wait reads its Deployment again and the stream re-opens as a fresh list', async () => {
    const c = new FakeClient();
    c.objects.set('/apis/apps/v1/namespaces/ns/deployments/a', named('a', dep('40', 2, 0, 0)));
    c.objects.set('/apis/apps/v1/namespaces/ns/deployments/b', named('b', dep('41', 2, 1, 1)));
    const shared = new SharedWatches(c as unknown as KubeClient, { logger: silentLogger });
    const a = sharedWait(c, shared, named('a', dep('10', 1, 0, 0)));
    const b = sharedWait(c, shared, named('b', dep('11', 1, 0, 0)));
    await tick();
    const first = c.deploymentWatches()[0]!;
    first.onEvent({ type: 'MODIFIED', object: named('a', dep('30', 2, 0, 0)) });
    first.onEvent({ type: 'ERROR', object: { code: 410, reason: 'Expired' } as unknown as Deployment });
    first.done(null);
    // b is done by its re-read alone.
    await expect(b).resolves.toMatchObject({ ok: true });
    await tick();
    expect(c.requests.sort()).toEqual(['GET /apis/apps/v1/namespaces/ns/deployments/a', 'GET /apis/apps/v1/namespaces/ns/deployments/b']);
    const second = c.deploymentWatches()[1]!;
    expect(second.query.resourceVersion).toBeUndefined();
    second.onEvent({ type: 'ADDED', object: named('a', dep('42', 2, 1, 1)) });
    await expect(a).resolves.toMatchObject({ ok: true });
  });

  it('fails every wait with WatchFailed when the shared stream cannot be opened', async () => {
    const c = new FakeClient();
    c.watch = async (_path, _query, _onEvent, done) => {
      done(Object.assign(new Error('forbidden'), { statusCode: 403 }));
      return () => {};
    };
    const clock = { sleep: async () => {}, random: () => 0.5 };
    const shared = new SharedWatches(c as unknown as KubeClient, { logger: silentLogger, clock });
    const outcomes = await Promise.all([
      sharedWait(c, shared, named('a', dep('10', 1, 0, 0)), { clock }),
      sharedWait(c, shared, named('b', dep('11', 1, 0, 0)), { clock }),
    ]);
    for (const o of outcomes) expect(o).toMatchObject({ ok: false, reason: 'WatchFailed', message: expect.stringContaining('forbidden') });
  });

  it('has a wait that joins a stream already open read its Deployment instead of the first list', async () => {
    const c = new FakeClient();
    c.objects.set('/apis/apps/v1/namespaces/ns/deployments/b', named('b', dep('41', 2, 1, 1)));
    const shared = new SharedWatches(c as unknown as KubeClient, { logger: silentLogger });
    const a = sharedWait(c, shared, named('a', dep('10', 1, 0, 0)));
    await tick();
    const b = sharedWait(c, shared, named('b', dep('11', 1, 0, 0)));
    await expect(b).resolves.toMatchObject({ ok: true });
    expect(c.requests).toContain('GET /apis/apps/v1/namespaces/ns/deployments/b');
    expect(c.deploymentWatches()).toHaveLength(1);
    c.deploymentWatches()[0]!.onEvent({ type: 'MODIFIED', object: named('a', dep('12', 2, 1, 1)) });
    await expect(a).resolves.toMatchObject({ ok: true });
  });
});
