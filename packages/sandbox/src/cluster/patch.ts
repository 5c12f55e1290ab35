/**
 * The four patch types: JSON patch (fast-json-patch), JSON merge patch (RFC 7386), strategic
 * merge patch (lists merged by their patch merge key, `$patch`, `$setElementOrder`,
 * `$retainKeys`, `$deleteFromPrimitiveList` directives), and server-side apply with
 * `managedFields` (fields a manager stops applying are removed; conflicts are resolved in
 * favour of the applier, as with `force=true`).
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { badRequest, invalid } from './errors.ts';
import type { KObject, ManagedFieldsEntry } from './types.ts';
import { clone, isRecord } from './types.ts';

type Rec = Record<string, unknown>;

export function applyJsonPatch(target: KObject, ops: unknown, kind: string, group: string): KObject {
  if (!Array.isArray(ops))
    throw badRequest('the body of the request was in an unknown format: a JSON patch must be an array of operations');
  const doc = clone(target);
  try {
    const out = jsonpatch.applyPatch(doc, ops as Operation[], true, true).newDocument;
    return out as KObject;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    if (err.name === 'TEST_OPERATION_FAILED')
      throw invalid(kind, group, target.metadata.name ?? '', [
        { reason: 'FieldValueInvalid', message: 'the server rejected our request due to an error in our request' },
      ]);
    throw badRequest(`the server rejected our request due to an error in our request: ${(err.message ?? String(e)).split('\n')[0]}`);
  }
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Rec = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const NAME_KEYED = new Set(['containers', 'initContainers', 'ephemeralContainers', 'volumes', 'imagePullSecrets', 'env', 'resourceClaims']);
const MERGE_PRIMITIVES = new Set(['finalizers']);

/** The patch merge key of list field `field`, judged by its name and items. */
function mergeKeyOf(field: string, ...lists: unknown[]): string | undefined {
  if (NAME_KEYED.has(field)) return 'name';
  if (field === 'volumeMounts') return 'mountPath';
  if (field === 'volumeDevices') return 'devicePath';
  if (field === 'conditions') return 'type';
  if (field === 'ownerReferences') return 'uid';
  if (field === 'hostAliases') return 'ip';
  if (field === 'topologySpreadConstraints') return 'topologyKey';
  if (field === 'ports') {
    for (const l of lists)
      if (Array.isArray(l))
        for (const it of l) {
          if (isRecord(it) && 'containerPort' in it) return 'containerPort';
          if (isRecord(it) && 'port' in it) return 'port';
        }
    return 'port';
  }
  return undefined;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v))
    return v.filter((x) => !(isRecord(x) && x.$patch !== undefined && Object.keys(x).length === 1)).map(stripDirectives);
  if (!isRecord(v)) return v;
  const out: Rec = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function sameKey(a: unknown, b: unknown, key: string): boolean {
  return isRecord(a) && isRecord(b) && a[key] !== undefined && a[key] === b[key];
}

