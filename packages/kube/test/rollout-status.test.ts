import { describe, expect, it } from '@jest/globals';
import { judgeRollout } from '../src/rollout-status.ts';
import type { Deployment } from '../src/types.ts';

function dep(
  gen: number,
  observed: number,
  replicas: number | undefined,
  st: Partial<NonNullable<Deployment['status']>>,
  reason?: string,
): Deployment {
  return {
    metadata: { name: 'api', generation: gen },
    spec: { replicas, selector: {}, template: {} },
    status: {
      observedGeneration: observed,
      ...st,
      conditions: reason ? [{ type: 'Progressing', status: 'False', reason }] : [],
    },
  };
}

// Rows follow kubectl's rollout_status.go, in its order of checks.
describe('judgeRollout (kubectl rollout status)', () => {
  it.each([
    [
      'spec change not observed yet',
      dep(3, 2, 2, { replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      'waiting',
      'Waiting for deployment spec update to be observed...',
    ],
    [
      'progress deadline exceeded',
      dep(2, 2, 2, { replicas: 3, updatedReplicas: 1 }, 'ProgressDeadlineExceeded'),
      'failed',
      'deployment "api" exceeded its progress deadline',
    ],
    [
      'deadline wins even when a replica is updated',
      dep(2, 2, 1, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, 'ProgressDeadlineExceeded'),
      'failed',
      'exceeded its progress deadline',
    ],
    [
      'not all replicas updated',
      dep(2, 2, 3, { replicas: 4, updatedReplicas: 1 }),
      'waiting',
      '1 out of 3 new replicas have been updated...',
    ],
    [
      'old replicas pending termination',
      dep(2, 2, 3, { replicas: 4, updatedReplicas: 3, availableReplicas: 3 }),
      'waiting',
      '1 old replicas are pending termination...',
    ],
    [
      'updated replicas not available',
      dep(2, 2, 3, { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      'waiting',
      '2 of 3 updated replicas are available...',
    ],
    ['done', dep(2, 2, 3, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }), 'done', 'deployment "api" successfully rolled out'],
    [
      'observed ahead counts as observed',
      dep(2, 5, 1, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
      'done',
      'successfully rolled out',
    ],
    [
      'replicas unset skips the updated check',
      dep(1, 1, undefined, { replicas: 0, updatedReplicas: 0, availableReplicas: 0 }),
      'done',
      'successfully rolled out',
    ],
    ['scaled to zero', dep(4, 4, 0, {}), 'done', 'successfully rolled out'],
    [
      'other Progressing reasons do not fail',
      dep(2, 2, 1, { replicas: 1, updatedReplicas: 1, availableReplicas: 0 }, 'ReplicaSetUpdated'),
      'waiting',
      '0 of 1 updated replicas are available...',
    ],
  ])('%s', (_name, d, state, message) => {
    const j = judgeRollout(d);
    expect(j.state).toBe(state);
    expect(j.message).toContain(message);
  });
});
