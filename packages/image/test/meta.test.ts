import { describe, expect, test } from '@jest/globals';
import {
  computeLabels,
  computeTags,
  DEFAULT_TAG_RULES,
  defaultBuildArgs,
  type GitContext,
  highestRelease,
  parseFlavor,
  parseTagRules,
  sanitizeTag,
} from '../src/index.ts';

const SHA = '90dd6032fac8bda1b6c4436a2e65de27961ed071';
const MERGE_SHA = 'aaaaaaa000000000000000000000000000000000';
const HEAD_SHA = 'bbbbbbb111111111111111111111111111111111';
const NOW = new Date('2026-11-27T04:30:00.000Z');
const repository = {
  name: 'ai-support',
  full_name: 'tripo04os/ai-support',
  description: 'AI support service',
  html_url: 'https://github.com/tripo04os/ai-support',
  default_branch: 'main',
  license: { spdx_id: 'MIT' },
};

const push = (ref: string): GitContext => ({ eventName: 'push', ref, sha: SHA, payload: { repository }, now: NOW });
const pr: GitContext = {
  eventName: 'pull_request',
  ref: 'refs/pull/7/merge',
  sha: MERGE_SHA,
  payload: { number: 7, repository, pull_request: { number: 7, head: { sha: HEAD_SHA, ref: 'feature/x' }, base: { ref: 'main' } } },
  now: NOW,
};
const schedule: GitContext = { eventName: 'schedule', ref: 'refs/heads/main', sha: SHA, payload: { repository }, now: NOW };

interface Case {
  name: string;
  context: GitContext;
  rules?: string[];
  flavor?: string[];
  existing?: string[];
  tags: string[];
  version: string;
  latest: boolean;
}