function mergeList(orig: unknown, patch: unknown[], key: string): unknown[] {
  if (patch.some((x) => isRecord(x) && x.$patch === 'replace')) return stripDirectives(patch) as unknown[];
  const out = Array.isArray(orig) ? [...orig] : [];
  for (const item of patch) {
    if (!isRecord(item)) {
      out.push(item);
      continue;
    }
    const idx = out.findIndex((x) => sameKey(x, item, key));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function reorder(list: unknown, order: unknown, key: string | undefined): unknown {
  if (!Array.isArray(list) || !Array.isArray(order)) return list;
  const pos = (x: unknown) => {
    let i = -1;
    for (let j = 0; j < order.length && i < 0; j++) if (key ? sameKey(order[j], x, key) : order[j] === x) i = j;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return list
    .map((x, i) => [x, i] as const)
    .sort((a, b) => pos(a[0]) - pos(b[0]) || a[1] - b[1])
    .map(([x]) => x);
}

export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Rec = isRecord(target) ? { ...target } : {};
  const orders: [string, unknown][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f]) && Array.isArray(v)) out[f] = (out[f] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const key = mergeKeyOf(k, out[k], v);
      if (key) out[k] = mergeList(out[k], v, key);
      else if (MERGE_PRIMITIVES.has(k)) out[k] = [...new Set([...(Array.isArray(out[k]) ? (out[k] as unknown[]) : []), ...v])];
      else out[k] = stripDirectives(v);
      continue;
    }
    if (isRecord(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
      continue;
    }
    out[k] = v;
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  for (const [f, order] of orders) if (f in out) out[f] = reorder(out[f], order, mergeKeyOf(f, out[f], order));
  return out;
}

// ---- server-side apply --------------------------------------------------------------------

export type FieldSet = Rec;

const SKIP_META = new Set(['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'selfLink']);

function keyStep(item: Rec, key: string): string {
  return `k:${JSON.stringify({ [key]: item[key] })}`;
}

/** The FieldsV1 set of the fields present in a (partial) object. */
export function fieldSet(v: unknown, top = true): FieldSet {
  const out: FieldSet = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$') || (top && (k === 'apiVersion' || k === 'kind' || k === 'status'))) continue;
    if (top && k === 'metadata' && isRecord(x)) {
      const meta: FieldSet = {};
      for (const [mk, mx] of Object.entries(x)) {
        if (SKIP_META.has(mk) || mk === 'name' || mk === 'namespace' || mk.startsWith('$')) continue;
        meta[`f:${mk}`] = isRecord(mx) ? fieldSet(mx, false) : {};
      }
      if (Object.keys(meta).length) out['f:metadata'] = meta;
      continue;
    }
    if (isRecord(x)) out[`f:${k}`] = fieldSet(x, false);
    else if (Array.isArray(x)) {
      const key = mergeKeyOf(k, x);
      if (key && x.every((i) => isRecord(i) && i[key] !== undefined)) {
        const l: FieldSet = {};
        for (const item of x as Rec[]) l[keyStep(item, key)] = { '.': {}, ...fieldSet(item, false) };
        out[`f:${k}`] = l;
      } else out[`f:${k}`] = {};
    } else out[`f:${k}`] = {};
  }
  return out;
}

function leafPaths(set: FieldSet, prefix: string[] = [], out: string[][] = []): string[][] {
  const keys = Object.keys(set);
  if (keys.length === 0) out.push(prefix);
  for (const k of keys) {
    if (k === '.') out.push(prefix);
    else leafPaths(set[k] as FieldSet, [...prefix, k], out);
  }
  return out;
}

function hasPath(set: FieldSet | undefined, path: string[]): boolean {
  let cur: unknown = set;
  for (const step of path) {
    if (!isRecord(cur) || !(step in cur)) return false;
    cur = cur[step];
  }
  return true;
}

function removePathFromSet(set: FieldSet, path: string[]): void {
  if (path.length === 0) return;
  const [first, ...rest] = path as [string, ...string[]];
  const child = set[first];
  if (!isRecord(child)) return;
  if (rest.length === 0) delete set[first];
  else {
    removePathFromSet(child, rest);
    if (Object.keys(child).length === 0) delete set[first];
  }
}

function deletePath(obj: unknown, path: string[]): void {
  let cur: unknown = obj;
  let parent: Rec | undefined;
  let parentKey = '';
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const last = i === path.length - 1;
    if (step.startsWith('f:')) {
      if (!isRecord(cur)) return;
      const k = step.slice(2);
      if (last) {
        delete cur[k];
        return;
      }
      parent = cur;
      parentKey = k;
      cur = cur[k];
    } else if (step.startsWith('k:')) {
      if (!Array.isArray(cur)) return;
      const want = JSON.parse(step.slice(2)) as Rec;
      const idx = cur.findIndex((x) => isRecord(x) && Object.entries(want).every(([wk, wv]) => x[wk] === wv));
      if (idx < 0) return;
      if (last) {
        cur.splice(idx, 1);
        // a list the manager emptied goes away with its last item
        if (cur.length === 0 && parent) delete parent[parentKey];
        return;
      }
      parent = undefined;
      cur = cur[idx];
    } else return;
  }
}

/** Merge for apply: maps recursively, keyed lists by key (config order first), everything else replaced. */
function applyMerge(live: unknown, config: unknown, field = ''): unknown {
  if (isRecord(config)) {
    const out: Rec = isRecord(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) out[k] = v === null ? null : applyMerge(out[k], v, k);
    for (const k of Object.keys(out)) if (out[k] === null) delete out[k];
    return out;
  }
  if (Array.isArray(config)) {
    const key = mergeKeyOf(field, config, live);
    if (!key || !Array.isArray(live)) return clone(config);
    const out: unknown[] = config.map((c) => {
      const l = live.find((x) => sameKey(x, c, key));
      return l === undefined ? clone(c) : applyMerge(l, c);
    });
    for (const l of live) if (!config.some((c) => sameKey(c, l, key))) out.push(l);
    return out;
  }
  return config;
}

export interface ApplyResult {
  object: KObject;
  managedFields: ManagedFieldsEntry[];
}

/** Server-side apply of `config` by `manager` onto `live` (undefined: the object is new). */
export function serverSideApply(live: KObject | undefined, config: KObject, manager: string, apiVersion: string, now: string): KObject {
  const entries = clone(live?.metadata.managedFields ?? []);
  const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const newSet = fieldSet(config);
  let base: KObject = live ? clone(live) : { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  if (mine) {
    for (const path of leafPaths(mine.fieldsV1)) {
      if (hasPath(newSet, path)) continue;
      if (entries.some((e) => e !== mine && hasPath(e.fieldsV1, path))) continue;
      const target = path[0] === 'f:metadata' ? base.metadata : base;
      deletePath(target, path[0] === 'f:metadata' ? path.slice(1) : path);
    }
  }
  const { metadata: cfgMeta, ...cfgRest } = config;
  base = applyMerge(base, cfgRest) as KObject;
  const meta = { ...cfgMeta };
  for (const k of SKIP_META) delete meta[k];
  base.metadata = applyMerge(base.metadata, meta) as KObject['metadata'];
  // the applier takes ownership of what it applies
  for (const e of entries) if (e !== mine) for (const path of leafPaths(newSet)) removePathFromSet(e.fieldsV1, path);
  const next = entries.filter((e) => e !== mine && Object.keys(e.fieldsV1).length > 0);
  next.push({ manager, operation: 'Apply', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1: newSet });
  base.metadata.managedFields = next;
  return base;
}

/** Records an Update by `manager` of the fields in `changed` in managedFields. */
export function recordUpdate(obj: KObject, changed: unknown, manager: string, apiVersion: string, now: string, subresource?: string): void {
  const set = fieldSet(changed);
  if (Object.keys(set).length === 0) return;
  const entries = (obj.metadata.managedFields ?? []).filter(
    (e) => !(e.manager === manager && e.operation === 'Update' && e.subresource === subresource),
  );
  const prev = (obj.metadata.managedFields ?? []).find(
    (e) => e.manager === manager && e.operation === 'Update' && e.subresource === subresource,
  );
  const merged = prev ? (mergePatch(prev.fieldsV1, set) as FieldSet) : set;
  const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1: merged };
  if (subresource) entry.subresource = subresource;
  entries.push(entry);
  obj.metadata.managedFields = entries;
}
