import { UserError } from '@tripo04os/common';
import type { KubeClient } from './client.ts';
import { objectPath } from './manifests.ts';
import { type Deployment, HASH_LABEL, type KubeList, type PodTemplate, type ReplicaSet, revisionOf, selectorString } from './types.ts';

/** Annotations `kubectl rollout undo` keeps from the Deployment instead of copying from the ReplicaSet. */
export const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** The ReplicaSets a Deployment controls (by controller owner reference). */
export function ownedReplicaSets(d: Deployment, all: readonly ReplicaSet[]): ReplicaSet[] {
  return all.filter((rs) => rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === d.metadata.uid));
}

/**
 * Picks the ReplicaSet to roll back to, as kubectl's deploymentRevision does: revision N when
 * asked, else the second highest revision. No history is an error.
 */
export function pickRevision(d: Deployment, owned: readonly ReplicaSet[], toRevision = 0): ReplicaSet {
  let latest: ReplicaSet | undefined;
  let latestRev = -1;
  let previous: ReplicaSet | undefined;
  let previousRev = -1;
  for (const rs of owned) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (toRevision === 0) {
      if (latestRev < v) {
        previousRev = latestRev;
        previous = latest;
        latestRev = v;
        latest = rs;
      } else if (previousRev < v) {
        previousRev = v;
        previous = rs;
      }
    } else if (toRevision === v) {
      return rs;
    }
  }
  if (toRevision > 0) {
    const have = owned
      .map(revisionOf)
      .filter((v) => v !== undefined)
      .sort((a, b) => (a as number) - (b as number));
    throw new UserError(
      `Deployment '${d.metadata.name}' has no revision ${toRevision} in its history (revisions: ${have.join(', ') || 'none'})`,
    );
  }
  if (!previous) throw new UserError(`Deployment '${d.metadata.name}' has no rollout history to roll back to (no previous revision)`);
  return previous;
}

function withoutHash(t: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(t ?? {}) as PodTemplate;
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH_LABEL];
  }
  return copy;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Whether two pod templates are equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return canonical(withoutHash(a)) === canonical(withoutHash(b));
}

export type JsonPatch = { op: 'replace' | 'add'; path: string; value: unknown }[];

/** The JSON patch that restores a ReplicaSet's template (kubectl's getDeploymentPatch); undefined when already equal. */
export function undoPatch(d: Deployment, rs: ReplicaSet): JsonPatch | undefined {
  if (equalIgnoreHash(rs.spec.template, d.spec.template)) return undefined;
  const template = withoutHash(rs.spec.template);
  const annotations: Record<string, string> = {};
  for (const k of ANNOTATIONS_TO_SKIP) {
    const v = d.metadata.annotations?.[k];
    if (v !== undefined) annotations[k] = v;
  }
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  return [
    { op: 'replace', path: '/spec/template', value: template },
    { op: d.metadata.annotations ? 'replace' : 'add', path: '/metadata/annotations', value: annotations },
  ];
}

export interface UndoPlan {
  deployment: Deployment;
  target: ReplicaSet;
  toRevision: number;
  patch: JsonPatch | undefined;
}

/** Works out a rollback without changing anything (refuses paused Deployments and missing history). */
export async function planUndo(client: KubeClient, d: Deployment, toRevision = 0): Promise<UndoPlan> {
  if (d.spec.paused) {
    throw new UserError(
      `Deployment '${d.metadata.name}' is paused: you cannot roll back a paused deployment; resume it first (kubectl rollout resume) and try again`,
    );
  }
  const ns = d.metadata.namespace ?? 'default';
  const list = await client.request<KubeList<ReplicaSet>>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets`, {
    query: { labelSelector: selectorString(d.spec.selector) },
  });
  const target = pickRevision(d, ownedReplicaSets(d, list.items), toRevision);
  return { deployment: d, target, toRevision: revisionOf(target) ?? toRevision, patch: undoPatch(d, target) };
}

/** Applies a planned rollback; returns the Deployment as the server answered (or as it was, when nothing changed). */
export async function applyUndo(client: KubeClient, plan: UndoPlan): Promise<Deployment> {
  if (!plan.patch) return plan.deployment;
  const d = plan.deployment;
  return client.request<Deployment>('PATCH', objectPath('Deployment', d.metadata.namespace, d.metadata.name), {
    body: plan.patch,
    contentType: 'application/json-patch+json',
  });
}
