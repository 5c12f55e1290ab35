/**
 * Tag and label rules against the events real runners send (push to a branch, tag push,
 * pull_request, pull_request_target, schedule, release, workflow_dispatch): each rule type of
 * docker/metadata-action and each case fixed for issue 17. The payloads are trimmed to the fields
 * GitHub sends that the rules read; refs, SHAs and timestamps are as the runner gives them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  computeAnnotations,
  computeLabels,
  computeTags,
  contextFromEnv,
  DEFAULT_TAG_RULES,
  type GitContext,
  imageTags,
  parseFlavor,
  parseImages,
  parseTagRules,
} from '../src/index.ts';

const NOW = new Date('2026-11-30T09:15:42.000Z');
const SHA = '5f3c7e2a9b1d4c6e8f0a2b4c6d8e0f1a3b5c7d9e';
const MERGE = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const HEAD = 'dec0de11dec0de11dec0de11dec0de11dec0de11';
const repository = {
  name: 'ai-support',
  full_name: 'tripo04os/ai-support',
  description: 'AI support service',
  html_url: 'https://github.com/tripo04os/ai-support',
  default_branch: 'main',
  license: { spdx_id: 'Apache-2.0' },
};
const commit = { id: SHA, timestamp: '2026-11-29T22:04:05+01:00', message: 'Fix the retry loop' };

const branchPush = (branch: string): GitContext => ({
  eventName: 'push',
  ref: `refs/heads/${branch}`,
  sha: SHA,
  payload: {
    ref: `refs/heads/${branch}`,
    before: '0'.repeat(40),
    after: SHA,
    base_ref: null,
    commits: [commit],
    head_commit: commit,
    repository,
  },
  now: NOW,
});
const tagPush = (tag: string, baseRef: string | null = null): GitContext => ({
  eventName: 'push',
  ref: `refs/tags/${tag}`,
  sha: SHA,
  payload: { ref: `refs/tags/${tag}`, after: SHA, base_ref: baseRef, commits: [], head_commit: commit, repository },
  now: NOW,
});
const pullRequest: GitContext = {
  eventName: 'pull_request',
  ref: 'refs/pull/42/merge',
  sha: MERGE,
  payload: {
    action: 'opened',
    number: 42,
    pull_request: { number: 42, head: { ref: 'feature/retry', sha: HEAD }, base: { ref: 'main', sha: SHA } },
    repository,
  },
  now: NOW,
};
const pullRequestTarget: GitContext = { ...pullRequest, eventName: 'pull_request_target', ref: 'refs/heads/main', sha: SHA };
const schedule: GitContext = {
  eventName: 'schedule',
  ref: 'refs/heads/main',
  sha: SHA,
  payload: { schedule: '15 9 * * *', repository },
  now: NOW,
};
const release: GitContext = {
  eventName: 'release',
  ref: 'refs/tags/v1.4.0',
  sha: SHA,
  payload: { action: 'published', release: { tag_name: 'v1.4.0', prerelease: false }, repository },
  now: NOW,
};
const dispatch: GitContext = {
  eventName: 'workflow_dispatch',
  ref: 'refs/heads/develop',
  sha: SHA,
  payload: { inputs: {}, ref: 'refs/heads/develop', repository },
  now: NOW,
};

interface Case {
  name: string;
  context: GitContext;
  rules: string[];
  flavor?: string[];
  tags: string[];
  latest?: boolean;
  warnings?: string[];
}

const cases: Case[] = [
  // type=match
  {
    name: 'match: group 1 of a tag push',
    context: tagPush('v1.4.2'),
    rules: [String.raw`type=match,pattern=v(\d+.\d+),group=1`],
    tags: ['1.4', 'latest'],
    latest: true,
  },
  {
    name: 'match: /regex/flags and value=',
    context: branchPush('main'),
    rules: ['type=match,pattern=/^RELEASE-(.*)$/i,group=1,value=release-2026.11'],
    tags: ['2026.11', 'latest'],
    latest: true,
  },
  {
    name: 'match: group 0 by default (a date tag)',
    context: tagPush('20261130-rc2'),
    rules: [String.raw`type=match,pattern=\d{8}`],
    tags: ['20261130', 'latest'],
    latest: true,
  },
  {
    name: 'match: no match gives nothing and a warning',
    context: tagPush('nightly'),
    rules: [String.raw`type=match,pattern=v(\d+),group=1`, 'type=sha'],
    tags: ['sha-5f3c7e2'],
    latest: false,
    warnings: [String.raw`type=match,pattern=v(\d+),group=1: v(\d+) does not match nightly`],
  },
  // type=pep440
  {
    name: 'pep440: a release gets version and major.minor',
    context: tagPush('v2.3.1'),
    rules: ['type=pep440,pattern={{version}}', 'type=pep440,pattern={{major}}.{{minor}}'],
    tags: ['2.3.1', '2.3', 'latest'],
    latest: true,
  },
  {
    name: 'pep440: a release candidate only gets its normalised version, never latest',
    context: tagPush('1.2.3rc2'),
    rules: ['type=pep440,pattern={{version}}', 'type=pep440,pattern={{major}}.{{minor}}'],
    tags: ['1.2.3rc2'],
    latest: false,
  },
  {
    name: 'pep440: post and dev releases are normalised',
    context: tagPush('1.2-post1'),
    rules: ['type=pep440,pattern={{major}}'],
    tags: ['1.2.post1'],
    latest: false,
  },
  {
    name: 'pep440: {{raw}} keeps the tag as written',
    context: tagPush('v1.0dev4'),
    rules: ['type=pep440,pattern={{raw}}'],
    tags: ['v1.0dev4'],
    latest: false,
  },
  {
    name: 'pep440: not a PEP 440 version gives a warning',
    context: tagPush('sometag'),
    rules: ['type=pep440,pattern={{version}}', 'type=ref,event=tag'],
    tags: ['sometag', 'latest'],
    latest: true,
    warnings: ['type=pep440,pattern={{version}}: sometag does not conform to PEP 440 (https://peps.python.org/pep-0440/)'],
  },
  // semver match=
  {
    name: 'semver match=: the version out of a prefixed tag',
    context: tagPush('api-v1.7.0'),
    rules: [String.raw`type=semver,pattern={{version}},match=api-v(\d.\d.\d)$`, 'type=semver,pattern={{major}},match=api-v(.*)'],
    tags: ['1.7.0', '1', 'latest'],
    latest: true,
  },
  {
    name: 'semver: a tag that is not semver warns and gives nothing',
    context: tagPush('release1'),
    rules: ['type=semver,pattern={{version}}', 'type=sha'],
    tags: ['sha-5f3c7e2'],
    latest: false,
    warnings: ['type=semver,pattern={{version}}: release1 is not a valid semver (https://semver.org/)'],
  },
  // Global expressions
  {
    name: '{{commit_date}} from the pushed commit in the payload, {{date}} the build time',
    context: branchPush('main'),
    rules: ["type=raw,value={{commit_date 'YYYYMMDD-HHmmss'}}", "type=raw,value=built-{{date 'YYYYMMDD'}}"],
    tags: ['20261129-210405', 'built-20261130'],
  },
  {
    name: '{{commit_date}} with tz',
    context: branchPush('main'),
    rules: ["type=raw,value={{commit_date 'YYYY.MM.DD-HH' tz='Asia/Tokyo'}}"],
    tags: ['2026.11.30-06'],
  },
  {
    name: '{{is_not_default_branch}} on a feature branch',
    context: branchPush('develop'),
    rules: ['type=raw,value=dev,enable={{is_not_default_branch}}', 'type=raw,value=latest,enable={{is_default_branch}}'],
    tags: ['dev'],
  },
  {
    name: '{{is_not_default_branch}} is false on the default branch',
    context: branchPush('main'),
    rules: ['type=raw,value=dev,enable={{is_not_default_branch}}', 'type=raw,value=stable,enable={{is_default_branch}}'],
    tags: ['stable'],
  },
  {
    name: '{{base_ref}} on a tag push comes from the payload',
    context: tagPush('v1.4.0', 'refs/heads/main'),
    rules: ['type=raw,value={{base_ref}}-{{tag}}'],
    tags: ['main-v1.4.0'],
  },
  {
    name: '{{base_ref}} on a pull request is its base branch',
    context: pullRequest,
    rules: ['type=raw,value=into-{{base_ref}}', 'type=raw,value=b{{branch}}'],
    tags: ['into-main', 'b'],
  },
  // Flavor spellings
  {
    name: "flavor: metadata-action's onlatest= spelling",
    context: tagPush('v3.0.0'),
    rules: ['type=semver,pattern={{version}}'],
    flavor: ['prefix=py-,onlatest=true', 'suffix=-slim'],
    tags: ['py-3.0.0-slim', 'py-latest'],
    latest: true,
  },
  {
    name: 'flavor: prefix-onlatest= spelling',
    context: tagPush('v3.0.0'),
    rules: ['type=semver,pattern={{version}}'],
    flavor: ['suffix=-slim', 'suffix-onlatest=true'],
    tags: ['3.0.0-slim', 'latest-slim'],
    latest: true,
  },
  // The events
  {
    name: 'release event: semver of the release tag',
    context: release,
    rules: ['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}', 'type=ref,event=branch'],
    tags: ['1.4.0', '1.4', 'latest'],
    latest: true,
  },
  {
    name: 'workflow_dispatch on a branch: branch and sha',
    context: dispatch,
    rules: DEFAULT_TAG_RULES,
    tags: ['develop', 'sha-5f3c7e2'],
  },
  {
    name: 'schedule: nightly and the date, and {{is_default_branch}}',
    context: schedule,
    rules: ["type=schedule,pattern=nightly-{{date 'YYYYMMDD'}}", 'type=raw,value=latest,enable={{is_default_branch}}'],
    tags: ['nightly-20261130', 'latest'],
  },
  {
    name: 'pull_request: pr-N and the head commit',
    context: pullRequest,
    rules: ['type=ref,event=pr', 'type=ref,event=branch', 'type=sha', 'type=edge'],
    tags: ['pr-42', 'sha-dec0de1'],
  },
  {
    name: 'pull_request_target: the same tags as pull_request, nothing of the base branch',
    context: pullRequestTarget,
    rules: ['type=ref,event=pr', 'type=ref,event=branch', 'type=sha', 'type=raw,value=latest,enable={{is_default_branch}}', 'type=edge'],
    tags: ['pr-42', 'sha-dec0de1'],
  },
  {
    name: 'latest: the first rule by priority decides (a raw tag first: no latest)',
    context: tagPush('v1.0.0'),
    rules: ['type=raw,value=first,priority=2000', 'type=semver,pattern={{version}}'],
    tags: ['first', '1.0.0'],
    latest: false,
  },
];

describe('metadata-action rules on the events runners send', () => {
  test.each(cases)('$name', (c) => {
    const r = computeTags({ rules: parseTagRules(c.rules), flavor: parseFlavor(c.flavor ?? []), context: c.context });
    expect(r.tags).toEqual(c.tags);
    if (c.latest !== undefined) expect(r.latest).toBe(c.latest);
    expect(r.warnings).toEqual(c.warnings ?? []);
  });

  test('an enable expression that is not true or false is an error', () => {
    expect(() => computeTags({ rules: parseTagRules(['type=raw,value=x,enable={{branch}}']), context: branchPush('main') })).toThrow(
      "Input 'tags': enable in 'type=raw,value=x,enable={{branch}}' expanded to 'main'; expected true or false",
    );
  });

  test('an unquoted date format renders the default format, as Handlebars does', () => {
    const r = computeTags({ rules: parseTagRules(['type=raw,value={{commit_date YYYYMMDD}}']), context: branchPush('main') });
    expect(r.tags).toEqual(['2026-11-29T21-04-05Z']);
  });

  test('the latest tag is not duplicated when a rule gives it too', () => {
    const r = computeTags({ rules: parseTagRules(['type=raw,value=latest', 'type=ref,event=tag']), context: tagPush('v1.0.0') });
    expect(r.tags).toEqual(['v1.0.0', 'latest']);
  });
});

describe('the runner environment (contextFromEnv) and DOCKER_METADATA_* switches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meta-env-'));
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(pullRequest.payload));
  const env = (extra: Record<string, string> = {}) => ({
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REF: 'refs/pull/42/merge',
    GITHUB_SHA: MERGE,
    GITHUB_HEAD_REF: 'feature/retry',
    GITHUB_REPOSITORY: 'tripo04os/ai-support',
    ...extra,
  });
  const tagsFor = (e: Record<string, string>) =>
    computeTags({ rules: parseTagRules(['type=sha']), context: { ...contextFromEnv(e), now: NOW } }).tags;

  test('by default a pull request is tagged with its head commit', () => {
    expect(tagsFor(env())).toEqual(['sha-dec0de1']);
  });
  test('DOCKER_METADATA_PR_HEAD_SHA=false tags the merge commit, as metadata-action does by default', () => {
    const ctx = { ...contextFromEnv(env({ DOCKER_METADATA_PR_HEAD_SHA: 'false' })), now: NOW };
    expect(computeTags({ rules: parseTagRules(['type=sha']), context: ctx }).tags).toEqual(['sha-c0ffee0']);
    expect(computeLabels({ context: ctx, version: 'pr-42' })['org.opencontainers.image.revision']).toBe(MERGE);
  });
  test('DOCKER_METADATA_PR_HEAD_SHA=true is accepted', () => {
    expect(tagsFor(env({ DOCKER_METADATA_PR_HEAD_SHA: 'true' }))).toEqual(['sha-dec0de1']);
  });
  test('DOCKER_METADATA_SHORT_SHA_LENGTH', () => {
    expect(tagsFor(env({ DOCKER_METADATA_SHORT_SHA_LENGTH: '12' }))).toEqual(['sha-dec0de11dec0']);
  });
  test('bad switch values fail with one line', () => {
    expect(() => contextFromEnv(env({ DOCKER_METADATA_PR_HEAD_SHA: 'yes' }))).toThrow("DOCKER_METADATA_PR_HEAD_SHA is 'yes'");
    expect(() => contextFromEnv(env({ DOCKER_METADATA_SHORT_SHA_LENGTH: 'long' }))).toThrow("DOCKER_METADATA_SHORT_SHA_LENGTH is 'long'");
  });
  test('pull_request_target from the environment: the merge ref, never the base branch', () => {
    writeFileSync(join(dir, 'target.json'), JSON.stringify(pullRequest.payload));
    const e = {
      ...env(),
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: SHA,
      GITHUB_EVENT_PATH: join(dir, 'target.json'),
    };
    const r = computeTags({
      rules: parseTagRules(['type=ref,event=branch', 'type=ref,event=pr', 'type=raw,value=latest,enable={{is_default_branch}}']),
      context: { ...contextFromEnv(e), now: NOW },
    });
    expect(r.tags).toEqual(['pr-42']);
  });
});

describe('several images', () => {
  test('one line per image, name= and enable=, names lower-cased with a notice', () => {
    const parsed = parseImages([
      '127.0.0.1:5000/Tripo04os/AI-Support',
      'name=ghcr.io/tripo04os/ai-support,enable=true',
      'name=docker.io/tripo04os/ai-support,enable=false',
    ]);
    expect(parsed.images).toEqual([
      { name: '127.0.0.1:5000/tripo04os/ai-support', enable: true },
      { name: 'ghcr.io/tripo04os/ai-support', enable: true },
      { name: 'docker.io/tripo04os/ai-support', enable: false },
    ]);
    expect(parsed.notices).toEqual([
      "Image name '127.0.0.1:5000/Tripo04os/AI-Support' lower-cased to '127.0.0.1:5000/tripo04os/ai-support' (registries take lower-case repository names)",
    ]);
    expect(imageTags(parsed.images, ['1.2.3', 'latest'])).toEqual([
      '127.0.0.1:5000/tripo04os/ai-support:1.2.3',
      '127.0.0.1:5000/tripo04os/ai-support:latest',
      'ghcr.io/tripo04os/ai-support:1.2.3',
      'ghcr.io/tripo04os/ai-support:latest',
    ]);
  });
  test('a single line may list several names, comma-separated', () => {
    expect(parseImages(['ghcr.io/a/app, ghcr.io/b/app']).images.map((i) => i.name)).toEqual(['ghcr.io/a/app', 'ghcr.io/b/app']);
  });
  test('no enabled image: the bare tag names', () => {
    expect(imageTags([{ name: 'ghcr.io/a/app', enable: false }], ['v1'])).toEqual(['v1']);
  });
  test('bad lines fail with one line naming the input', () => {
    expect(() => parseImages(['name=ghcr.io/a/app,enable=maybe', 'x/y'])).toThrow(
      "Input 'images' has the value 'name=ghcr.io/a/app,enable=maybe': enable must be true or false, not 'maybe'",
    );
    expect(() => parseImages(['ghcr.io/a/app:1.0', 'x/y'])).toThrow("'ghcr.io/a/app:1.0' is not an image name");
    expect(() => parseImages(['name=ghcr.io/a/app,platform=arm', 'x/y'])).toThrow("unknown attribute 'platform'");
    expect(() => parseImages(['enable=true', 'x/y'])).toThrow('no image name');
  });
});

describe('annotations for the json output', () => {
  test('the OCI labels at each level', () => {
    const a = computeAnnotations(branchPush('main'), 'main', ['manifest', 'index']);
    expect(a).toHaveLength(16);
    expect(a[0]).toBe('manifest:org.opencontainers.image.created=2026-11-30T09:15:42.000Z');
    expect(a).toContain('index:org.opencontainers.image.revision=5f3c7e2a9b1d4c6e8f0a2b4c6d8e0f1a3b5c7d9e');
  });
});
