import type { Deployment } from './types.ts';

export type RolloutJudgement =
  | { state: 'waiting'; message: string }
  | { state: 'done'; message: string }
  | { state: 'failed'; reason: 'ProgressDeadlineExceeded'; message: string };

/**
 * Judges a Deployment's rollout exactly as `kubectl rollout status` does
 * (k8s.io/kubectl polymorphichelpers/rollout_status.go, DeploymentStatusViewer.Status).
 */
export function judgeRollout(d: Deployment): RolloutJudgement {
  const name = d.metadata.name;
  const generation = d.metadata.generation ?? 0;
  const status = d.status ?? {};
  if (generation <= (status.observedGeneration ?? 0)) {
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return { state: 'failed', reason: 'ProgressDeadlineExceeded', message: `deployment "${name}" exceeded its progress deadline` };
    }
    const updated = status.updatedReplicas ?? 0;
    const replicas = status.replicas ?? 0;
    const available = status.availableReplicas ?? 0;
    if (d.spec.replicas !== undefined && d.spec.replicas !== null && updated < d.spec.replicas) {
      return {
        state: 'waiting',
        message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${d.spec.replicas} new replicas have been updated...`,
      };
    }
    if (replicas > updated) {
      return {
        state: 'waiting',
        message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
      };
    }
    if (available < updated) {
      return {
        state: 'waiting',
        message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
      };
    }
    return { state: 'done', message: `deployment "${name}" successfully rolled out` };
  }
  return { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
}
