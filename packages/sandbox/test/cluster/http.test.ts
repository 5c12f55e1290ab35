/**
 * The API server over plain HTTPS (HTTP/1.1, and HTTP/2 for a client that offers it):
 * concurrency, watches, patch types, errors, GC, kubelet states, service traffic.
 */
import { once } from 'node:events';
import { type ClientHttp2Session, connect as connectH2, type IncomingHttpHeaders } from 'node:http2';
import { request } from 'node:https';
import { api, type Env, eventually, REGISTRY, startEnv, TOKEN, watchEvents } from './helpers.ts';

let env: Env;
const IMG = `${REGISTRY}/app:v1`;
const APPS = '/apis/apps/v1/namespaces/default/deployments';
const CMS = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  env = await startEnv();
  env.images.add(IMG);
  env.images.add(`${REGISTRY}/app:v2`);
});
afterAll(async () => {
  await env.close();
});

function deployment(name: string, containers: unknown[], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
      ...extra,
    },
  };
}

async function ready(name: string, ns = 'default') {
  return eventually(
    async () => {
      const d = (await api(env, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).json;
      const s = d.status ?? {};
      return s.observedGeneration === d.metadata.generation &&
        s.updatedReplicas === d.spec.replicas &&
        s.availableReplicas === d.spec.replicas &&
        (s.replicas ?? 0) === d.spec.replicas
        ? d
        : undefined;
    },
    15_000,
    `deployment ${name} available`,
  );
}

test('discovery, version and auth', async () => {
  expect((await api(env, 'GET', '/version', undefined, { token: null })).json.major).toBe('1');
  const unauth = await api(env, 'GET', '/api/v1/pods', undefined, { token: null });
  expect(unauth.status).toBe(401);
  expect(unauth.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  expect((await api(env, 'GET', '/api/v1/pods', undefined, { token: 'nope' })).status).toBe(401);
  const apps = (await api(env, 'GET', '/apis/apps/v1')).json;
  const deploy = apps.resources.find((r: { name: string }) => r.name === 'deployments');
  expect(deploy).toMatchObject({ kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'] });
  expect(apps.resources.find((r: { name: string }) => r.name === 'deployments/scale')).toMatchObject({
    group: 'autoscaling',
    version: 'v1',
    kind: 'Scale',
  });
  const core = (await api(env, 'GET', '/api/v1')).json;
  expect(core.resources.map((r: { name: string }) => r.name)).toEqual(
    expect.arrayContaining(['pods', 'pods/log', 'services', 'configmaps', 'secrets', 'events', 'serviceaccounts', 'namespaces']),
  );
  expect((await api(env, 'GET', '/api/v1/namespaces')).json.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(
    expect.arrayContaining(['default', 'kube-system']),
  );
});

test('errors are Status objects with the real reasons', async () => {
  const nf = await api(env, 'GET', `${APPS}/nope`);
  expect(nf.status).toBe(404);
  expect(nf.json).toMatchObject({
    reason: 'NotFound',
    message: 'deployments.apps "nope" not found',
    details: { name: 'nope', group: 'apps', kind: 'deployments' },
  });
  const nsMissing = await api(env, 'POST', '/api/v1/namespaces/ghost/configmaps', { metadata: { name: 'x' } });
  expect(nsMissing.status).toBe(404);
  expect(nsMissing.json.message).toBe('namespaces "ghost" not found');
  const bad = await api(env, 'POST', APPS, deployment('Bad.Name', [{ name: 'a', image: IMG }, { name: 'a' }]));
  expect(bad.status).toBe(422);
  expect(bad.json.reason).toBe('Invalid');
  expect(bad.json.details.causes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }),
      expect.objectContaining({ field: 'spec.template.spec.containers[1].name', reason: 'FieldValueDuplicate' }),
      expect.objectContaining({ field: 'spec.template.spec.containers[1].image', reason: 'FieldValueRequired' }),
    ]),
  );
  const mismatch = deployment('mismatch', [{ name: 'a', image: IMG }]);
  mismatch.spec.template.metadata.labels = { app: 'other' };
  const mm = await api(env, 'POST', APPS, mismatch);
  expect(mm.status).toBe(422);
  expect(mm.json.details.causes[0]).toMatchObject({
    field: 'spec.template.metadata.labels',
    message: expect.stringContaining('`selector` does not match template `labels`'),
  });
  expect(
    (await api(env, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } })).status,
  ).toBe(422);
  expect((await api(env, 'POST', CMS, { metadata: { name: 'dup' } })).status).toBe(201);
  const dup = await api(env, 'POST', CMS, { metadata: { name: 'dup' } });
  expect(dup.json).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  expect((await api(env, 'POST', `${CMS}/dup`, {})).status).toBe(405);
  expect((await api(env, 'PATCH', `${CMS}/dup`, '{}', { contentType: 'text/plain' })).status).toBe(415);
  expect((await api(env, 'GET', '/api/v1/pods?labelSelector=a%20in%20(b')).json).toMatchObject({ code: 400, reason: 'BadRequest' });
});

