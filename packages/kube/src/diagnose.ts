import { errorMessage } from '@tripo04os/common';
import type { KubeClient } from './client.ts';
import {
  type ContainerStatus,
  type Deployment,
  type KubeEvent,
  type KubeList,
  type Pod,
  type ReplicaSet,
  revisionOf,
  selectorString,
} from './types.ts';
import { ownedReplicaSets } from './undo.ts';

export interface ContainerDiagnosis {
  name: string;
  /** e.g. `waiting: ImagePullBackOff` or `terminated: Error (exit code 1)`. */
  state: string;
  message?: string;
  restarts: number;
  /** Why the previous run ended, when it crashed. */
  lastState?: string;
  /** Tail of the previous (crashed) container's log. */
  previousLog?: string;
}

export interface PodDiagnosis {
  name: string;
  phase?: string;
  containers: ContainerDiagnosis[];
  events: string[];
}

export interface Diagnosis {
  namespace: string;
  deployment: string;
  reason: string;
  message: string;
  replicaSet?: string;
  replicaSetEvents: string[];
  pods: PodDiagnosis[];
}

function describeState(s: ContainerStatus['state']): { state: string; message?: string } {
  if (s?.waiting) return { state: `waiting: ${s.waiting.reason ?? 'unknown'}`, message: s.waiting.message };
  if (s?.terminated) {
    return {
      state: `terminated: ${s.terminated.reason ?? 'unknown'} (exit code ${s.terminated.exitCode ?? '?'})`,
      message: s.terminated.message,
    };
  }
  if (s?.running) return { state: 'running' };
  return { state: 'unknown' };
}

function eventTime(e: KubeEvent): string {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '';
}

/** Formats events as `Type Reason: message (xN)`, most recent last, at most `max`. */
export function formatEvents(events: readonly KubeEvent[], max = 8): string[] {
  return [...events]
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)))
    .slice(-max)
    .map((e) => `${e.type ?? 'Normal'} ${e.reason ?? ''}: ${(e.message ?? '').trim()}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}`);
}

function podReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Collects why a rollout failed: for each failing pod of the new ReplicaSet (at most
 * `maxPods`), the containers' waiting/terminated reason and message, the recent events of the
 * pod and of its ReplicaSet, and the tail of a crashed container's previous log.
 */
export async function diagnose(
  client: KubeClient,
  d: Deployment,
  reason: string,
  message: string,
  options: { maxPods?: number; tailLines?: number; preferPods?: string[] } = {},
): Promise<Diagnosis> {
  const namespace = d.metadata.namespace ?? 'default';
  const nsPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  const out: Diagnosis = { namespace, deployment: d.metadata.name, reason, message, replicaSetEvents: [], pods: [] };
  const selector = selectorString(d.spec.selector);
  try {
    const [rsList, podList] = await Promise.all([
      client.request<KubeList<ReplicaSet>>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets`, {
        query: { labelSelector: selector },
      }),
      client.request<KubeList<Pod>>('GET', `${nsPath}/pods`, { query: { labelSelector: selector } }),
    ]);
    const want = revisionOf(d);
    const owned = ownedReplicaSets(d, rsList.items);
    const newRs = owned.find((rs) => want !== undefined && revisionOf(rs) === want);
    out.replicaSet = newRs?.metadata.name;
    let pods = podList.items.filter((p) => !podReady(p));
    if (newRs) pods = pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === newRs.metadata.uid));
    const prefer = new Set(options.preferPods ?? []);
    pods.sort((a, b) => Number(prefer.has(b.metadata.name)) - Number(prefer.has(a.metadata.name)));
    pods = pods.slice(0, options.maxPods ?? 3);
    const events = async (kind: string, name: string) => {
      const list = await client
        .request<KubeList<KubeEvent>>('GET', `${nsPath}/events`, {
          query: { fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` },
        })
        .catch(() => ({ items: [] as KubeEvent[] }));
      return formatEvents(
        list.items.filter((e) => e.involvedObject.name === name && (!e.involvedObject.kind || e.involvedObject.kind === kind)),
      );
    };
    if (newRs) out.replicaSetEvents = await events('ReplicaSet', newRs.metadata.name);
    out.pods = await Promise.all(
      pods.map(async (p): Promise<PodDiagnosis> => {
        const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
        const containers = await Promise.all(
          statuses
            .filter((s) => !s.ready)
            .map(async (s): Promise<ContainerDiagnosis> => {
              const cur = describeState(s.state);
              const c: ContainerDiagnosis = { name: s.name, state: cur.state, message: cur.message, restarts: s.restartCount ?? 0 };
              if (s.lastState?.terminated) {
                const last = describeState(s.lastState);
                c.lastState = `${last.state}${last.message ? `: ${last.message}` : ''}`;
              }
              if ((s.restartCount ?? 0) > 0 || s.lastState?.terminated || s.state?.terminated) {
                const log = await client
                  .request<string>('GET', `${nsPath}/pods/${encodeURIComponent(p.metadata.name)}/log`, {
                    query: {
                      container: s.name,
                      previous: (s.restartCount ?? 0) > 0 ? 'true' : undefined,
                      tailLines: options.tailLines ?? 20,
                    },
                    text: true,
                    allow: [400, 404],
                  })
                  .catch(() => undefined);
                if (log?.trim()) c.previousLog = log.trimEnd();
              }
              return c;
            }),
        );
        return { name: p.metadata.name, phase: p.status?.phase, containers, events: await events('Pod', p.metadata.name) };
      }),
    );
  } catch (err) {
    out.message += ` (diagnosis incomplete: ${errorMessage(err)})`;
  }
  return out;
}

/** The diagnosis as plain text, for the log and the job summary. */
export function formatDiagnosis(d: Diagnosis): string {
  const lines = [`Deployment ${d.namespace}/${d.deployment}: ${d.message}`];
  if (d.replicaSet) lines.push(`  new ReplicaSet ${d.replicaSet}`);
  for (const e of d.replicaSetEvents) lines.push(`    event: ${e}`);
  if (d.pods.length === 0) lines.push('  no failing pod found');
  for (const p of d.pods) {
    lines.push(`  pod ${p.name}${p.phase ? ` (${p.phase})` : ''}`);
    for (const c of p.containers) {
      lines.push(`    container ${c.name}: ${c.state}${c.message ? `: ${c.message}` : ''}${c.restarts ? ` (${c.restarts} restarts)` : ''}`);
      if (c.lastState) lines.push(`      last state: ${c.lastState}`);
      if (c.previousLog) {
        lines.push('      previous log:');
        for (const l of c.previousLog.split('\n')) lines.push(`        ${l}`);
      }
    }
    for (const e of p.events) lines.push(`    event: ${e}`);
  }
  return lines.join('\n');
}
