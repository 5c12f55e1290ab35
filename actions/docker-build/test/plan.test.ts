/**
 * The plan through the input spec, without a runner, a probe or a registry: what each input
 * becomes and the one line each bad input (or combination) fails with. The bundle runs the same
 * code end to end in e2e.test.ts.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { GitContext } from '@tripo04os/image';
import { readInputs } from '@tripo04os/kit';
import { spec } from '../src/inputs.ts';
import { checkMachine, makePlan } from '../src/plan.ts';

let cwd: string;
let home: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'plan-test-'));
  home = await mkdtemp(join(tmpdir(), 'plan-home-'));
  await writeFile(join(cwd, 'Dockerfile'), 'FROM scratch\n');
});

const push: GitContext = {
  eventName: 'push',
  ref: 'refs/heads/main',
  sha: '90dd6032fac8bda1b6c4436a2e65de27961ed071',
  payload: { repository: { default_branch: 'main' } },
};
const pr: GitContext = {
  eventName: 'pull_request',
  ref: 'refs/pull/7/merge',
  sha: '0000aaaa1111bbbb2222cccc3333dddd4444eeee',
  payload: { number: 7, pull_request: { number: 7, head: { sha: '90dd6032fac8bda1b6c4436a2e65de27961ed071' } } },
};

function plan(inputs: Record<string, string>, ctx = push) {
  const env: NodeJS.ProcessEnv = { HOME: home, DOCKER_CONFIG: join(home, '.docker') };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return makePlan(readInputs(spec, { env }), { ctx, env, cwd });
}

describe('what the inputs become', () => {
  test('an ECR repository with the defaults: pushed, auto builder, default rules, sha- immutable', () => {
    const p = plan({ repository: 'tripo04os-ai-support', region: 'us-east-1' });
    expect(p.target).toEqual({ kind: 'ecr', repository: 'tripo04os-ai-support', region: 'us-east-1' });
    expect(p).toMatchObject({ push: true, builder: 'auto', logout: true, scan: { kind: 'none', threshold: 'HIGH' } });
    expect(p.rules.map((r) => r.line)).toEqual([
      'type=sha',
      'type=ref,event=branch',
      'type=semver,pattern={{version}}',
      'type=semver,pattern={{major}}.{{minor}}',
    ]);
    expect([...p.immutable]).toEqual(['sha-90dd603']);
    expect(p.lifecyclePolicy).toBeUndefined();
    expect(p.build).toMatchObject({ context: '.', provenance: 'false', push: true, platforms: [], cacheFrom: [] });
  });

  test('a pull request is built, not pushed; lifecycle-policy none is no policy', () => {
    const p = plan({ repository: 'app', region: 'eu-west-1', 'lifecycle-policy': 'none' }, pr);
    expect(p.push).toBe(false);
    expect(p.lifecyclePolicy).toBe('');
  });

  test('another registry on loopback needs no stored credentials; username and password go with it', () => {
    expect(plan({ image: '127.0.0.1:5000/app' }).target).toEqual({
      kind: 'registry',
      image: '127.0.0.1:5000/app',
      registry: '127.0.0.1:5000',
    });
    expect(plan({ image: 'ghcr.io/o/app', username: 'me', password: 'pw' }).target).toMatchObject({
      registry: 'ghcr.io',
      credentials: { username: 'me', password: 'pw' },
    });
  });
});

describe('bad inputs: one line each', () => {
  test.each([
    [
      {},
      "Input 'repository' has no value: give repository (an ECR repository name), image (a full image name for another registry) or images",
    ],
    [{ repository: 'app', image: 'r.io/app', region: 'x' }, "Input 'image' has the value 'r.io/app': give repository"],
    [{ repository: 'Bad!' }, "Input 'repository' has the value 'Bad!': expected an ECR repository name"],
    [{ repository: 'app' }, "Input 'region' has no value: an ECR repository needs a region"],
    [{ image: 'ghcr.io/o/app' }, "Input 'push' has the value 'auto': pushing to ghcr.io needs registry access"],
    [{ image: 'r.io/app', username: 'me' }, "Input 'password' has no value: username and password go together"],
    [{ repository: 'app', region: 'x', context: 'nope' }, "Input 'context' has the value 'nope': expected a folder"],
    [{ repository: 'app', region: 'x', file: 'Dockerfile.prod' }, "Input 'file' has the value 'Dockerfile.prod': no such Dockerfile"],
    [
      { repository: 'app', region: 'x', tags: 'type=raw,value=.x' },
      "Input 'tags' has the value 'type=raw,value=.x': it gives the tag '.x'",
    ],
    [
      { repository: 'app', region: 'x', 'lifecycle-policy': '{}' },
      "Input 'lifecycle-policy' has the value '{}': expected an ECR lifecycle policy",
    ],
    [{ image: '127.0.0.1:1/app', scan: 'ecr' }, "Input 'scan' has the value 'ecr': scan: ecr needs repository"],
    [
      { repository: 'app', region: 'x', builder: 'docker', 'cache-to': 'type=registry,ref=r/app:cache' },
      "Input 'cache-to' has the value 'type=registry,ref=r/app:cache': exporting a build cache needs builder buildx",
    ],
  ] as [Record<string, string>, string][])('%j', (inputs, message) => {
    expect(() => plan(inputs)).toThrow(message);
  });

  test('scan: ecr on a pull request (nothing is pushed)', () => {
    expect(() => plan({ repository: 'app', region: 'x', scan: 'ecr' }, pr)).toThrow(
      "Input 'scan' has the value 'ecr': ECR scans pushed images",
    );
  });
});

describe('several images (the images input)', () => {
  test('images alone: the first enabled line is the target, the rest go with it, names lower-cased', () => {
    const p = plan({ images: 'name=ghcr.io/a/off,enable=false\n127.0.0.1:5000/Team/App\n127.0.0.1:5001/team/app' });
    expect(p.target).toEqual({ kind: 'registry', image: '127.0.0.1:5000/team/app', registry: '127.0.0.1:5000' });
    expect(p.extraImages).toEqual([{ name: '127.0.0.1:5001/team/app', enable: true }]);
    expect(p.notices).toEqual([
      "Image name '127.0.0.1:5000/Team/App' lower-cased to '127.0.0.1:5000/team/app' (registries take lower-case repository names)",
    ]);
  });

  test('pushing to another registry of images needs access to it, before anything runs', () => {
    expect(() => plan({ repository: 'app', region: 'x', images: 'ghcr.io/tripo04os/app' })).toThrow(
      "Input 'images' has the value 'ghcr.io/tripo04os/app': pushing to ghcr.io needs registry access",
    );
    // Not pushed (a pull request): no access needed.
    expect(plan({ repository: 'app', region: 'x', images: 'ghcr.io/tripo04os/app' }, pr).extraImages).toHaveLength(1);
  });
});

describe('what the machine must offer (after the inputs are checked)', () => {
  test('auto took docker, but two platforms need buildx', () => {
    const p = plan({ repository: 'app', region: 'x', platforms: 'linux/amd64,linux/arm64' });
    expect(() => checkMachine(p, 'docker', { buildx: false, docker: true, buildah: true }, false)).toThrow(
      "Input 'platforms' has the value 'linux/amd64,linux/arm64': building for platforms needs builder buildx (or buildah for one platform); the docker builder cannot do it (docker buildx is not installed here)",
    );
    expect(() => checkMachine(p, 'buildx', { buildx: true, docker: true, buildah: false }, false)).not.toThrow();
  });

  test('scan: trivy without the trivy binary', () => {
    const p = plan({ repository: 'app', region: 'x', scan: 'trivy' });
    expect(() => checkMachine(p, 'docker', { buildx: false, docker: true, buildah: false }, false)).toThrow(
      "Input 'scan' is 'trivy', but the trivy binary is not on the PATH",
    );
  });
});
