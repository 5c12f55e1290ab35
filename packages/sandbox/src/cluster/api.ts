/**
 * The API semantics on top of the store: create/update/patch/delete with namespaces, defaults,
 * validation, uid/creationTimestamp/generation, optimistic concurrency, status subresources,
 * managedFields, garbage collection of dependents, and Events.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { applyDefaults } from './defaults.ts';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound, statusOf } from './errors.ts';
import { applyJsonPatch, mergePatch, recordUpdate, serverSideApply, strategicMerge } from './patch.ts';
import { groupVersion, RESOURCES, type ResourceInfo } from './resources.ts';
import type { Store } from './store.ts';
import type { Deployment, KObject, ReplicaSet, Service } from './types.ts';
import { clone, isRecord } from './types.ts';
import { validate } from './validation.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface WriteOptions {
  manager?: string;
  dryRun?: boolean;
  force?: boolean;
  subresource?: string;
}

export function nowIso(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Five random characters from the alphabet Kubernetes uses for generated names. */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += ALPHANUMS[b % ALPHANUMS.length];
  return s;
}

function specOf(resource: string, o: KObject): string {
  if (resource === 'configmaps' || resource === 'secrets') return JSON.stringify([o.data, o.binaryData]);
  return JSON.stringify(o.spec ?? null);
}

/** The comparable form of stored objects, which are never changed once stored (Store.put). */
const comparableOfStored = new WeakMap<KObject, string>();

function comparable(o: KObject, stored = false): string {
  const known = stored ? comparableOfStored.get(o) : undefined;
  if (known !== undefined) return known;
  const { managedFields, resourceVersion: _r, ...meta } = o.metadata;
  const fields = managedFields?.map(({ time: _t, ...e }) => e);
  const text = JSON.stringify({ ...o, metadata: meta, fields });
  if (stored) comparableOfStored.set(o, text);
  return text;
}

export class Api {
  readonly store: Store;
  private readonly eventIndex = new Map<string, string>();
  private nextClusterIp = 10;
  private nextNodePort = 0;

  constructor(store: Store) {
    this.store = store;
  }

  info(resource: string): ResourceInfo {
    const r = RESOURCES.find((x) => x.name === resource);
    if (!r) throw notFound(resource, '', resource);
    return r;
  }

  get(resource: string, ns: string | undefined, name: string): KObject {
    const info = this.info(resource);
    const o = this.store.get(resource, info.namespaced ? ns : undefined, name);
    if (!o) throw notFound(resource, info.group, name);
    return o;
  }

  tryGet(resource: string, ns: string | undefined, name: string): KObject | undefined {
    return this.store.get(resource, ns, name);
  }

  private requireNamespace(info: ResourceInfo, ns: string | undefined): void {
    if (!info.namespaced) return;
    if (!ns) throw badRequest('the server could not find the requested resource: a namespace is required');
    const n = this.store.get('namespaces', undefined, ns);
    if (!n) throw notFound('namespaces', '', ns);
    if (n.metadata.deletionTimestamp)
      throw new ApiError(
        statusOf(403, 'Forbidden', `unable to create new content in namespace ${ns} because it is being terminated`, {
          name: ns,
          kind: 'namespaces',
        }),
      );
  }

