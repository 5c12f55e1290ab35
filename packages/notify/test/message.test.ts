import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runContext } from '@tripo04os/common';
import { automaticFields, buildMessage, defaultTitle, statusStyle, truncate } from '../src/message.ts';

const pushEnv = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'tripo04os/ai-support',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REF_NAME: 'main',
  GITHUB_REF_TYPE: 'branch',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_ACTOR: 'octocat',
  GITHUB_WORKFLOW: 'CI',
  GITHUB_JOB: 'deploy',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '99',
  GITHUB_RUN_NUMBER: '7',
  GITHUB_RUN_ATTEMPT: '1',
};

describe('statusStyle', () => {
  test.each([
    ['success', 'success', '✅', '#2EB67D'],
    ['Success', 'success', '✅', '#2EB67D'],
    ['failure', 'failure', '❌', '#E01E5A'],
    ['failed', 'failure', '❌', '#E01E5A'],
    ['cancelled', 'cancelled', '🚫', '#9E9E9E'],
    ['canceled', 'cancelled', '🚫', '#9E9E9E'],
    ['started', 'started', '🚀', '#1D9BD1'],
    ['warning', 'warning', '⚠️', '#ECB22E'],
  ])('%s is %s with %s and %s', (input, status, emoji, color) => {
    const s = statusStyle(input);
    expect([s.status, s.emoji, s.color, s.known]).toEqual([status, emoji, color, true]);
  });
  test('free text keeps its words and gets a neutral look', () => {
    const s = statusStyle('Rolled back');
    expect(s).toMatchObject({ status: 'Rolled back', known: false, emoji: 'ℹ️', teamsColor: 'Default' });
    expect(defaultTitle(s, runContext(pushEnv), '')).toBe('CI: Rolled back on tripo04os/ai-support');
  });
});

describe('runContext and automatic fields', () => {
  test('a push to a branch', () => {
    const ctx = runContext(pushEnv);
    expect(ctx).toMatchObject({
      refType: 'branch',
      refName: 'main',
      shortSha: '0123456',
      commitUrl: 'https://github.com/tripo04os/ai-support/commit/0123456789abcdef0123456789abcdef01234567',
      runUrl: 'https://github.com/tripo04os/ai-support/actions/runs/99',
    });
    const fields = automaticFields(ctx, 'production');
    expect(fields.map((f) => [f.name, f.value])).toEqual([
      ['Repository', 'tripo04os/ai-support'],
      ['Branch', 'main'],
      ['Commit', '0123456'],
      ['Actor', 'octocat'],
      ['Workflow', 'CI'],
      ['Event', 'push'],
      ['Run', '#7'],
      ['Environment', 'production'],
    ]);
    expect(fields.find((f) => f.name === 'Commit')?.url).toBe(ctx.commitUrl);
  });

  test('a tag push and a re-run attempt', () => {
    const ctx = runContext({
      ...pushEnv,
      GITHUB_REF: 'refs/tags/v1.2.0',
      GITHUB_REF_NAME: 'v1.2.0',
      GITHUB_REF_TYPE: 'tag',
      GITHUB_RUN_ATTEMPT: '2',
    });
    expect(ctx.refType).toBe('tag');
    expect(ctx.runUrl).toBe('https://github.com/tripo04os/ai-support/actions/runs/99/attempts/2');
    expect(automaticFields(ctx).find((f) => f.name === 'Tag')).toEqual({
      name: 'Tag',
      value: 'v1.2.0',
      url: 'https://github.com/tripo04os/ai-support/releases/tag/v1.2.0',
    });
  });

  test('a pull request shows the head branch (GITHUB_HEAD_REF) and the head commit, not the merge commit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'notify-'));
    const eventPath = join(dir, 'event.json');
    await writeFile(
      eventPath,
      JSON.stringify({
        pull_request: { number: 12, html_url: 'https://github.com/o/r/pull/12', head: { sha: 'fedcba9876543210', ref: 'feature/x' } },
      }),
    );
    const ctx = runContext({
      ...pushEnv,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_REF: 'refs/pull/12/merge',
      GITHUB_REF_NAME: '12/merge',
      GITHUB_HEAD_REF: 'feature/x',
      GITHUB_EVENT_PATH: eventPath,
    });
    expect(ctx).toMatchObject({ refType: 'pull request', refName: 'feature/x', headRef: 'feature/x', prNumber: '12', shortSha: 'fedcba9' });
    expect(automaticFields(ctx).find((f) => f.name === 'Pull request')).toEqual({
      name: 'Pull request',
      value: '#12 (feature/x)',
      url: 'https://github.com/o/r/pull/12',
    });
  });

  test('buildMessage: default title, caller fields after the automatic ones, automatic fields can be turned off', () => {
    const ctx = runContext(pushEnv);
    const m = buildMessage({ status: 'failure', fields: { Image: 'svc:v2' }, environment: 'staging' }, ctx);
    expect(m.title).toBe('CI failed on tripo04os/ai-support (staging)');
    expect(m.fields).toEqual([{ name: 'Image', value: 'svc:v2' }]);
    expect(m.automatic.at(-1)).toEqual({ name: 'Environment', value: 'staging' });
    expect(buildMessage({ automaticFields: false }, ctx).automatic).toEqual([]);
  });
});

test('truncate counts code points and marks the cut', () => {
  expect(truncate('abcdef', 4)).toBe('abc…');
  expect(truncate('abc', 4)).toBe('abc');
  expect(Array.from(truncate('😀'.repeat(10), 5))).toHaveLength(5);
});