test('update with a stale resourceVersion gets 409 Conflict; generation moves only with the spec', async () => {
  await api(env, 'POST', CMS, { metadata: { name: 'occ' }, data: { a: '1' } });
  const first = (await api(env, 'GET', `${CMS}/occ`)).json;
  const ok = await api(env, 'PUT', `${CMS}/occ`, { ...first, metadata: { ...first.metadata, labels: { team: 'a' } } });
  expect(ok.status).toBe(200);
  expect(Number(ok.json.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
  const stale = await api(env, 'PUT', `${CMS}/occ`, { ...first, data: { a: '2' } });
  expect(stale.status).toBe(409);
  expect(stale.json).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('the object has been modified') });
  const unconditional = await api(env, 'PUT', `${CMS}/occ`, { metadata: { name: 'occ', labels: { team: 'a' } }, data: { a: '3' } });
  expect(unconditional.json.data).toEqual({ a: '3' });

  // patches carry no resourceVersion, so the controller's own status writes do not get in the way
  const created = (await api(env, 'POST', APPS, deployment('occ', [{ name: 'app', image: IMG }]))).json;
  expect(created.metadata).toMatchObject({
    generation: 1,
    uid: expect.any(String),
    creationTimestamp: expect.any(String),
    resourceVersion: expect.any(String),
  });
  const merge = { contentType: 'application/merge-patch+json' };
  expect((await api(env, 'PATCH', `${APPS}/occ`, { metadata: { labels: { team: 'a' } } }, merge)).json.metadata.generation).toBe(1);
  expect((await api(env, 'PATCH', `${APPS}/occ`, { spec: { replicas: 2 } }, merge)).json.metadata.generation).toBe(2);
  const immutable = await api(
    env,
    'PATCH',
    `${APPS}/occ`,
    { spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } } } } },
    merge,
  );
  expect(immutable.status).toBe(422);
  expect(immutable.json.details.causes).toEqual(
    expect.arrayContaining([expect.objectContaining({ field: 'spec.selector', message: expect.stringContaining('field is immutable') })]),
  );
});

