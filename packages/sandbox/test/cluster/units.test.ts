/** Pure parts of the API server: strategic merge directives, selectors, template hashes, ages, protobuf decoding, copies. */
import { podTemplateHash } from '../../src/cluster/controller.ts';
import { fieldSet, strategicMerge } from '../../src/cluster/patch.ts';
import { decodeProtobuf } from '../../src/cluster/protobuf.ts';
import { matchRequirements, parseLabelSelector, selectorString } from '../../src/cluster/selectors.ts';
import { humanDuration } from '../../src/cluster/table.ts';
import { clone } from '../../src/cluster/types.ts';
import { validImageReference } from '../../src/cluster/validation.ts';

test('strategic merge: $setElementOrder, $retainKeys, $deleteFromPrimitiveList, $patch replace, null deletes', () => {
  const live = {
    metadata: { finalizers: ['a', 'b'], labels: { x: '1', y: '2' } },
    spec: {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      containers: [
        { name: 'a', image: 'a:1', ports: [{ containerPort: 80, protocol: 'TCP' }] },
        { name: 'b', image: 'b:1' },
      ],
      nodeSelector: { disk: 'ssd', zone: 'a' },
    },
  };
  const out = strategicMerge(live, {
    metadata: { labels: { y: null }, '$deleteFromPrimitiveList/finalizers': ['a'] },
    spec: {
      strategy: { $retainKeys: ['type'], type: 'Recreate' },
      '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
      containers: [{ name: 'a', ports: [{ containerPort: 81 }] }],
      nodeSelector: { $patch: 'replace', zone: 'b' },
    },
  }) as Record<string, Record<string, unknown>>;
  expect(out.metadata).toEqual({ finalizers: ['b'], labels: { x: '1' } });
  expect(out.spec!.strategy).toEqual({ type: 'Recreate' });
  expect(out.spec!.containers).toEqual([
    { name: 'b', image: 'b:1' },
    { name: 'a', image: 'a:1', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 81 }] },
  ]);
  expect(out.spec!.nodeSelector).toEqual({ zone: 'b' });
});

test('fieldSet names keyed list items the way managedFields do', () => {
  expect(
    fieldSet({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
      status: {},
    }),
  ).toEqual({
    'f:metadata': { 'f:labels': { 'f:a': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:name': {}, 'f:image': {} } } },
  });
});

test('label selectors', () => {
  const reqs = parseLabelSelector('app=web, tier in (a, b),env!=prod,!canary,track');
  expect(matchRequirements(reqs, { app: 'web', tier: 'b', track: 'x' })).toBe(true);
  expect(matchRequirements(reqs, { app: 'web', tier: 'c', track: 'x' })).toBe(false);
  expect(matchRequirements(reqs, { app: 'web', tier: 'a', track: 'x', canary: '' })).toBe(false);
  expect(matchRequirements(reqs, { app: 'web', tier: 'a' })).toBe(false);
  expect(() => parseLabelSelector('a in b')).toThrow(/expected: '\('/);
  expect(selectorString({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 't', operator: 'NotIn', values: ['x', 'y'] }] })).toBe(
    'app=web,t notin (x,y)',
  );
});

test('the pod template hash ignores the pod-template-hash label and changes with the template', () => {
  const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } };
  const h = podTemplateHash(t);
  expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  expect(podTemplateHash({ ...t, metadata: { labels: { app: 'web', 'pod-template-hash': h } } })).toBe(h);
  expect(podTemplateHash({ ...t, spec: { containers: [{ name: 'c', image: 'i:2' }] } })).not.toBe(h);
  expect(podTemplateHash(t, 1)).not.toBe(h);
});

test('ages as kubectl prints them, image references', () => {
  expect(humanDuration(5_000)).toBe('5s');
  expect(humanDuration(150_000)).toBe('2m30s');
  expect(humanDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h5m');
  expect(humanDuration(50 * 3600_000)).toBe('2d2h');
  expect(validImageReference('127.0.0.1:5000/team/svc:v1.2')).toBe(true);
  expect(validImageReference(`nginx@sha256:${'a'.repeat(64)}`)).toBe(true);
  expect(validImageReference('Upper/Case')).toBe(false);
  expect(validImageReference('svc::v1')).toBe(false);
});

/** A tiny protobuf writer, enough to build what kubectl's typed clients send. */
function field(no: number, value: Buffer | string | number): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    let v = n;
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    return Buffer.from(out);
  };
  if (typeof value === 'number') return Buffer.concat([varint(no << 3), varint(value)]);
  const b = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
}

test('protobuf request bodies decode to the JSON shape', () => {
  const mapEntry = (k: string, v: Buffer | string) => Buffer.concat([field(1, k), field(2, v)]);
  const meta = Buffer.concat([field(1, 'creds'), field(3, ''), field(11, mapEntry('app', 'web')), field(8, Buffer.alloc(0))]);
  const secret = Buffer.concat([field(1, meta), field(2, mapEntry('password', Buffer.from('s3cret'))), field(3, 'Opaque')]);
  const typeMeta = Buffer.concat([field(1, 'v1'), field(2, 'Secret')]);
  const body = Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), field(1, typeMeta), field(2, secret)]);
  expect(decodeProtobuf(body)).toEqual({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', labels: { app: 'web' }, creationTimestamp: null },
    data: { password: Buffer.from('s3cret').toString('base64') },
    type: 'Opaque',
  });
  const replicas = Buffer.concat([field(1, Buffer.concat([field(1, 'd')])), field(2, Buffer.concat([field(1, 0)]))]);
  const dep = decodeProtobuf(
    Buffer.concat([Buffer.from('k8s\0'), field(1, Buffer.concat([field(1, 'apps/v1'), field(2, 'Deployment')])), field(2, replicas)]),
  );
  expect(dep.spec).toEqual({ replicas: 0 });
  expect(() => decodeProtobuf(Buffer.from('{}'))).toThrow(/protobuf/);
});

test('clone copies JSON data deeply: nothing of the copy is shared with the original', () => {
  const original = {
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'], generation: 2, deletionTimestamp: null },
    spec: { replicas: 1, paused: false, template: { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80 }] }] } } },
    status: { conditions: [] as unknown[], note: undefined },
  };
  const copy = clone(original);
  expect(copy).toStrictEqual(original); // the same keys (an undefined one too) and values
  copy.metadata.labels.app = 'changed';
  copy.metadata.finalizers.push('b');
  copy.spec.template.spec.containers[0]!.ports[0]!.containerPort = 8080;
  copy.status.conditions.push({ type: 'Available' });
  expect(original.metadata.labels.app).toBe('web');
  expect(original.metadata.finalizers).toEqual(['a']);
  expect(original.spec.template.spec.containers[0]!.ports[0]!.containerPort).toBe(80);
  expect(original.status.conditions).toEqual([]);
  expect(clone('text')).toBe('text');
  expect(clone(null)).toBeNull();
  expect(clone([1, [2, { x: 3 }]])).toEqual([1, [2, { x: 3 }]]);
});
