/**
 * Issue 15: inputs are checked into the plan before any probe, network call or heavy import, and
 * the builder probe starts before the rest of the step loads. Proof without timing: a copy of the
 * bundle without the chunks that hold the AWS SDK (smithy) and @actions/core's HTTP client
 * (undici) still reports each bad input with its one line and starts no process; good inputs
 * start the docker probe, then stop where the missing chunks are needed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@tripo04os/kit/harness';

describe('docker-build checks its inputs before anything heavy loads', () => {
  const root = mkdtempSync(join(tmpdir(), 'db-entry-'));
  const dist = join(root, 'dist');
  mkdirSync(dist);
  const removed: string[] = [];
  for (const f of readdirSync(join(repoRoot, 'actions/docker-build/dist'))) {
    const from = join(repoRoot, 'actions/docker-build/dist', f);
    if (f.endsWith('.js') && /smithy|undici/.test(readFileSync(from, 'utf8'))) removed.push(f);
    else copyFileSync(from, join(dist, f));
  }
  // A docker that records each call (and answers the probe as a working daemon would).
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const calls = join(root, 'calls');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$*" >> '${calls}'\necho 27.5.1\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  const context = join(root, 'ctx');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');

  const runEntry = (inputs: Record<string, string>, env: Record<string, string> = {}, entry = join(dist, 'index.js')) => {
    writeFileSync(calls, '');
    const input = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
    const state = join(root, 'state');
    writeFileSync(state, '');
    const r = spawnSync(process.execPath, [entry], {
      cwd: context,
      env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_STATE: state, AWS_REGION: 'us-east-1', ...input, ...env },
      encoding: 'utf8',
    });
    return { ...r, calls: readFileSync(calls, 'utf8'), state: readFileSync(state, 'utf8') };
  };

  it('the copy really lacks the AWS SDK and undici', () => {
    expect(removed.length).toBeGreaterThanOrEqual(2);
    for (const f of removed) expect(existsSync(join(dist, f))).toBe(false);
  });

  it.each([
    [{}, "::error::Input 'repository'"],
    [{ repository: 'app', tags: 'type=nope' }, "::error::Input 'tags'"],
    [{ repository: 'app', context: 'missing' }, "::error::Input 'context'"],
    [{ repository: 'Bad Name!' }, "::error::Input 'repository'"],
    [{ repository: 'app', builder: 'kaniko' }, "::error::Input 'builder'"],
  ])('%j fails with its one line, before any probe', (inputs, line) => {
    const r = runEntry(inputs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(line);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toHaveLength(1);
    expect(r.calls).toBe('');
    // The post step will know it is the post step (it must not run the build again).
    expect(r.state).toContain('isPost');
  });

  const push = { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: '90dd6032fac8bda1b6c4436a2e65de27961ed071' };

  it('good inputs with builder docker start the build at once, as it needs no registry (and no probe); only then the rest loads (which this copy lacks)', () => {
    const r = runEntry({ repository: 'app', builder: 'docker' }, push);
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
    expect(r.calls.trim().split('\n')).toEqual([
      expect.stringMatching(/^build --iidfile \S+ --build-arg BUILD_DATE=\S+ --build-arg VCS_REF=90dd603\S* -f - \.$/),
    ]);
  });

  it('builder auto: the probe starts before the rest loads, as it decides the builder', () => {
    const r = runEntry({ repository: 'app' }, push);
    expect(`${r.stdout}${r.stderr}`).toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
    expect(r.calls.trim().split('\n').sort()).toEqual(['buildx version', 'info --format {{.ServerVersion}}']);
  });

  it('a build that may pull from the target registry waits for it: the probe starts (a build will need it), the build does not', () => {
    writeFileSync(join(context, 'Dockerfile'), 'FROM 123456789012.dkr.ecr.us-east-1.amazonaws.com/base:1\n');
    try {
      const r = runEntry({ repository: 'app', builder: 'docker' }, push);
      expect(`${r.stdout}${r.stderr}`).toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
      expect(r.calls.trim().split('\n')).toEqual(['info --format {{.ServerVersion}}']);
    } finally {
      writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');
    }
  });

  it('the post step (the whole bundle) does not run the build again: without a login to undo it does nothing', () => {
    const r = runEntry({}, { STATE_isPost: 'true' }, join(repoRoot, 'actions/docker-build/dist/index.js'));
    expect(r.status).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain('::error::');
    expect(r.calls).toBe('');
    const out = runEntry(
      {},
      { STATE_isPost: 'true', STATE_logout: JSON.stringify({ builder: 'docker', registry: '127.0.0.1:5000' }) },
      join(repoRoot, 'actions/docker-build/dist/index.js'),
    );
    expect(out.status).toBe(0);
    expect(out.calls).toBe('logout 127.0.0.1:5000\n');
  });
});