test('a patch that changes nothing is not written, not even its manager; the stored object stays as it was', async () => {
  const created = (await api(env, 'POST', APPS, deployment('noop', [{ name: 'app', image: IMG }]))).json;
  await api(env, 'PATCH', `${APPS}/noop`, { metadata: { annotations: { note: 'a' } } }, { contentType: 'application/merge-patch+json' });
  const before = (await api(env, 'GET', `${APPS}/noop`)).json;
  // The same annotation and image again, from a manager that has written nothing yet.
  const same = { metadata: { annotations: { note: 'a' } }, spec: { template: { spec: { containers: [{ name: 'app', image: IMG }] } } } };
  for (const contentType of ['application/strategic-merge-patch+json', 'application/merge-patch+json']) {
    const r = await api(env, 'PATCH', `${APPS}/noop?fieldManager=newcomer`, same, { contentType });
    expect(r.status).toBe(200);
    expect(r.json.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  }
  const after = (await api(env, 'GET', `${APPS}/noop`)).json;
  expect(after.metadata.managedFields.map((f: { manager: string }) => f.manager)).not.toContain('newcomer');
  // A change is written, with its manager, and its generation moves on the new object only.
  const changed = await api(
    env,
    'PATCH',
    `${APPS}/noop?fieldManager=newcomer`,
    { spec: { replicas: 3 } },
    { contentType: 'application/merge-patch+json' },
  );
  expect(changed.json.metadata.generation).toBe(created.metadata.generation + 1);
  expect(changed.json.metadata.managedFields.map((f: { manager: string }) => f.manager)).toContain('newcomer');
  expect(after.metadata.generation).toBe(created.metadata.generation);
});

test('strategic merge patch merges containers and env by name; merge patch replaces lists; JSON patch', async () => {
  const d = deployment('smp', [
    {
      name: 'a',
      image: IMG,
      env: [
        { name: 'X', value: '1' },
        { name: 'Y', value: '2' },
      ],
    },
    { name: 'b', image: IMG },
  ]);
  await api(env, 'POST', APPS, d);
  const smp = await api(
    env,
    'PATCH',
    `${APPS}/smp`,
    {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'b', image: `${REGISTRY}/app:v2` },
              { name: 'a', env: [{ name: 'Y', value: '3' }] },
            ],
          },
        },
      },
    },
    { contentType: 'application/strategic-merge-patch+json' },
  );
  expect(smp.status).toBe(200);
  const cs = smp.json.spec.template.spec.containers;
  expect(cs.map((c: { name: string }) => c.name)).toEqual(['a', 'b']);
  expect(cs[0].image).toBe(IMG);
  expect(cs[0].env).toEqual([
    { name: 'X', value: '1' },
    { name: 'Y', value: '3' },
  ]);
  expect(cs[1].image).toBe(`${REGISTRY}/app:v2`);
  expect(smp.json.metadata.generation).toBe(2);
  const del = await api(
    env,
    'PATCH',
    `${APPS}/smp`,
    { spec: { template: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } } } },
    { contentType: 'application/strategic-merge-patch+json' },
  );
  expect(del.json.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['a']);
  const merge = await api(
    env,
    'PATCH',
    `${APPS}/smp`,
    { spec: { template: { spec: { containers: [{ name: 'c', image: IMG }] } } } },
    { contentType: 'application/merge-patch+json' },
  );
  expect(merge.json.spec.template.spec.containers).toHaveLength(1);
  expect(merge.json.spec.template.spec.containers[0]).toMatchObject({ name: 'c', image: IMG, imagePullPolicy: 'IfNotPresent' });
  const jp = await api(
    env,
    'PATCH',
    `${APPS}/smp`,
    [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels', value: { tier: 'web' } },
    ],
    { contentType: 'application/json-patch+json' },
  );
  expect(jp.json.spec.replicas).toBe(3);
  expect(jp.json.metadata.labels).toEqual({ tier: 'web' });
  const failing = await api(env, 'PATCH', `${APPS}/smp`, [{ op: 'test', path: '/spec/replicas', value: 9 }], {
    contentType: 'application/json-patch+json',
  });
  expect(failing.status).toBe(422);
});

test('server-side apply creates, records the manager, and removes fields the manager stops applying', async () => {
  const cfg = (data: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data });
  const created = await api(env, 'PATCH', `${CMS}/ssa?fieldManager=tool`, cfg({ a: '1', b: '2' }), {
    contentType: 'application/apply-patch+yaml',
  });
  expect(created.status).toBe(201);
  expect(created.json.metadata.managedFields[0]).toMatchObject({
    manager: 'tool',
    operation: 'Apply',
    fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } },
  });
  await api(env, 'PATCH', `${CMS}/ssa`, { data: { c: '3' } }, { contentType: 'application/merge-patch+json' });
  const second = await api(
    env,
    'PATCH',
    `${CMS}/ssa?fieldManager=tool`,
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "9"\n',
    { contentType: 'application/apply-patch+yaml' },
  );
  expect(second.status).toBe(200);
  expect(second.json.data).toEqual({ a: '9', c: '3' });
  const noManager = await api(env, 'PATCH', `${CMS}/ssa`, cfg({}), { contentType: 'application/apply-patch+yaml' });
  expect(noManager.status).toBe(400);

  // keyed lists: items merge by name; items (and a list) the manager stops applying go away
  const dep = (env_: { name: string; value: string }[] | undefined) =>
    JSON.stringify(deployment('ssa', [{ name: 'app', image: IMG, ...(env_ ? { env: env_ } : {}) }]));
  const url = `${APPS}/ssa?fieldManager=tool`;
  const ct = { contentType: 'application/apply-patch+yaml' };
  await api(
    env,
    'PATCH',
    url,
    dep([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]),
    ct,
  );
  const one = await api(env, 'PATCH', url, dep([{ name: 'B', value: '3' }]), ct);
  expect(one.json.spec.template.spec.containers[0].env).toEqual([{ name: 'B', value: '3' }]);
  expect(one.json.metadata.generation).toBe(2);
  const none = await api(env, 'PATCH', url, dep(undefined), ct);
  expect(none.json.spec.template.spec.containers[0].env).toBeUndefined();
  expect(none.json.spec.template.spec.containers[0].image).toBe(IMG);
});

