import { describe, expect, it } from '@jest/globals';
import type { Deployment, ReplicaSet } from '../src/types.ts';
import { equalIgnoreHash, ownedReplicaSets, pickRevision, undoPatch } from '../src/undo.ts';

const template = (image: string, hash?: string) => ({
  metadata: { labels: { app: 'api', ...(hash ? { 'pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'app', image }] },
});

const d: Deployment = {
  metadata: {
    name: 'api',
    namespace: 'ns',
    uid: 'dep-uid',
    annotations: {
      'deployment.kubernetes.io/revision': '3',
      'kubernetes.io/change-cause': 'deploy v3',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    },
  },
  spec: { selector: { matchLabels: { app: 'api' } }, template: template('api:v3') },
};

function rs(name: string, revision: string | undefined, image: string, owner = 'dep-uid'): ReplicaSet {
  return {
    metadata: {
      name,
      annotations: {
        ...(revision ? { 'deployment.kubernetes.io/revision': revision } : {}),
        'kubernetes.io/change-cause': `deploy ${image}`,
        'deployment.kubernetes.io/desired-replicas': '2',
      },
      ownerReferences: [{ kind: 'Deployment', name: 'api', uid: owner, controller: true }],
    },
    spec: { template: template(image, `${name}-hash`) },
  };
}

const all = [
  rs('api-1', '1', 'api:v1'),
  rs('api-3', '3', 'api:v3'),
  rs('api-2', '2', 'api:v2'),
  rs('other', '9', 'x:1', 'someone-else'),
  rs('nohist', undefined, 'y:1'),
];

describe('kubectl rollout undo semantics', () => {
  it('considers only the ReplicaSets the Deployment controls', () => {
    expect(ownedReplicaSets(d, all).map((r) => r.metadata.name)).toEqual(['api-1', 'api-3', 'api-2', 'nohist']);
  });

  it('picks the second highest revision by default', () => {
    expect(pickRevision(d, ownedReplicaSets(d, all)).metadata.name).toBe('api-2');
  });

  it('picks the asked revision', () => {
    expect(pickRevision(d, ownedReplicaSets(d, all), 1).metadata.name).toBe('api-1');
  });

  it('says which revisions exist when the asked one does not', () => {
    expect(() => pickRevision(d, ownedReplicaSets(d, all), 7)).toThrow(
      "Deployment 'api' has no revision 7 in its history (revisions: 1, 2, 3)",
    );
  });

  it('refuses when there is no previous revision', () => {
    expect(() => pickRevision(d, [rs('api-3', '3', 'api:v3')])).toThrow("Deployment 'api' has no rollout history");
    expect(() => pickRevision(d, [])).toThrow('no rollout history');
  });

  it("copies the template without pod-template-hash, keeping the Deployment's own revision annotations", () => {
    const patch = undoPatch(d, all[2] as ReplicaSet);
    expect(patch).toEqual([
      { op: 'replace', path: '/spec/template', value: template('api:v2') },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: {
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'deployment.kubernetes.io/revision': '3',
          'kubernetes.io/change-cause': 'deploy api:v2',
        },
      },
    ]);
  });

  it('is a no-op when the template already matches (hash label ignored)', () => {
    expect(undoPatch(d, rs('api-3', '3', 'api:v3'))).toBeUndefined();
    expect(equalIgnoreHash(template('a', 'x'), template('a'))).toBe(true);
    expect(equalIgnoreHash(template('a'), template('b'))).toBe(false);
  });
});