// Expected values follow docker/metadata-action's documented tables (README "tags input",
// "type=semver", "type=ref", "type=sha", "Latest tag"), plus the two documented changes.
const cases: Case[] = [
  { name: 'push to main, default rules', context: push('refs/heads/main'), tags: ['main', 'sha-90dd603'], version: 'main', latest: false },
  {
    name: 'push to a feature branch with / in its name',
    context: push('refs/heads/feature/login-page'),
    tags: ['feature-login-page', 'sha-90dd603'],
    version: 'feature-login-page',
    latest: false,
  },
  {
    name: 'tag v1.2.3',
    context: push('refs/tags/v1.2.3'),
    tags: ['1.2.3', '1.2', 'sha-90dd603', 'latest'],
    version: '1.2.3',
    latest: true,
  },
  {
    name: 'tag v2.0.0-rc.1: a pre-release only extends {{version}} and never takes latest',
    context: push('refs/tags/v2.0.0-rc.1'),
    tags: ['2.0.0-rc.1', 'sha-90dd603'],
    version: '2.0.0-rc.1',
    latest: false,
  },
  {
    name: 'pull request: pr-N and the head commit, not the merge commit',
    context: pr,
    rules: ['type=ref,event=pr', 'type=sha', 'type=ref,event=branch'],
    tags: ['pr-7', 'sha-bbbbbbb'],
    version: 'pr-7',
    latest: false,
  },
  {
    name: 'schedule with a date pattern',
    context: schedule,
    rules: ["type=schedule,pattern={{date 'YYYYMMDD'}}", 'type=schedule', 'type=sha'],
    tags: ['20261127', 'nightly', 'sha-90dd603'],
    version: '20261127',
    latest: false,
  },
  {
    name: 'backport v1.4.9 after v2.0.0 does not move latest',
    context: push('refs/tags/v1.4.9'),
    existing: ['2.0.0', '2.0', '1.4.8', '1.4', 'latest', 'sha-1234567', '3.0.0-rc.1'],
    tags: ['1.4.9', '1.4', 'sha-90dd603'],
    version: '1.4.9',
    latest: false,
  },
  {
    name: 'a new highest release takes latest over older releases and pre-releases',
    context: push('refs/tags/v2.1.0'),
    existing: ['2.0.0', 'v1.9.9', '3.0.0-rc.1', 'latest'],
    tags: ['2.1.0', '2.1', 'sha-90dd603', 'latest'],
    version: '2.1.0',
    latest: true,
  },
  {
    name: 're-running the highest release keeps latest',
    context: push('refs/tags/v2.0.0'),
    existing: ['2.0.0', '1.4.9'],
    tags: ['2.0.0', '2.0', 'sha-90dd603', 'latest'],
    version: '2.0.0',
    latest: true,
  },
  {
    name: 'semver {{major}}, {{raw}} and a long sha',
    context: push('refs/tags/v1.2.3'),
    rules: ['type=semver,pattern={{major}}', 'type=semver,pattern={{raw}}', 'type=sha,format=long'],
    tags: ['1', 'v1.2.3', `sha-${SHA}`, 'latest'],
    version: '1',
    latest: true,
  },
  {
    name: 'semver with value on a branch push',
    context: push('refs/heads/main'),
    rules: ['type=semver,pattern={{major}}.{{minor}},value=v3.1.4', 'type=ref,event=branch'],
    tags: ['3.1', 'main', 'latest'],
    version: '3.1',
    latest: true,
  },
  {
    name: 'ref event=tag keeps the git tag, latest for a release',
    context: push('refs/tags/v1.2.3'),
    rules: ['type=ref,event=tag'],
    tags: ['v1.2.3', 'latest'],
    version: 'v1.2.3',
    latest: true,
  },
  {
    name: 'raw forms, priority and is_default_branch',
    context: push('refs/heads/main'),
    rules: ['type=raw,value=latest,enable={{is_default_branch}}', 'foo', 'type=raw,bar,priority=2000', 'type=raw,value={{branch}}-{{sha}}'],
    tags: ['bar', 'latest', 'foo', 'main-90dd603'],
    version: 'bar',
    latest: false,
  },
  {
    name: 'is_default_branch is false on another branch',
    context: push('refs/heads/develop'),
    rules: ['type=raw,value=latest,enable={{is_default_branch}}', 'type=ref,event=branch', 'type=sha,enable=false'],
    tags: ['develop'],
    version: 'develop',
    latest: false,
  },
  {
    name: 'flavor prefix/suffix: rule prefix wins, latest only with onlatest',
    context: push('refs/tags/v1.2.3'),
    rules: ['type=semver,pattern={{version}}', 'type=sha'],
    flavor: ['latest=auto', 'prefix=app-', 'suffix=-slim,suffix-onlatest=true'],
    tags: ['app-1.2.3-slim', 'sha-90dd603-slim', 'latest-slim'],
    version: 'app-1.2.3-slim',
    latest: true,
  },
  {
    name: 'flavor latest=true on a branch, latest=false on a tag',
    context: push('refs/heads/main'),
    rules: ['type=ref,event=branch'],
    flavor: ['latest=true'],
    tags: ['main', 'latest'],
    version: 'main',
    latest: true,
  },
  {
    name: 'flavor latest=false',
    context: push('refs/tags/v1.2.3'),
    rules: ['type=semver,pattern={{version}}'],
    flavor: ['latest=false'],
    tags: ['1.2.3'],
    version: '1.2.3',
    latest: false,
  },
  {
    name: "the spec 5.2 tags: the full commit and latest on the default branch (README's matrix example)",
    context: push('refs/heads/main'),
    rules: ['type=sha,format=long,prefix=', 'type=raw,value=latest,enable={{is_default_branch}}'],
    tags: ['latest', SHA],
    version: 'latest',
    latest: false,
  },
  {
    name: 'edge on the default branch',
    context: push('refs/heads/main'),
    rules: ['type=edge', 'type=ref,event=branch'],
    tags: ['edge', 'main'],
    version: 'edge',
    latest: false,
  },
  {
    name: 'branch names are sanitised',
    context: push('refs/heads/fix/Issue#42@home'),
    rules: ['type=ref,event=branch'],
    tags: ['fix-Issue-42-home'],
    version: 'fix-Issue-42-home',
    latest: false,
  },
];

describe('computeTags', () => {
  test.each(cases)('$name', (c) => {
    const result = computeTags({
      rules: parseTagRules(c.rules ?? DEFAULT_TAG_RULES),
      flavor: parseFlavor(c.flavor ?? []),
      context: c.context,
      existingTags: c.existing ?? [],
    });
    expect(result.tags).toEqual(c.tags);
    expect(result.version).toBe(c.version);
    expect(result.latest).toBe(c.latest);
  });

  test('the backport says why it did not take latest', () => {
    const r = computeTags({ rules: parseTagRules(DEFAULT_TAG_RULES), context: push('refs/tags/v1.4.9'), existingTags: ['v2.0.0'] });
    expect(r.latestReason).toBe('1.4.9 is older than 2.0.0, the highest release in the repository');
  });

  test('a pull request names its head commit', () => {
    expect(computeTags({ rules: parseTagRules(['type=sha']), context: pr }).commit).toBe(HEAD_SHA);
  });

  test('a pull request without a head sha in the payload falls back to GITHUB_SHA', () => {
    const ctx: GitContext = { ...pr, payload: { number: 7 } };
    expect(computeTags({ rules: parseTagRules(['type=sha', 'type=ref,event=pr']), context: ctx }).tags).toEqual(['pr-7', 'sha-aaaaaaa']);
  });

  test('schedule dates honour tz', () => {
    const r = computeTags({ rules: parseTagRules(["type=schedule,pattern={{date 'YYYYMMDD-HHmm' tz='Asia/Tokyo'}}"]), context: schedule });
    expect(r.tags).toEqual(['20261127-1330']);
  });
});