test('label and field selectors', async () => {
  for (const [name, labels] of [
    ['s1', { tier: 'web', env: 'prod' }],
    ['s2', { tier: 'db', env: 'prod' }],
    ['s3', { tier: 'web' }],
  ] as const)
    await api(env, 'POST', CMS, { metadata: { name, labels } });
  const names = async (q: string) =>
    (await api(env, 'GET', `${CMS}?${q}`)).json.items
      .map((i: { metadata: { name: string } }) => i.metadata.name)
      .filter((n: string) => /^s\d$/.test(n));
  expect(await names('labelSelector=tier%3Dweb')).toEqual(['s1', 's3']);
  expect(await names('labelSelector=tier%3D%3Dweb,env')).toEqual(['s1']);
  expect(await names('labelSelector=tier!%3Dweb')).toEqual(['s2']);
  expect(await names(`labelSelector=${encodeURIComponent('tier in (db,cache)')}`)).toEqual(['s2']);
  expect(await names(`labelSelector=${encodeURIComponent('tier notin (db),!env')}`)).toEqual(['s3']);
  expect(await names('fieldSelector=metadata.name%3Ds2')).toEqual(['s2']);
  expect(await names('fieldSelector=metadata.name!%3Ds2,metadata.namespace%3Ddefault')).toEqual(['s1', 's3']);
});

test('watch: resume from a resourceVersion, bookmarks, timeoutSeconds, and 410 Gone when too old', async () => {
  const c = (await api(env, 'POST', CMS, { metadata: { name: 'w1' }, data: { n: '0' } })).json;
  const rv = c.metadata.resourceVersion;
  await api(env, 'PATCH', `${CMS}/w1`, { data: { n: '1' } }, { contentType: 'application/merge-patch+json' });
  await api(env, 'PATCH', `${CMS}/w1`, { data: { n: '2' } }, { contentType: 'application/merge-patch+json' });
  await api(env, 'DELETE', `${CMS}/w1`);
  const events = await watchEvents(env, `${CMS}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw1`, 3);
  expect(events.map((e) => [e.type, (e.object.data as { n: string } | undefined)?.n])).toEqual([
    ['MODIFIED', '1'],
    ['MODIFIED', '2'],
    ['DELETED', '2'],
  ]);
  const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
  expect(rvs).toEqual([...rvs].sort((a, b) => a - b));

  // the /watch/ path form, initial state as ADDED, and the end after timeoutSeconds with a bookmark
  await api(env, 'POST', CMS, { metadata: { name: 'w2' } });
  const started = Date.now();
  const timed = await watchEvents(
    env,
    '/api/v1/watch/namespaces/default/configmaps/w2?timeoutSeconds=1&allowWatchBookmarks=true',
    99,
    5000,
  );
  expect(Date.now() - started).toBeLessThan(4000);
  expect(timed[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'w2' } } });
  expect(timed.at(-1)?.type).toBe('BOOKMARK');

  // a server that keeps only 20 changes: an older resourceVersion is 410 Gone
  const small = await startEnv({ watchHistory: 20 });
  try {
    const w3 = (await api(small, 'POST', CMS, { metadata: { name: 'w3' } })).json;
    for (let i = 0; i < 25; i++)
      await api(small, 'PATCH', `${CMS}/w3`, { data: { i: String(i) } }, { contentType: 'application/merge-patch+json' });
    const gone = await watchEvents(small, `${CMS}?watch=1&resourceVersion=${w3.metadata.resourceVersion}`, 1);
    expect(gone[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const recent = await watchEvents(small, `${CMS}?watch=1&resourceVersion=${Number(w3.metadata.resourceVersion) + 10}`, 1);
    expect(recent[0]?.type).toBe('MODIFIED');
  } finally {
    await small.close();
  }
});

