/**
 * The deployment and replica set controllers, event-driven: every store change of a
 * Deployment, ReplicaSet or Pod queues the object (or its owner) and a batch is synced on the
 * next turn of the event loop. Timers are only used for deadlines (progressDeadlineSeconds,
 * minReadySeconds). The algorithms follow kube-controller-manager's: RollingUpdate with
 * maxSurge/maxUnavailable, Recreate, revisions, rollback re-using an old ReplicaSet,
 * revisionHistoryLimit, paused, conditions and status counts.
 */
import type { Api } from './api.ts';
import { nowIso, randomSuffix } from './api.ts';
import type { StoreEvent } from './store.ts';
import type { Condition, Deployment, KObject, LabelSelector, Pod, PodTemplateSpec, ReplicaSet } from './types.ts';
import { clone } from './types.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
const HASH = 'pod-template-hash';
const SKIP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Key-sorted JSON of a value. packages/kube/src/undo.ts has the same function on purpose: the
 * sandbox stands in for the real API server, and its controller must not share code with the
 * client it tests (a bug in one copy must not hide in both).
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function withoutHash(t: PodTemplateSpec): PodTemplateSpec {
  const c = clone(t);
  if (c.metadata?.labels) {
    delete c.metadata.labels[HASH];
  }
  if (c.metadata) delete c.metadata.creationTimestamp;
  return c;
}

/** The canonical text of templates already seen: templates of stored objects never change. */
const templateTexts = new WeakMap<PodTemplateSpec, string>();

/** canonical(withoutHash(t)), what a template is compared and hashed by. */
function templateText(t: PodTemplateSpec): string {
  let text = templateTexts.get(t);
  if (text === undefined) {
    text = canonical(withoutHash(t));
    templateTexts.set(t, text);
  }
  return text;
}