describe('pull_request_target (security: a PR run must never tag as the base branch)', () => {
  // What the runner sends: GITHUB_REF is the base branch, GITHUB_SHA its last commit, the payload
  // the pull request (from a fork, say) that asks to be merged into it.
  const target: GitContext = {
    eventName: 'pull_request_target',
    ref: 'refs/heads/main',
    sha: SHA,
    payload: {
      action: 'synchronize',
      number: 15,
      repository,
      pull_request: { number: 15, head: { sha: HEAD_SHA, ref: 'patch-1' }, base: { ref: 'main', sha: SHA } },
    },
    now: NOW,
  };

  test('neither the branch rule nor {{is_default_branch}} fires, so no :latest or :main', () => {
    const r = computeTags({
      rules: parseTagRules([
        'type=raw,value=latest,enable={{is_default_branch}}',
        'type=ref,event=branch',
        'type=edge',
        'type=ref,event=pr',
      ]),
      context: target,
    });
    expect(r.tags).toEqual(['pr-15']);
    expect(r.latest).toBe(false);
  });

  test('the default rules give the pull request tag and the head commit only', () => {
    expect(computeTags({ rules: parseTagRules(DEFAULT_TAG_RULES), context: target }).tags).toEqual(['sha-bbbbbbb']);
  });
});

describe('parseTagRules rejects bad rules with one line', () => {
  test.each([
    ['type=nightly', "Input 'tags' has the value 'type=nightly': unknown tag rule type 'nightly'"],
    ['type=match', 'type=match needs a pattern'],
    ['type=match,pattern=v(', 'pattern is not a regular expression'],
    ['type=match,pattern=v(.*),group=one', "group must be the number of a capture group, not 'one'"],
    ['type=pep440', 'type=pep440 needs a pattern'],
    ['type=semver,pattern={{version}},match=(', 'match is not a regular expression'],
    ['type=semver,pattern={{build}}', 'unknown tag rule pattern {{build}}'],
    ['type=semver', 'type=semver needs a pattern'],
    ['type=ref', 'type=ref needs event=branch, event=tag or event=pr'],
    ['type=ref,event=release', "unknown event 'release'"],
    ['type=sha,format=medium', "format must be short or long, not 'medium'"],
    ['type=raw', 'type=raw needs a value'],
    ['type=sha,priority=high', 'priority must be a whole number'],
    ['type=sha,pattern=x', "type=sha takes only enable, priority, prefix, suffix, format (not 'pattern')"],
    ["type=schedule,pattern={{date 'YYYY'}}-{{week}}", 'unknown tag rule pattern {{week}}'],
    ['type=raw,value={{unknown}}', 'unknown expression {{unknown}} in value'],
    ['type=sha,enable=maybe', 'enable must be true, false or an expression'],
  ])('%s', (line, message) => {
    expect(() => parseTagRules([line])).toThrow(message);
  });

  test('flavor', () => {
    expect(() => parseFlavor(['latest=maybe'])).toThrow(
      "Input 'flavor' has the value 'latest=maybe': expected latest=auto, latest=true or latest=false",
    );
    expect(() => parseFlavor(['colour=red'])).toThrow('expected latest=auto|true|false, prefix=');
  });

  test('quoted values may hold commas', () => {
    expect(parseTagRules(['type=raw,"value=a,b"'])[0]?.attrs.value).toBe('a,b');
  });
});

describe('helpers', () => {
  test('sanitizeTag', () => {
    expect(sanitizeTag('feature/x y')).toBe('feature-x-y');
    expect(sanitizeTag('a'.repeat(200))).toHaveLength(128);
  });
  test('highestRelease skips pre-releases and non-versions', () => {
    expect(highestRelease(['latest', '3.0.0-rc.1', 'v2.0.1', '2.0', '1.9.9', 'sha-1234567'])?.version).toBe('2.0.1');
    expect(highestRelease(['latest', 'main'])).toBeUndefined();
  });
});