test('deployment rollout replaces pods within maxSurge/maxUnavailable, with events and revisions', async () => {
  const d = deployment('roll', [{ name: 'app', image: IMG }], {
    replicas: 4,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  });
  await api(env, 'POST', APPS, d);
  await ready('roll');
  const seen: number[] = [];
  const watcher = watchEvents(env, '/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Droll', 1000, 2500);
  await api(
    env,
    'PATCH',
    `${APPS}/roll`,
    { spec: { template: { spec: { containers: [{ name: 'app', image: `${REGISTRY}/app:v2` }] } } } },
    { contentType: 'application/strategic-merge-patch+json' },
  );
  const done = await ready('roll');
  expect(done.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
  expect(done.status.conditions).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
      expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }),
    ]),
  );
  const events = await watcher;
  const live = new Set<string>();
  for (const e of events) {
    if (e.type === 'DELETED') live.delete(e.object.metadata.name);
    else if (e.type === 'ADDED') live.add(e.object.metadata.name);
    seen.push(live.size);
  }
  expect(Math.max(...seen)).toBe(5); // never more than replicas + maxSurge
  const rs = (await api(env, 'GET', '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Droll')).json.items;
  expect(rs).toHaveLength(2);
  expect(rs.map((r: { spec: { replicas: number } }) => r.spec.replicas).sort()).toEqual([0, 4]);
  const evs = (
    await api(env, 'GET', `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Droll,reason%3DScalingReplicaSet`)
  ).json.items;
  expect(evs.map((e: { message: string }) => e.message)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^Scaled down replica set roll-\w+ from 1 to 0$/)]),
  );

  // Recreate: old pods go before new ones come
  await api(env, 'POST', APPS, deployment('recreate', [{ name: 'app', image: IMG }], { replicas: 2, strategy: { type: 'Recreate' } }));
  await ready('recreate');
  await api(
    env,
    'PATCH',
    `${APPS}/recreate`,
    { spec: { template: { spec: { containers: [{ name: 'app', image: `${REGISTRY}/app:v2` }] } } } },
    { contentType: 'application/strategic-merge-patch+json' },
  );
  const r = await ready('recreate');
  expect(r.status.updatedReplicas).toBe(2);

  // scale subresource
  const scale = await api(
    env,
    'PATCH',
    `${APPS}/recreate/scale`,
    { spec: { replicas: 1 } },
    { contentType: 'application/merge-patch+json' },
  );
  expect(scale.json).toMatchObject({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    spec: { replicas: 1 },
    status: { selector: 'app=recreate' },
  });
  expect((await ready('recreate')).status.readyReplicas).toBe(1);
});

test('deleting a deployment deletes its replica sets and pods; deleting a namespace deletes its contents', async () => {
  await api(env, 'POST', '/api/v1/namespaces', { metadata: { name: 'gc' } });
  await api(env, 'POST', '/apis/apps/v1/namespaces/gc/deployments', deployment('gone', [{ name: 'app', image: IMG }], { replicas: 2 }));
  await ready('gone', 'gc');
  await api(env, 'POST', '/api/v1/namespaces/gc/configmaps', { metadata: { name: 'left' } });
  const del = await api(env, 'DELETE', '/apis/apps/v1/namespaces/gc/deployments/gone', { propagationPolicy: 'Background' });
  expect(del.status).toBe(200);
  expect((await api(env, 'GET', '/apis/apps/v1/namespaces/gc/replicasets')).json.items).toHaveLength(0);
  expect((await api(env, 'GET', '/api/v1/namespaces/gc/pods')).json.items).toHaveLength(0);
  await api(env, 'DELETE', '/api/v1/namespaces/gc');
  expect((await api(env, 'GET', '/api/v1/namespaces/gc')).status).toBe(404);
  expect((await api(env, 'GET', '/api/v1/namespaces/gc/configmaps/left')).status).toBe(404);
  expect((await api(env, 'DELETE', '/api/v1/namespaces/default')).status).toBe(403);
  expect((await api(env, 'GET', '/api/v1/namespaces/default/status')).json.status.phase).toBe('Active');
});