/** FNV-1a 32 of the template, encoded like rand.SafeEncodeString. */
export function podTemplateHash(t: PodTemplateSpec, collisionCount = 0): string {
  const text = templateText(t) + (collisionCount ? String(collisionCount) : '');
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

function templatesEqual(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return templateText(a) === templateText(b);
}

function revisionOf(o: KObject): number {
  const v = Number(o.metadata.annotations?.[REVISION] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

/** intstr.GetScaledValueFromIntOrPercent. */
function scaled(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const p = Number.parseInt(v, 10);
  if (Number.isNaN(p)) return 0;
  return roundUp ? Math.ceil((p * total) / 100) : Math.floor((p * total) / 100);
}

function surgeAndUnavailable(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return { surge: 0, unavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const surge = scaled(ru.maxSurge ?? '25%', replicas, true);
  let unavailable = scaled(ru.maxUnavailable ?? '25%', replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

function podReady(p: Pod): Condition | undefined {
  return p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
}

function ownedBy(o: KObject, uid: string | undefined): boolean {
  return !!o.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid);
}

export class Controllers {
  private readonly api: Api;
  private readonly queue = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(api: Api) {
    this.api = api;
  }

  start(): void {
    this.api.store.subscribe((e) => this.onChange(e));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private onChange(e: StoreEvent): void {
    if (this.stopped) return;
    const o = e.object;
    const ns = o.metadata.namespace;
    if (e.resource === 'deployments') this.enqueue(`deployments|${ns}|${o.metadata.name}`);
    else if (e.resource === 'replicasets') {
      this.enqueue(`replicasets|${ns}|${o.metadata.name}`);
      for (const r of o.metadata.ownerReferences ?? [])
        if (r.controller && r.kind === 'Deployment') this.enqueue(`deployments|${ns}|${r.name}`);
    } else if (e.resource === 'pods') {
      for (const r of o.metadata.ownerReferences ?? [])
        if (r.controller && r.kind === 'ReplicaSet') this.enqueue(`replicasets|${ns}|${r.name}`);
    }
  }

  private enqueue(key: string): void {
    this.queue.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }

  private later(key: string, ms: number): void {
    const prev = this.timers.get(key);
    if (prev) clearTimeout(prev);
    const t = setTimeout(
      () => {
        this.timers.delete(key);
        this.enqueue(key);
      },
      Math.max(0, ms),
    );
    t.unref();
    this.timers.set(key, t);
  }

  private run(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const keys = [...this.queue];
    this.queue.clear();
    for (const key of keys) {
      const [resource, ns, name] = key.split('|') as [string, string, string];
      try {
        if (resource === 'replicasets') this.syncReplicaSet(ns, name);
        else this.syncDeployment(ns, name);
      } catch (e) {
        // a conflicting write or a deleted namespace: try again on the next change
        if (!(e instanceof Error && /not found/.test(e.message))) this.later(key, 200);
      }
    }
  }

  // ---- ReplicaSet controller ----------------------------------------------------------------

  private syncReplicaSet(ns: string, name: string): void {
    const rs = this.api.store.get('replicasets', ns, name) as ReplicaSet | undefined;
    if (!rs) return;
    const pods = (this.api.store.list('pods', ns) as Pod[]).filter((p) => ownedBy(p, rs.metadata.uid) && !p.metadata.deletionTimestamp);
    const want = rs.spec.replicas ?? 1;
    let live = pods;
    if (pods.length < want) {
      const created: Pod[] = [];
      for (let i = pods.length; i < want; i++) {
        const t = rs.spec.template;
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${rs.metadata.name}-${randomSuffix()}`,
            generateName: `${rs.metadata.name}-`,
            namespace: ns,
            labels: { ...(t.metadata?.labels ?? {}) },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: rs.metadata.name!,
                uid: rs.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: clone(t.spec),
        } as Pod;
        if (t.metadata?.annotations) pod.metadata.annotations = { ...t.metadata.annotations };
        const p = this.api.create('pods', ns, pod) as Pod;
        created.push(p);
        this.api.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, 'replicaset-controller');
      }
      live = [...pods, ...created];
    } else if (pods.length > want) {
      const rank = (p: Pod) => [
        p.spec.nodeName ? 1 : 0,
        p.status?.phase === 'Running' ? 2 : p.status?.phase === 'Pending' ? 0 : 1,
        podReady(p) ? 1 : 0,
      ];
      const sorted = [...pods].sort((a, b) => {
        const ra = rank(a);
        const rb = rank(b);
        for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
        return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
      });
      const doomed = sorted.slice(0, pods.length - want);
      for (const p of doomed) {
        if (this.api.store.get('pods', ns, p.metadata.name!)) {
          this.api.delete('pods', ns, p.metadata.name!);
          this.api.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'replicaset-controller');
        }
      }
      live = pods.filter((p) => !doomed.includes(p));
    }
    const minReady = (rs.spec.minReadySeconds ?? 0) * 1000;
    let ready = 0;
    let available = 0;
    let nextCheck = Number.POSITIVE_INFINITY;
    for (const p of live) {
      const c = podReady(p);
      if (!c) continue;
      ready++;
      const since = Date.parse(c.lastTransitionTime ?? '') || 0;
      const left = since + minReady - Date.now();
      if (minReady === 0 || left <= 0) available++;
      else nextCheck = Math.min(nextCheck, left);
    }
    if (Number.isFinite(nextCheck)) this.later(`replicasets|${ns}|${name}`, nextCheck + 50);
    this.api.mutate<ReplicaSet>('replicasets', ns, name, (o) => {
      o.status = {
        replicas: live.length,
        fullyLabeledReplicas: live.length,
        readyReplicas: ready,
        availableReplicas: available,
        observedGeneration: o.metadata.generation,
      };
      if (!ready) delete o.status.readyReplicas;
      if (!available) delete o.status.availableReplicas;
      if (!live.length) delete o.status.fullyLabeledReplicas;
    });
  }

  // ---- Deployment controller ----------------------------------------------------------------

  private replicaSetsOf(d: Deployment): ReplicaSet[] {
    return (this.api.store.list('replicasets', d.metadata.namespace) as ReplicaSet[]).filter((rs) => ownedBy(rs, d.metadata.uid));
  }

  private scale(d: Deployment, rs: ReplicaSet, to: number): ReplicaSet {
    const from = rs.spec.replicas ?? 0;
    const { surge } = surgeAndUnavailable(d);
    const replicas = d.spec.replicas ?? 1;
    const out = this.api.mutate<ReplicaSet>('replicasets', rs.metadata.namespace, rs.metadata.name!, (o) => {
      o.spec.replicas = to;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [DESIRED]: String(replicas), [MAX_REPLICAS]: String(replicas + surge) };
    });
    if (from !== to)
      this.api.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`,
        'deployment-controller',
      );
    return out ?? rs;
  }

  private copiedAnnotations(d: Deployment): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!SKIP_ANNOTATIONS.has(k)) out[k] = v;
    return out;
  }

  /** Finds the ReplicaSet for the current template, syncing its revision; creates it when asked. */
  private newReplicaSet(d: Deployment, all: ReplicaSet[], create: boolean, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
    const existing = all.find((rs) => templatesEqual(rs.spec.template, d.spec.template));
    const maxOld = Math.max(0, ...oldRSs.map(revisionOf));
    const newRevision = maxOld + 1;
    const ns = d.metadata.namespace!;
    const { surge } = surgeAndUnavailable(d);
    const replicas = d.spec.replicas ?? 1;
    if (existing) {
      const rev = revisionOf(existing);
      const updated = this.api.mutate<ReplicaSet>('replicasets', ns, existing.metadata.name!, (o) => {
        const a = { ...(o.metadata.annotations ?? {}), ...this.copiedAnnotations(d) };
        if (rev < newRevision) {
          if (rev > 0) a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${rev}` : String(rev);
          a[REVISION] = String(newRevision);
        }
        a[DESIRED] = String(replicas);
        a[MAX_REPLICAS] = String(replicas + surge);
        o.metadata.annotations = a;
        if (o.spec.minReadySeconds !== d.spec.minReadySeconds) o.spec.minReadySeconds = d.spec.minReadySeconds;
        if (o.spec.minReadySeconds === undefined) delete o.spec.minReadySeconds;
      });
      const rs = updated ?? existing;
      const revision = String(revisionOf(rs));
      this.api.mutate<Deployment>('deployments', ns, d.metadata.name!, (o) => {
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: revision };
        const cond = o.status?.conditions?.find((c) => c.type === 'Progressing');
        if (!cond && o.spec.progressDeadlineSeconds !== undefined) {
          o.status ??= {};
          setCondition(o.status, 'Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`);
        }
      });
      return rs;
    }
    if (!create) return undefined;
    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
    const template = clone(d.spec.template);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [HASH]: hash };
    const selector: LabelSelector = clone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH]: hash };
    const newReplicas = this.newRSReplicas(d, oldRSs, 0);
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...(d.spec.template.metadata?.labels ?? {}), [HASH]: hash },
        annotations: {
          ...this.copiedAnnotations(d),
          [REVISION]: String(newRevision),
          [DESIRED]: String(replicas),
          [MAX_REPLICAS]: String(replicas + surge),
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name!,
            uid: d.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { replicas: newReplicas, selector, template },
    };
    if (d.spec.minReadySeconds) rs.spec.minReadySeconds = d.spec.minReadySeconds;
    let created: ReplicaSet;
    try {
      created = this.api.create('replicasets', ns, rs) as ReplicaSet;
    } catch (e) {
      // a ReplicaSet with that name but another template: bump collisionCount and retry
      this.api.mutate<Deployment>('deployments', ns, d.metadata.name!, (o) => {
        o.status ??= {};
        o.status.collisionCount = (o.status.collisionCount ?? 0) + 1;
      });
      throw e;
    }
    if (newReplicas > 0)
      this.api.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${newReplicas}`,
        'deployment-controller',
      );
    this.api.mutate<Deployment>('deployments', ns, d.metadata.name!, (o) => {
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: String(newRevision) };
      if (o.spec.progressDeadlineSeconds !== undefined) {
        o.status ??= {};
        setCondition(o.status, 'Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`, true);
      }
    });
    return created;
  }

  /** deploymentutil.NewRSNewReplicas */
  private newRSReplicas(d: Deployment, oldRSs: ReplicaSet[], current: number): number {
    const replicas = d.spec.replicas ?? 1;
    if (d.spec.strategy?.type === 'Recreate') return replicas;
    const { surge } = surgeAndUnavailable(d);
    const currentPodCount = oldRSs.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0) + current;
    const maxTotal = replicas + surge;
    if (currentPodCount >= maxTotal) return current;
    const up = Math.min(maxTotal - currentPodCount, replicas - current);
    return current + Math.max(0, up);
  }

  private syncDeployment(ns: string, name: string): void {
    let d = this.api.store.get('deployments', ns, name) as Deployment | undefined;
    if (!d || d.metadata.deletionTimestamp) return;
    const all = this.replicaSetsOf(d);
    const current = all.find((rs) => templatesEqual(rs.spec.template, d!.spec.template));
    const oldRSs = all.filter((rs) => rs !== current);
    const replicas = d.spec.replicas ?? 1;

    if (d.spec.paused) {
      // only scaling while paused: keep the active ReplicaSets at the desired size
      const active = current ?? [...oldRSs].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      if (active && oldRSs.every((rs) => rs === active || (rs.spec.replicas ?? 0) === 0) && (active.spec.replicas ?? 0) !== replicas)
        this.scale(d, active, replicas);
      this.syncStatus(ns, name, current, oldRSs, false);
      return;
    }

    let newRS: ReplicaSet | undefined;
    if (d.spec.strategy?.type === 'Recreate') {
      newRS = this.newReplicaSet(d, all, false, oldRSs);
      let scaledDown = false;
      for (const rs of oldRSs)
        if ((rs.spec.replicas ?? 0) > 0) {
          this.scale(d, rs, 0);
          scaledDown = true;
        }
      const oldPods = oldRSs.reduce(
        (n, rs) => n + ((this.api.store.get('replicasets', ns, rs.metadata.name!) as ReplicaSet | undefined)?.status?.replicas ?? 0),
        0,
      );
      if (scaledDown || oldPods > 0) {
        this.syncStatus(ns, name, newRS, oldRSs, true);
        return;
      }
      d = this.api.store.get('deployments', ns, name) as Deployment;
      newRS ??= this.newReplicaSet(d, all, true, oldRSs);
      if (newRS && (newRS.spec.replicas ?? 0) !== replicas) newRS = this.scale(d, newRS, replicas);
    } else {
      newRS = this.newReplicaSet(d, all, true, oldRSs);
      d = this.api.store.get('deployments', ns, name) as Deployment;
      if (newRS) {
        // reconcileNewReplicaSet
        const cur = newRS.spec.replicas ?? 0;
        if (cur > replicas) newRS = this.scale(d, newRS, replicas);
        else if (cur < replicas) {
          const next = this.newRSReplicas(d, oldRSs, cur);
          if (next !== cur) newRS = this.scale(d, newRS, next);
        }
        this.reconcileOld(d, newRS, oldRSs);
      }
    }
    this.cleanup(d, newRS, oldRSs);
    this.syncStatus(ns, name, newRS, oldRSs, true);
  }

  /** reconcileOldReplicaSets: scale old ReplicaSets down as far as maxUnavailable allows. */
  private reconcileOld(d: Deployment, newRS: ReplicaSet, oldRSs: ReplicaSet[]): void {
    const replicas = d.spec.replicas ?? 1;
    const ns = d.metadata.namespace;
    const fresh = (rs: ReplicaSet) => (this.api.store.get('replicasets', ns, rs.metadata.name!) as ReplicaSet | undefined) ?? rs;
    let olds = oldRSs.map(fresh).filter((rs) => (rs.spec.replicas ?? 0) > 0);
    if (olds.length === 0) return;
    const nrs = fresh(newRS);
    const allPods = olds.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0) + (nrs.spec.replicas ?? 0);
    const { unavailable } = surgeAndUnavailable(d);
    const minAvailable = replicas - unavailable;
    const newUnavailable = (nrs.spec.replicas ?? 0) - (nrs.status?.availableReplicas ?? 0);
    let maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;
    // cleanupUnhealthyReplicas: old pods that are not available go first
    olds.sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
    for (const rs of olds) {
      if (maxScaledDown <= 0) break;
      const unhealthy = (rs.spec.replicas ?? 0) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const by = Math.min(unhealthy, maxScaledDown);
      this.scale(d, rs, (rs.spec.replicas ?? 0) - by);
      maxScaledDown -= by;
    }
    // scaleDownOldReplicaSetsForRollingUpdate
    olds = olds.map(fresh);
    const all = [...olds, fresh(newRS)];
    const availablePods = all.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    if (availablePods <= minAvailable) return;
    let total = availablePods - minAvailable;
    for (const rs of olds) {
      if (total <= 0) break;
      const cur = rs.spec.replicas ?? 0;
      if (cur === 0) continue;
      const by = Math.min(cur, total);
      this.scale(d, rs, cur - by);
      total -= by;
    }
  }

  /** revisionHistoryLimit: delete the oldest ReplicaSets that are scaled to zero. */
  private cleanup(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const ns = d.metadata.namespace;
    const idle = oldRSs
      .map((rs) => this.api.store.get('replicasets', ns, rs.metadata.name!) as ReplicaSet | undefined)
      .filter((rs): rs is ReplicaSet => !!rs && rs !== newRS && (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) this.api.delete('replicasets', ns, rs.metadata.name!);
  }

  private syncStatus(ns: string, name: string, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], rolling: boolean): void {
    const d = this.api.store.get('deployments', ns, name) as Deployment | undefined;
    if (!d) return;
    const fresh = (rs: ReplicaSet) => this.api.store.get('replicasets', ns, rs.metadata.name!) as ReplicaSet | undefined;
    const nrs = newRS ? fresh(newRS) : undefined;
    const all = [nrs, ...oldRSs.map(fresh)].filter((x): x is ReplicaSet => !!x);
    const replicas = d.spec.replicas ?? 1;
    const sum = (f: (rs: ReplicaSet) => number | undefined) => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
    const status = {
      replicas: sum((rs) => rs.status?.replicas),
      updatedReplicas: nrs?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas),
      availableReplicas: sum((rs) => rs.status?.availableReplicas),
      unavailableReplicas: Math.max(0, sum((rs) => rs.spec.replicas) - sum((rs) => rs.status?.availableReplicas)),
    };
    const { unavailable } = surgeAndUnavailable(d);
    const old = d.status ?? {};
    const complete = status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas && !!nrs;
    let timerMs: number | undefined;
    this.api.mutate<Deployment>('deployments', ns, name, (o) => {
      const st = (o.status ??= {});
      st.observedGeneration = o.metadata.generation;
      st.replicas = status.replicas;
      st.updatedReplicas = status.updatedReplicas;
      st.readyReplicas = status.readyReplicas;
      st.availableReplicas = status.availableReplicas;
      st.unavailableReplicas = status.unavailableReplicas;
      for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const)
        if (!st[k]) delete st[k];
      if (status.availableReplicas >= replicas - unavailable)
        setCondition(st, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.');
      else setCondition(st, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.');
      if (o.spec.progressDeadlineSeconds === undefined) return;
      const cond = st.conditions?.find((c) => c.type === 'Progressing');
      if (o.spec.paused) {
        setCondition(st, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused');
        return;
      }
      if (cond?.reason === 'DeploymentPaused') setCondition(st, 'Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed');
      if (!rolling) return;
      const progressed =
        status.updatedReplicas > (old.updatedReplicas ?? 0) ||
        status.readyReplicas > (old.readyReplicas ?? 0) ||
        status.availableReplicas > (old.availableReplicas ?? 0) ||
        status.replicas - status.updatedReplicas < (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
      if (complete && nrs) {
        setCondition(st, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${nrs.metadata.name}" has successfully progressed.`);
      } else if (progressed && nrs) {
        setCondition(st, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${nrs.metadata.name}" is progressing.`, true);
      } else {
        const c = st.conditions?.find((x) => x.type === 'Progressing');
        if (c && c.reason !== 'NewReplicaSetAvailable' && c.reason !== 'ProgressDeadlineExceeded') {
          const from = Date.parse(c.lastUpdateTime ?? '') || Date.now();
          const deadline = from + o.spec.progressDeadlineSeconds * 1000;
          if (Date.now() >= deadline) {
            setCondition(
              st,
              'Progressing',
              'False',
              'ProgressDeadlineExceeded',
              `ReplicaSet "${nrs?.metadata.name ?? o.metadata.name}" has timed out progressing.`,
            );
            this.api.event(
              o,
              'Warning',
              'ProgressDeadlineExceeded',
              `Deployment "${o.metadata.name}" has timed out progressing.`,
              'deployment-controller',
            );
          } else timerMs = deadline - Date.now();
        }
      }
    });
    const key = `deployments|${ns}|${name}`;
    if (timerMs !== undefined) this.later(key, timerMs + 20);
  }
}

/** SetDeploymentCondition semantics: same status and reason → unchanged (unless `touch`); same status → keep lastTransitionTime. */
function setCondition(
  st: { conditions?: Condition[] },
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  touch = false,
): void {
  const now = nowIso();
  const list = (st.conditions ??= []);
  const i = list.findIndex((c) => c.type === type);
  const cur = list[i];
  if (cur && cur.status === status && cur.reason === reason && cur.message === message && !touch) return;
  if (cur && cur.status === status && cur.reason === reason && cur.message === message && touch) {
    cur.lastUpdateTime = now;
    return;
  }
  const next: Condition = {
    type,
    status,
    lastUpdateTime: now,
    lastTransitionTime: cur && cur.status === status ? (cur.lastTransitionTime ?? now) : now,
    reason,
    message,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
}
