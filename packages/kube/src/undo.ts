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
export function ownedReplicaSets(deployment: Deployment, all: readonly ReplicaSet[]): ReplicaSet[] {
  return all.filter((rs) => rs.metadata.ownerReferences?.some((owner) => owner.controller && owner.uid === deployment.metadata.uid));
}

/**
 * Picks the ReplicaSet to roll back to, as kubectl's deploymentRevision does: revision N when
 * asked, else the second highest revision. No history is an error.
 */
export function pickRevision(deployment: Deployment, owned: readonly ReplicaSet[], toRevision = 0): ReplicaSet {
  let latest: ReplicaSet | undefined;
  let latestRev = -1;
  let previous: ReplicaSet | undefined;
  let previousRev = -1;
  for (const rs of owned) {
    const revision = revisionOf(rs);
    if (revision === undefined) continue;
    if (toRevision === 0) {
      if (latestRev < revision) {
        previousRev = latestRev;
        previous = latest;
        latestRev = revision;
        latest = rs;
      } else if (previousRev < revision) {
        previousRev = revision;
        previous = rs;
      }
    } else if (toRevision === revision) {
      return rs;
    }
  }
  if (toRevision > 0) {
    const have = owned
      .map(revisionOf)
      .filter((revision) => revision !== undefined)
      .sort((low, high) => (low as number) - (high as number));
    throw new UserError(
      `Deployment '${deployment.metadata.name}' has no revision ${toRevision} in its history (revisions: ${have.join(', ') || 'none'})`,
    );
  }
  if (!previous)
    throw new UserError(`Deployment '${deployment.metadata.name}' has no rollout history to roll back to (no previous revision)`);
  return previous;
}

function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(template ?? {}) as PodTemplate;
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH_LABEL];
  }
  return copy;
}

/** Key-sorted JSON of a value (undefined members left out), so that equal objects compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether two pod templates are equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return canonical(withoutHash(a)) === canonical(withoutHash(b));
}

export type JsonPatch = { op: 'replace' | 'add' | 'test'; path: string; value: unknown }[];

/** The JSON patch that restores a ReplicaSet's template (kubectl's getDeploymentPatch); undefined when already equal. */
export function undoPatch(deployment: Deployment, rs: ReplicaSet): JsonPatch | undefined {
  if (equalIgnoreHash(rs.spec.template, deployment.spec.template)) return undefined;
  const template = withoutHash(rs.spec.template);
  const annotations: Record<string, string> = {};
  for (const key of ANNOTATIONS_TO_SKIP) {
    const value = deployment.metadata.annotations?.[key];
    if (value !== undefined) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(rs.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(key)) annotations[key] = value;
  return [
    { op: 'replace', path: '/spec/template', value: template },
    { op: deployment.metadata.annotations ? 'replace' : 'add', path: '/metadata/annotations', value: annotations },
  ];
}

export interface UndoPlan {
  deployment: Deployment;
  target: ReplicaSet;
  toRevision: number;
  patch: JsonPatch | undefined;
}

/** Works out a rollback without changing anything (refuses paused Deployments and missing history). */
export async function planUndo(client: KubeClient, deployment: Deployment, toRevision = 0): Promise<UndoPlan> {
  if (deployment.spec.paused) {
    throw new UserError(
      `Deployment '${deployment.metadata.name}' is paused: you cannot roll back a paused deployment; resume it first (kubectl rollout resume deployment/${deployment.metadata.name} -n ${deployment.metadata.namespace ?? 'default'}) and try again`,
    );
  }
  const namespace = deployment.metadata.namespace ?? 'default';
  const list = await client.request<KubeList<ReplicaSet>>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets`, {
    query: { labelSelector: selectorString(deployment.spec.selector) },
  });
  const target = pickRevision(deployment, ownedReplicaSets(deployment, list.items), toRevision);
  return { deployment, target, toRevision: revisionOf(target) ?? toRevision, patch: undoPatch(deployment, target) };
}

/**
 * Applies a planned rollback; returns the Deployment as the server answered (or as it was, when
 * nothing changed). With `onlyIfGeneration`, the patch starts with a JSON patch `test` of
 * `/metadata/generation`, so the server refuses it (422) when another change came in between.
 */
export async function applyUndo(client: KubeClient, plan: UndoPlan, onlyIfGeneration?: number): Promise<Deployment> {
  if (!plan.patch) return plan.deployment;
  const deployment = plan.deployment;
  const guard: JsonPatch = onlyIfGeneration === undefined ? [] : [{ op: 'test', path: '/metadata/generation', value: onlyIfGeneration }];
  return client.request<Deployment>('PATCH', objectPath('Deployment', deployment.metadata.namespace, deployment.metadata.name), {
    body: [...guard, ...plan.patch],
    contentType: 'application/json-patch+json',
  });
}