async function podState(label: string): Promise<{ phase: string; waiting?: string; message?: string; ready: boolean }> {
  const p = (await api(env, 'GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${label}`)).json.items[0];
  const cs = p?.status?.containerStatuses?.[0];
  return { phase: p?.status?.phase, waiting: cs?.state?.waiting?.reason, message: cs?.state?.waiting?.message, ready: !!cs?.ready };
}

test('kubelet: ImagePullBackOff, InvalidImageName, CreateContainerConfigError, never ready', async () => {
  await api(env, 'POST', APPS, deployment('nopull', [{ name: 'app', image: `${REGISTRY}/app:absent` }]));
  const pull = await eventually(async () => {
    const s = await podState('nopull');
    return s.waiting === 'ImagePullBackOff' ? s : undefined;
  });
  expect(pull.message).toBe(`Back-off pulling image "${REGISTRY}/app:absent"`);
  const events = (
    await api(env, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind%3DPod,type%3DWarning')
  ).json.items.map((e: { message: string }) => e.message);
  expect(events).toEqual(expect.arrayContaining(['Error: ErrImagePull', 'Error: ImagePullBackOff']));

  await api(env, 'POST', APPS, deployment('badref', [{ name: 'app', image: 'UPPER/Case::x' }]));
  expect((await eventually(async () => ((await podState('badref')).waiting === 'InvalidImageName' ? 1 : undefined))) === 1).toBe(true);

  await api(env, 'POST', APPS, deployment('needscm', [{ name: 'app', image: IMG, envFrom: [{ configMapRef: { name: 'later' } }] }]));
  const cfg = await eventually(async () => {
    const s = await podState('needscm');
    return s.waiting === 'CreateContainerConfigError' ? s : undefined;
  });
  expect(cfg.message).toBe('configmap "later" not found');
  await api(env, 'POST', CMS, { metadata: { name: 'later' } });
  await ready('needscm');

  env.server.behaviours.set({ image: `${REGISTRY}/app:v2`, neverReady: true, readyDelayMs: 50 });
  try {
    await api(env, 'POST', APPS, deployment('stuck', [{ name: 'app', image: `${REGISTRY}/app:v2` }]));
    const s = await eventually(async () => {
      const st = await podState('stuck');
      return st.phase === 'Running' ? st : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await podState('stuck')).ready).toBe(false);
    expect(s.ready).toBe(false);
  } finally {
    env.server.behaviours.reset();
  }
});

test("changing a bare pod's image restarts its container with the new image", async () => {
  await api(env, 'POST', '/api/v1/namespaces/default/pods', {
    metadata: { name: 'swap' },
    spec: { containers: [{ name: 'app', image: IMG }] },
  });
  const status = async () => (await api(env, 'GET', '/api/v1/namespaces/default/pods/swap')).json.status?.containerStatuses?.[0];
  await eventually(async () => (await status())?.ready);
  const patched = await api(
    env,
    'PATCH',
    '/api/v1/namespaces/default/pods/swap',
    { spec: { containers: [{ name: 'app', image: `${REGISTRY}/app:v2` }] } },
    { contentType: 'application/strategic-merge-patch+json' },
  );
  expect(patched.status).toBe(200);
  const after = await eventually(async () => {
    const s = await status();
    return s?.ready && s.image === `${REGISTRY}/app:v2` ? s : undefined;
  });
  expect(after.restartCount).toBe(1);
  expect(after.lastState.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  expect((await api(env, 'GET', '/api/v1/namespaces/default/pods/swap/log')).text).toContain(`starting ${REGISTRY}/app:v2`);
  expect((await api(env, 'GET', '/api/v1/namespaces/default/pods/swap/log?previous=true')).text).toContain(`starting ${IMG}`);
  const forbidden = await api(
    env,
    'PATCH',
    '/api/v1/namespaces/default/pods/swap',
    { spec: { restartPolicy: 'Never' } },
    { contentType: 'application/merge-patch+json' },
  );
  expect(forbidden.status).toBe(422);
});

test('pod logs: container choice, tailLines, previous', async () => {
  await api(env, 'POST', '/api/v1/namespaces/default/pods', {
    metadata: { name: 'two' },
    spec: {
      containers: [
        { name: 'a', image: IMG },
        { name: 'b', image: IMG },
      ],
    },
  });
  await eventually(async () =>
    (await api(env, 'GET', '/api/v1/namespaces/default/pods/two')).json.status?.containerStatuses?.every(
      (c: { ready: boolean }) => c.ready,
    ),
  );
  const noContainer = await api(env, 'GET', '/api/v1/namespaces/default/pods/two/log');
  expect(noContainer.status).toBe(400);
  expect(noContainer.json.message).toBe('a container name must be specified for pod two, choose one of: [a b]');
  const log = await api(env, 'GET', '/api/v1/namespaces/default/pods/two/log?container=b');
  expect(log.text).toContain(`starting ${IMG}`);
  expect((await api(env, 'GET', '/api/v1/namespaces/default/pods/two/log?container=b&tailLines=1')).text).toBe('ready\n');
  const prev = await api(env, 'GET', '/api/v1/namespaces/default/pods/two/log?container=a&previous=true');
  expect(prev.json.message).toBe('previous terminated container "a" in pod "two" not found');
  // follow=true streams until the container stops (here: the pod is deleted)
  const followed = followText('/api/v1/namespaces/default/pods/two/log?container=a&follow=true');
  await new Promise((r) => setTimeout(r, 200));
  await api(env, 'DELETE', '/api/v1/namespaces/default/pods/two');
  expect(await followed).toContain(`starting ${IMG}`);
});

function followText(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, env.server.url), { headers: { Authorization: `Bearer ${TOKEN}` }, ca: env.ca }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTP/2 for a client that offers it, as kubectl does: bodies, a watch and a followed log as streams of one connection', async () => {
  const session: ClientHttp2Session = connectH2(env.server.url, { ca: env.ca });
  const auth = { authorization: `Bearer ${TOKEN}` };
  /** One request on the session, its answer read whole. */
  const ask = (method: string, path: string, body?: unknown) =>
    new Promise<{ head: IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const s = session.request(
        { ':method': method, ':path': path, ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
        { endStream: body === undefined },
      );
      let head: IncomingHttpHeaders = {};
      let text = '';
      s.on('response', (h) => (head = h));
      s.setEncoding('utf8');
      s.on('data', (c: string) => (text += c));
      s.on('end', () => resolve({ head, text }));
      s.on('error', reject);
      if (body !== undefined) s.end(JSON.stringify(body));
    });
  try {
    await once(session, 'connect');
    expect(session.alpnProtocol).toBe('h2');
    const created = await ask('POST', CMS, { metadata: { name: 'h2-a' }, data: { n: '1' } });
    expect(created.head[':status']).toBe(201);
    expect(JSON.parse((await ask('GET', `${CMS}/h2-a`)).text).data).toEqual({ n: '1' });

    // A watch: a 200 head without HTTP/1.1's chunked framing (HTTP/2 forbids it), then its events.
    const watch = session.request({ ':path': `${CMS}?watch=true&fieldSelector=metadata.name%3Dh2-b`, ...auth });
    const [head] = (await once(watch, 'response')) as [IncomingHttpHeaders];
    expect(head[':status']).toBe(200);
    expect(head['transfer-encoding']).toBeUndefined();
    const event = new Promise<{ type: string; object: { metadata: { name: string } } }>((resolve) => {
      let buf = '';
      watch.setEncoding('utf8');
      watch.on('data', (c: string) => {
        buf += c;
        if (buf.includes('\n')) resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
      });
    });
    await api(env, 'POST', CMS, { metadata: { name: 'h2-b' } }); // over HTTP/1.1
    expect(await event).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'h2-b' } } });
    watch.close();

    // A followed log streams until the container stops (the pod is deleted).
    await api(env, 'POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'h2-pod' },
      spec: { containers: [{ name: 'a', image: IMG }] },
    });
    await eventually(
      async () => (await api(env, 'GET', '/api/v1/namespaces/default/pods/h2-pod')).json.status?.containerStatuses?.[0]?.ready,
    );
    const followed = ask('GET', '/api/v1/namespaces/default/pods/h2-pod/log?follow=true');
    await new Promise((r) => setTimeout(r, 200));
    await api(env, 'DELETE', '/api/v1/namespaces/default/pods/h2-pod');
    expect((await followed).text).toContain(`starting ${IMG}`);
  } finally {
    session.close();
  }
});