  private checkBody(info: ResourceInfo, ns: string | undefined, body: unknown): KObject {
    if (!isRecord(body)) throw badRequest('the body of the request was in an unknown format');
    const obj = body as KObject;
    if (!isRecord(obj.metadata)) obj.metadata = {};
    if (obj.kind !== undefined && obj.kind !== info.kind)
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${groupVersion(info)}) or kind ${obj.kind} is not ${info.kind}`,
      );
    if (obj.apiVersion !== undefined && obj.apiVersion !== groupVersion(info))
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${groupVersion(info)})`);
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    if (info.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = ns;
    } else delete obj.metadata.namespace;
    return obj;
  }

  create(resource: string, ns: string | undefined, body: unknown, opts: WriteOptions = {}): KObject {
    const info = this.info(resource);
    this.requireNamespace(info, ns);
    const obj = clone(this.checkBody(info, ns, body));
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    applyDefaults(resource, obj);
    validate(info, obj);
    if (this.store.get(resource, obj.metadata.namespace, obj.metadata.name!)) throw alreadyExists(resource, info.group, obj.metadata.name!);
    const now = nowIso();
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = now;
    obj.metadata.generation = 1;
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    this.initialStatus(resource, obj);
    if (opts.manager) {
      obj.metadata.managedFields = [];
      recordUpdate(obj, body, opts.manager, obj.apiVersion, now);
    }
    if (opts.dryRun) return obj;
    const stored = this.store.put(resource, obj);
    if (resource === 'namespaces' && !this.store.get('serviceaccounts', obj.metadata.name, 'default'))
      this.create('serviceaccounts', obj.metadata.name, { metadata: { name: 'default' } });
    return stored;
  }

  private initialStatus(resource: string, obj: KObject): void {
    switch (resource) {
      case 'deployments':
      case 'replicasets':
        obj.status = {};
        break;
      case 'pods':
        obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
        break;
      case 'namespaces':
        obj.status = { phase: 'Active' };
        break;
      case 'services': {
        const s = obj as Service;
        if (s.spec.type !== 'ExternalName' && s.spec.clusterIP !== 'None') {
          const n = this.nextClusterIp++;
          s.spec.clusterIP = s.spec.clusterIP || `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
          s.spec.clusterIPs = [s.spec.clusterIP];
        }
        this.assignNodePorts(s);
        obj.status = { loadBalancer: s.spec.type === 'LoadBalancer' ? { ingress: [{ ip: '127.0.0.1', ipMode: 'VIP' }] } : {} };
        break;
      }
    }
  }

  /** NodePort and LoadBalancer Services get a node port (30000-32767) per port, kept across updates. */
  private assignNodePorts(s: Service, old?: Service): void {
    if (s.spec?.type !== 'NodePort' && s.spec?.type !== 'LoadBalancer') return;
    for (const p of s.spec.ports ?? []) {
      if (p.nodePort) continue;
      const prev = old?.spec?.ports?.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      p.nodePort = prev?.nodePort ?? 30000 + (this.nextNodePort++ % 2768);
    }
    if (s.spec.type === 'LoadBalancer') s.spec.allocateLoadBalancerNodePorts ??= true;
    s.spec.externalTrafficPolicy ??= 'Cluster';
  }

  /** PUT: replaces the object (or its status with subresource `status`). */
  update(resource: string, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): KObject {
    const info = this.info(resource);
    const old = this.get(resource, ns, name);
    const obj = clone(this.checkBody(info, info.namespaced ? ns : undefined, body));
    if (obj.metadata.name !== undefined && obj.metadata.name !== name)
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    obj.metadata.name = name;
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(resource, info.group, name);
    return this.commit(info, old, obj, body, opts);
  }

  /** Writes `next` over `old`: keeps system metadata, applies status rules, defaults, validates, bumps generation. */
  private commit(info: ResourceInfo, old: KObject, next: KObject, changed: unknown, opts: WriteOptions): KObject {
    const resource = info.name;
    let obj: KObject;
    if (opts.subresource === 'status') {
      obj = { ...clone(old), status: next.status };
    } else {
      obj = next;
      if (info.statusSubresource) obj.status = clone(old.status);
      if (resource === 'services') {
        const s = obj as Service;
        if (s.spec && !s.spec.clusterIP) {
          s.spec.clusterIP = (old as Service).spec.clusterIP;
          s.spec.clusterIPs = (old as Service).spec.clusterIPs;
        }
        if (s.spec) this.assignNodePorts(s, old as Service);
      }
    }
    obj.metadata.uid = old.metadata.uid;
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
    obj.metadata.generation = old.metadata.generation;
    if (old.metadata.deletionTimestamp) obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    obj.metadata.namespace = old.metadata.namespace;
    if (obj.metadata.managedFields === undefined && old.metadata.managedFields)
      obj.metadata.managedFields = clone(old.metadata.managedFields);
    applyDefaults(resource, obj);
    validate(info, obj, old);
    if (specOf(resource, obj) !== specOf(resource, old)) obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
    obj.metadata.resourceVersion = old.metadata.resourceVersion;
    // An update that changes nothing is not written: the API server gives an update's manager
    // the fields it changed, none here, so not even managedFields move.
    if (comparable(obj) === comparable(old, true)) return old;
    if (opts.manager && opts.manager !== 'sandbox-apply')
      recordUpdate(obj, changed, opts.manager, obj.apiVersion, nowIso(), opts.subresource);
    if (opts.dryRun) return obj;
    return this.store.put(resource, obj);
  }

  patch(resource: string, ns: string | undefined, name: string, type: PatchType, body: unknown, opts: WriteOptions = {}): KObject {
    const info = this.info(resource);
    const old = info.namespaced ? this.store.get(resource, ns, name) : this.store.get(resource, undefined, name);
    if (type === 'apply') {
      const cfg = this.checkBody(info, info.namespaced ? ns : undefined, body);
      if (cfg.metadata.name !== undefined && cfg.metadata.name !== name)
        throw badRequest(`the name of the object (${cfg.metadata.name}) does not match the name on the URL (${name})`);
      cfg.metadata.name = name;
      const manager = opts.manager;
      if (!manager) throw badRequest('PATCH, application/apply-patch+yaml requests must have a fieldManager');
      if (!old) {
        const created = serverSideApply(undefined, cfg, manager, groupVersion(info), nowIso());
        return this.create(resource, ns, created, { ...opts, manager: undefined });
      }
      if (cfg.metadata.resourceVersion && cfg.metadata.resourceVersion !== old.metadata.resourceVersion)
        throw conflict(resource, info.group, name);
      const target = opts.subresource === 'status' ? old : old;
      const applied = serverSideApply(target, cfg, manager, groupVersion(info), nowIso());
      return this.commit(info, old, applied, body, { ...opts, manager: 'sandbox-apply' });
    }
    if (!old) throw notFound(resource, info.group, name);
    // Merge and strategic merge copy only what the patch touches: given the stored object, the
    // rest of the result would be the stored object's own parts, which commit() then changes
    // (generation, managedFields) in place. A copy keeps the stored object as it was.
    let next: unknown;
    if (type === 'json') next = applyJsonPatch(old, body, info.kind, info.group);
    else if (type === 'merge') next = mergePatch(clone(old), body);
    else next = strategicMerge(clone(old), body);
    if (!isRecord(next)) throw badRequest('the patch did not produce an object');
    const obj = next as KObject;
    if (!isRecord(obj.metadata)) obj.metadata = {};
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(resource, info.group, name);
    if (obj.metadata.name !== name) throw badRequest(`metadata.name: Invalid value: "${String(obj.metadata.name)}": field is immutable`);
    if (obj.metadata.uid !== old.metadata.uid)
      throw invalid(info.kind, info.group, name, [
        { reason: 'FieldValueInvalid', message: `Invalid value: "${String(obj.metadata.uid)}": field is immutable`, field: 'metadata.uid' },
      ]);
    if (info.namespaced && obj.metadata.namespace !== old.metadata.namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (opts.subresource === 'status') return this.commit(info, old, { ...clone(old), status: obj.status }, body, opts);
    return this.commit(info, old, obj, body, opts);
  }

  delete(
    resource: string,
    ns: string | undefined,
    name: string,
    opts: { propagationPolicy?: string; dryRun?: boolean; preconditions?: { uid?: string; resourceVersion?: string } } = {},
  ): KObject {
    const info = this.info(resource);
    const old = this.get(resource, ns, name);
    if (opts.preconditions?.uid && opts.preconditions.uid !== old.metadata.uid)
      throw conflict(
        resource,
        info.group,
        name,
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(
        resource,
        info.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    if (resource === 'namespaces' && (name === 'default' || name === 'kube-system' || name === 'kube-public'))
      throw new ApiError(
        statusOf(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' }),
      );
    if (opts.dryRun) return old;
    if (resource === 'namespaces') {
      for (const r of RESOURCES)
        if (r.namespaced) for (const o of this.store.list(r.name, name)) this.store.remove(r.name, name, o.metadata.name!);
      return this.store.remove(resource, undefined, name)!;
    }
    const gone = this.store.remove(resource, info.namespaced ? ns : undefined, name)!;
    this.collectDependents(old, opts.propagationPolicy ?? 'Background');
    return gone;
  }

  /** Garbage collection: dependents (by ownerReferences) are deleted, or orphaned with `Orphan`. */
  private collectDependents(owner: KObject, policy: string): void {
    const uid = owner.metadata.uid;
    const ns = owner.metadata.namespace;
    if (!ns) return;
    for (const r of RESOURCES) {
      if (!r.namespaced) continue;
      for (const o of this.store.list(r.name, ns)) {
        if (!o.metadata.ownerReferences?.some((ref) => ref.uid === uid)) continue;
        if (policy === 'Orphan') {
          const next = clone(o);
          next.metadata.ownerReferences = o.metadata.ownerReferences.filter((ref) => ref.uid !== uid);
          if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
          this.store.put(r.name, next);
        } else if (this.store.get(r.name, ns, o.metadata.name!)) {
          this.store.remove(r.name, ns, o.metadata.name!);
          this.collectDependents(o, 'Background');
        }
      }
    }
  }

  /** Internal write used by the controllers: mutates a copy of the current object and stores it when something changed. */
  mutate<T extends KObject>(resource: string, ns: string | undefined, name: string, fn: (o: T) => void): T | undefined {
    const cur = this.store.get(resource, ns, name);
    if (!cur) return undefined;
    const next = clone(cur) as T;
    fn(next);
    if (comparable(next) === comparable(cur, true)) return cur as T;
    if (specOf(resource, next) !== specOf(resource, cur)) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    return this.store.put(resource, next) as T;
  }

  /** Records an Event about `obj`, aggregating repeats (count, lastTimestamp) as the event recorder does. */
  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, fieldPath?: string): void {
    const ns = obj.metadata.namespace ?? 'default';
    if (!this.store.get('namespaces', undefined, ns)) return;
    const key = `${obj.metadata.uid}|${reason}|${message}|${fieldPath ?? ''}`;
    const now = nowIso();
    const existing = this.eventIndex.get(key);
    if (existing) {
      const updated = this.mutate('events', ns, existing, (e) => {
        e.count = ((e.count as number) ?? 1) + 1;
        e.lastTimestamp = now;
      });
      if (updated) return;
    }
    const name = `${obj.metadata.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
    const involvedObject: Record<string, unknown> = {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    const ev: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns, uid: randomUUID(), creationTimestamp: now, generation: 1 },
      involvedObject,
      reason,
      message,
      source: component === 'kubelet' ? { component, host: 'sandbox-node' } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? 'sandbox-node' : '',
    };
    this.store.put('events', ev);
    this.eventIndex.set(key, name);
    if (this.eventIndex.size > 20_000) this.eventIndex.clear();
  }

  /** `deployments/NAME/scale` as an autoscaling/v1 Scale. */
  scaleOf(o: Deployment | ReplicaSet, selector: string): KObject {
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: o.spec.replicas ?? 0 },
      status: { replicas: o.status?.replicas ?? 0, selector },
    };
  }
}
