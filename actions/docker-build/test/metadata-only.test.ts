/**
 * `build: false` through the bundle (docker-build/action.yml → actions/docker-build/dist), run by
 * the runner harness: tags, labels, version, json and the summary, with no builder on the PATH
 * and an empty docker config that stays empty (nothing built, nobody logged in).
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot, runAction } from '@tripo04os/kit/harness';

const action = join(repoRoot, 'docker-build');
const SHA = '7d1e9c3b5a7f9e1d3c5b7a9f1e3d5c7b9a1f3e5d';
const HEAD = 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12';
const repository = {
  name: 'ai-support',
  full_name: 'tripo04os/ai-support',
  description: 'AI support service',
  html_url: 'https://github.com/tripo04os/ai-support',
  default_branch: 'main',
  license: { spdx_id: 'MIT' },
};

let work: string;
let dockerConfig: string;
let emptyPath: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'docker-build-meta-'));
  dockerConfig = await mkdtemp(join(work, 'docker-'));
  emptyPath = await mkdtemp(join(work, 'bin-'));
});

interface EventSetup {
  event: { name: string; payload: unknown };
  context: Record<string, string>;
}

function tagPush(tag: string): EventSetup {
  return {
    event: { name: 'push', payload: { ref: `refs/tags/${tag}`, after: SHA, base_ref: 'refs/heads/main', repository } },
    context: { GITHUB_REF: `refs/tags/${tag}`, GITHUB_SHA: SHA, GITHUB_REF_NAME: tag },
  };
}

async function meta(inputs: Record<string, string>, event: EventSetup, env: Record<string, string> = {}) {
  // No docker, buildah or aws on the PATH: metadata only must not need them.
  return runAction({
    action,
    inputs: { build: 'false', ...inputs },
    env: { PATH: emptyPath, DOCKER_CONFIG: dockerConfig, ...env },
    cwd: work,
    timeoutMs: 60_000,
    ...event,
  });
}

describe('build: false (metadata only)', () => {
  test('a tag push: every enabled image gets every tag; outputs, json, env and summary; nothing built or logged in', async () => {
    const r = await meta(
      {
        images:
          'ghcr.io/Tripo04os/AI-Support\nname=127.0.0.1:5000/tripo04os/ai-support,enable=true\nname=docker.io/tripo04os/ai-support,enable=false',
        tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=raw,value={{base_ref}}-{{sha}}',
        labels: 'org.opencontainers.image.vendor=tripo04os\nnot-a-label',
      },
      tagPush('v1.2.3'),
    );
    expect(r.exitCode).toBe(0);
    const images = ['ghcr.io/tripo04os/ai-support', '127.0.0.1:5000/tripo04os/ai-support'];
    const names = ['1.2.3', '1.2', 'main-7d1e9c3', 'latest'];
    const refs = images.flatMap((i) => names.map((n) => `${i}:${n}`));
    expect(r.outputs.tags?.split('\n')).toEqual(refs);
    expect(r.outputs.version).toBe('1.2.3');
    const labels = Object.fromEntries(
      (r.outputs.labels ?? '').split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(labels).toMatchObject({
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.vendor': 'tripo04os',
      'org.opencontainers.image.licenses': 'MIT',
    });
    expect(Object.keys(labels)).not.toContain('not-a-label');
    // metadata-action's json shape.
    const json = JSON.parse(r.outputs.json ?? '{}');
    expect(Object.keys(json)).toEqual(['tags', 'tag-names', 'labels', 'annotations']);
    expect(json.tags).toEqual(refs);
    expect(json['tag-names']).toEqual(names);
    expect(json.labels).toEqual(labels);
    expect(json.annotations).toContain(`manifest:org.opencontainers.image.revision=${SHA}`);
    expect(r.exportedEnv.DOCKER_METADATA_OUTPUT_VERSION).toBe('1.2.3');
    expect(r.exportedEnv.DOCKER_METADATA_OUTPUT_JSON).toBe(r.outputs.json);
    // The lower-cased name and the dropped label line are said, as annotations.
    expect(r.annotations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'notice', message: expect.stringContaining("lower-cased to 'ghcr.io/tripo04os/ai-support'") }),
        expect.objectContaining({ level: 'warning', message: expect.stringContaining("'not-a-label' has no '='") }),
      ]),
    );
    expect(r.summary).toContain('metadata only');
    expect(r.summary).toContain('ghcr.io/tripo04os/ai-support:1.2.3');
    expect(r.outputs.digest).toBeUndefined();
    expect(await readdir(dockerConfig)).toEqual([]);
  });

  test('no image: the bare tag names (a Helm chart version), PEP 440 pre-release without latest; env switches', async () => {
    const r = await meta({ tags: 'type=pep440,pattern={{version}}\ntype=pep440,pattern={{major}}.{{minor}}' }, tagPush('1.4.0rc1'), {
      DOCKER_METADATA_SET_OUTPUT_ENV: 'false',
      DOCKER_METADATA_ANNOTATIONS_LEVELS: 'manifest,index',
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.tags).toBe('1.4.0rc1');
    const annotations = (r.outputs.annotations ?? '').split('\n');
    expect(annotations).toHaveLength(16);
    expect(annotations).toContain('index:org.opencontainers.image.version=1.4.0rc1');
    expect(JSON.parse(r.outputs.json ?? '{}')['tag-names']).toEqual(['1.4.0rc1']);
    expect(r.exportedEnv.DOCKER_METADATA_OUTPUT_TAGS).toBeUndefined();
  });

  test('pull_request_target: the pull request tag only, never the base branch or latest', async () => {
    const r = await meta(
      {
        images: 'ghcr.io/tripo04os/ai-support',
        tags: 'type=ref,event=branch\ntype=ref,event=pr\ntype=raw,value=latest,enable={{is_default_branch}}\ntype=sha',
      },
      {
        event: {
          name: 'pull_request_target',
          payload: {
            action: 'opened',
            number: 9,
            pull_request: { number: 9, head: { sha: HEAD, ref: 'patch-1' }, base: { ref: 'main' } },
            repository,
          },
        },
        context: {
          GITHUB_REF: 'refs/heads/main',
          GITHUB_SHA: SHA,
          GITHUB_REF_NAME: 'main',
          GITHUB_HEAD_REF: 'patch-1',
          GITHUB_BASE_REF: 'main',
        },
      },
    );
    expect(r.exitCode).toBe(0);
    expect(r.outputs.tags?.split('\n')).toEqual(['ghcr.io/tripo04os/ai-support:pr-9', 'ghcr.io/tripo04os/ai-support:sha-ab12cd3']);
  });

  test('no tag at all: success with an empty list and a notice (metadata-action outputs it as is)', async () => {
    const r = await meta(
      { images: 'ghcr.io/tripo04os/ai-support', tags: 'type=ref,event=pr' },
      {
        event: { name: 'push', payload: { ref: 'refs/heads/main', after: SHA, repository } },
        context: { GITHUB_REF: 'refs/heads/main', GITHUB_SHA: SHA, GITHUB_REF_NAME: 'main' },
      },
    );
    expect(r.exitCode).toBe(0);
    expect(r.outputs.tags).toBe('');
    expect(r.outputs.version).toBe('');
    expect(r.annotations).toEqual(
      expect.arrayContaining([expect.objectContaining({ level: 'notice', message: expect.stringContaining('No rule gives a tag') })]),
    );
  });

  test('bad inputs fail with one line before anything else', async () => {
    const ecr = await meta({ repository: 'ai-support' }, tagPush('v1.0.0'));
    expect(ecr.exitCode).not.toBe(0);
    expect(ecr.errors).toEqual([expect.stringContaining("Input 'repository' has the value 'ai-support': build: false makes no AWS call")]);
    const bad = await meta({ images: 'name=ghcr.io/a/app,enable=sometimes' }, tagPush('v1.0.0'));
    expect(bad.errors).toEqual([expect.stringContaining("Input 'images' has the value 'name=ghcr.io/a/app,enable=sometimes'")]);
  });
});