test('service traffic answers like the Ready pods behind the selector, 503 without any', async () => {
  env.server.behaviours.set({ image: IMG, version: '1.4.2' });
  await api(env, 'POST', APPS, deployment('front', [{ name: 'app', image: IMG }], { replicas: 2 }));
  await api(env, 'POST', '/api/v1/namespaces/default/services', {
    metadata: { name: 'front' },
    spec: { selector: { app: 'front' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  await ready('front');
  const svc = await eventually(() => env.server.services().find((s) => s.name === 'front' && s.namespace === 'default'));
  const a = await fetch(`${svc.url}/health`);
  expect(a.status).toBe(200);
  const body = (await a.json()) as { pod: string };
  expect(body).toMatchObject({ image: IMG, version: '1.4.2', pod: expect.stringMatching(/^front-/) });
  const b = (await (await fetch(`${svc.url}/health`)).json()) as { pod: string };
  expect(b.pod).not.toBe(body.pod); // round robin over the two Ready pods

  env.server.behaviours.set({ image: `${REGISTRY}/app`, healthStatus: 500 });
  env.server.behaviours.set({ image: IMG, healthStatus: 500, version: '1.4.2' });
  expect((await fetch(`${svc.url}/health`)).status).toBe(500);
  expect((await fetch(`${svc.url}/anything`)).status).toBe(200);

  await api(env, 'PATCH', `${APPS}/front/scale`, { spec: { replicas: 0 } }, { contentType: 'application/merge-patch+json' });
  await eventually(async () => (await fetch(`${svc.url}/health`)).status === 503);
  await api(env, 'DELETE', '/api/v1/namespaces/default/services/front');
  expect(env.server.services().find((s) => s.name === 'front')).toBeUndefined();
  await expect(fetch(`${svc.url}/health`)).rejects.toThrow();
  env.server.behaviours.reset();
});

test('NodePort and LoadBalancer Services get node ports (kept on update) and a loopback ingress', async () => {
  const lb = (
    await api(env, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'lb' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    })
  ).json;
  const nodePort = lb.spec.ports[0].nodePort;
  expect(nodePort).toBeGreaterThanOrEqual(30000);
  expect(nodePort).toBeLessThanOrEqual(32767);
  expect(lb.status.loadBalancer.ingress).toEqual([{ ip: '127.0.0.1', ipMode: 'VIP' }]);
  expect(lb.spec.clusterIP).toMatch(/^10\.96\./);
  const patched = await api(
    env,
    'PATCH',
    '/api/v1/namespaces/default/services/lb',
    { spec: { ports: [{ port: 80, targetPort: 8080 }] } },
    { contentType: 'application/strategic-merge-patch+json' },
  );
  expect(patched.json.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080, nodePort });
  expect(patched.json.spec.clusterIP).toBe(lb.spec.clusterIP);
});

test('Table output for kubectl get', async () => {
  const t = await api(env, 'GET', '/apis/apps/v1/namespaces/default/deployments', undefined, {
    accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
  });
  expect(t.json.kind).toBe('Table');
  expect(t.json.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual([
    'Name',
    'Ready',
    'Up-to-date',
    'Available',
    'Age',
  ]);
  expect(t.json.rows[0].object.kind).toBe('PartialObjectMetadata');
});