describe('labels and build args', () => {
  test('OCI labels from the repository in the payload, version and revision', () => {
    expect(computeLabels({ context: push('refs/tags/v1.2.3'), version: '1.2.3' })).toEqual({
      'org.opencontainers.image.title': 'ai-support',
      'org.opencontainers.image.description': 'AI support service',
      'org.opencontainers.image.url': 'https://github.com/tripo04os/ai-support',
      'org.opencontainers.image.source': 'https://github.com/tripo04os/ai-support',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.created': '2026-11-27T04:30:00.000Z',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.licenses': 'MIT',
    });
  });

  test('pull requests label the head commit; unknown fields are empty; extra labels win, sorted by key', () => {
    const ctx: GitContext = { ...pr, payload: { ...pr.payload, repository: { name: 'ai-support' } } };
    expect(computeLabels({ context: ctx, version: 'pr-7', labels: ['org.opencontainers.image.title=Custom', 'team=ops'] })).toEqual({
      'org.opencontainers.image.created': '2026-11-27T04:30:00.000Z',
      'org.opencontainers.image.description': '',
      'org.opencontainers.image.licenses': '',
      'org.opencontainers.image.revision': HEAD_SHA,
      'org.opencontainers.image.source': '',
      'org.opencontainers.image.title': 'Custom',
      'org.opencontainers.image.url': '',
      'org.opencontainers.image.version': 'pr-7',
      team: 'ops',
    });
  });

  test("labels come in metadata-action's order (localeCompare), with and without keys outside [a-z0-9.]", () => {
    const byLocale = (keys: string[]) => [...keys].sort((a, b) => a.localeCompare(b));
    // Keys of lowercase letters, digits and dots: a random sample, against localeCompare's order.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789.';
    // (Not integers: an object lists those first, whatever the order they were set in.)
    const plain = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + (next() % 12) }, () => chars[next() % chars.length] as string).join(''),
    ).filter((k) => !/^(0|[1-9][0-9]*)$/.test(k));
    const ctx = push('refs/heads/main');
    const keysOf = (lines: string[]) => Object.keys(computeLabels({ context: ctx, version: 'main', labels: lines }));
    const plainKeys = keysOf(plain.map((k) => `${k}=1`));
    expect(plainKeys).toEqual(byLocale(plainKeys));
    expect(plainKeys).toContain('org.opencontainers.image.version');
    // Upper case, '-' and '_' order differently by code unit: localeCompare decides.
    const mixed = keysOf(['Zeta=1', 'alpha=2', 'team-b=3', 'team_a=4', 'team.c=5', 'x9=6', 'Team=7']);
    expect(mixed).toEqual(byLocale(mixed));
    expect(mixed.slice(0, 2)).toEqual(['alpha', 'org.opencontainers.image.created']);
    expect(mixed.indexOf('team_a')).toBeLessThan(mixed.indexOf('team-b'));
  });

  test('created and BUILD_DATE are the build time, even when the event has the commit time', () => {
    const ctx: GitContext = {
      ...push('refs/heads/main'),
      payload: { repository, head_commit: { id: SHA, timestamp: '2026-11-26T18:05:09+01:00' } },
    };
    expect(computeLabels({ context: ctx, version: 'main' })['org.opencontainers.image.created']).toBe('2026-11-27T04:30:00.000Z');
    expect(defaultBuildArgs(ctx, {}).BUILD_DATE).toBe('2026-11-27T04:30:00.000Z');
  });

  test('label lines: expressions expanded, a line without = dropped with a warning, = kept in values', () => {
    const warnings: string[] = [];
    const labels = computeLabels({
      context: push('refs/heads/main'),
      version: 'main',
      labels: ['invalid', 'org.opencontainers.image.title=My=Title', 'build.branch={{branch}}-{{sha}}'],
      warnings,
    });
    expect(labels['org.opencontainers.image.title']).toBe('My=Title');
    expect(labels['build.branch']).toBe('main-90dd603');
    expect(Object.keys(labels)).not.toContain('invalid');
    expect(Object.keys(labels)).toEqual([...Object.keys(labels)].sort((a, b) => a.localeCompare(b)));
    expect(warnings).toEqual(["Input 'labels': 'invalid' has no '=' and is left out (expected key=value)"]);
  });

  test('BUILD_DATE and VCS_REF are added unless given', () => {
    expect(defaultBuildArgs(pr, { PY: '3.12' })).toEqual({ PY: '3.12', BUILD_DATE: '2026-11-27T04:30:00.000Z', VCS_REF: HEAD_SHA });
    expect(defaultBuildArgs(pr, { VCS_REF: 'x', BUILD_DATE: 'y' })).toEqual({ VCS_REF: 'x', BUILD_DATE: 'y' });
  });
});
