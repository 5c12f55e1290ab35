/**
 * The CLI contract: `npm run -s workflow -- run FILE ...`, its exit codes (0 success, 1 failure,
 * 2 invalid workflow or command line), the run folder, and Ctrl-C (cancelled, services stopped).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { gitRepo } from './helpers.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const npm = (args: string[], cwd = root) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const p = spawn('npm', ['run', '-s', 'workflow', '--', ...args], {
      cwd,
      env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });

const WF = `
name: cli
on:
  workflow_dispatch:
    inputs:
      who:
        required: true
jobs:
  hello:
    runs-on: ubuntu-latest
    steps:
      - name: greet
        run: |
          echo "hello $WHO with $TOKEN"
          echo "## Hello $WHO" >> "$GITHUB_STEP_SUMMARY"
        env:
          WHO: \${{ inputs.who }}
          TOKEN: \${{ secrets.TOKEN }}
`;

describe('CLI (npm run -s workflow -- run ...)', () => {
  it('exit 0, run.json, summary.md, masked logs/KEY.log; --secrets-file and --env-file are dotenv files', async () => {
    const repo = gitRepo({ '.github/workflows/cli.yml': WF });
    const dir = mkdtempSync(join(tmpdir(), 'wf-cli-'));
    writeFileSync(join(dir, 'secrets'), 'TOKEN="tok-from-file-123"\n');
    writeFileSync(join(dir, 'env'), 'MACHINE_VAR=from-env-file\n');
    const out = join(dir, 'out');
    const r = await npm([
      'run',
      join(repo, '.github/workflows/cli.yml'),
      '--repo',
      repo,
      '--event',
      'workflow_dispatch',
      '--input',
      'who=world',
      '--secrets-file',
      join(dir, 'secrets'),
      '--env-file',
      join(dir, 'env'),
      '--out',
      out,
    ]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain('[hello] hello world with ***');
    expect(r.stdout).toMatch(/✓ hello: success \(\d+\.\ds\)/);
    expect(r.stdout).toMatch(/job\s+result\s+time\nhello\s+success/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ conclusion: 'success', workflow: 'cli', event: 'workflow_dispatch', ref: 'refs/heads/main' });
    expect(run.jobs[0]).toMatchObject({
      key: 'hello',
      id: 'hello',
      path: 'hello',
      result: 'success',
      log: 'logs/hello.log',
      summary: 'summaries/hello.md',
    });
    expect(run.jobs[0].steps.map((s: { name: string }) => s.name)).toEqual(['greet']);
    expect(readFileSync(join(out, 'logs/hello.log'), 'utf8')).toContain('##[step]greet\nhello world with ***\n');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('## Hello world');
    expect(r.stdout).not.toContain('tok-from-file-123');
    // @tripo04os/report's page, written at the end of the run and rebuilt by `report OUT`
    expect(r.stdout).toContain(`report: ${join(out, 'report.html')}`);
    rmSync(join(out, 'report.html'));
    const again = await npm(['report', out]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).not.toContain('tok-from-file-123');
  });

  it('exit 1 when a job fails; exit 2 with one line for a bad --input, nothing run', async () => {
    const repo = gitRepo({ '.github/workflows/f.yml': 'on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: exit 4\n' });
    const fail = await npm(['run', join(repo, '.github/workflows/f.yml'), '--repo', repo, '--event', 'push']);
    expect(fail.code).toBe(1);
    const repo2 = gitRepo({ '.github/workflows/cli.yml': WF });
    const bad = await npm([
      'run',
      join(repo2, '.github/workflows/cli.yml'),
      '--repo',
      repo2,
      '--event',
      'workflow_dispatch',
      '--input',
      'whom=x',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("--input whom=x: the workflow has no input 'whom' (inputs: who)");
    expect(bad.stdout).toBe('');
    const noEq = await npm([
      'run',
      join(repo2, '.github/workflows/cli.yml'),
      '--repo',
      repo2,
      '--event',
      'workflow_dispatch',
      '--input',
      'who',
    ]);
    expect(noEq.code).toBe(2);
    expect(noEq.stderr.trim()).toBe('--input who: expected NAME=VALUE');
    const badEvent = await npm(['run', join(repo2, '.github/workflows/cli.yml'), '--repo', repo2, '--event', 'release']);
    expect(badEvent.code).toBe(2);
    expect(badEvent.stderr.trim()).toBe('--event release: expected push, pull_request, workflow_dispatch or schedule');
  });

  it("turns on Node's compile cache before it loads the runner and GitHub's parser, in a folder only this account can change (start-up)", async () => {
    // Not through NODE_COMPILE_CACHE (that alone would turn the cache on): the CLI's own call
    // puts it in the user's cache folder (here a fresh XDG_CACHE_HOME), never the temp folder.
    const temp = mkdtempSync(join(tmpdir(), 'wf-cli-tmp-'));
    const xdg = mkdtempSync(join(tmpdir(), 'wf-cli-cache-'));
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temp, XDG_CACHE_HOME: xdg };
    delete env.NODE_COMPILE_CACHE;
    const run = () =>
      new Promise<number | null>((done) => {
        const p = spawn(join(root, 'node_modules/.bin/node'), [join(root, 'packages/workflow/src/cli.ts'), 'run'], {
          env,
          stdio: 'ignore',
        });
        p.on('close', done);
      });
    const files = (dir: string) => execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    expect(await run()).toBe(2); // no workflow file: the usage, exit 2
    const cache = join(xdg, 'tripo04os/node-compile-cache');
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    // The command and what it loads (the parser's bundle among them) are in the cache.
    expect(files(cache).length).toBeGreaterThan(10);
    expect(files(temp)).toEqual([]);
    expect(await run()).toBe(2);

    // A cache folder another account could write to is not used: the cache stays off.
    const shared = mkdtempSync(join(tmpdir(), 'wf-cli-shared-'));
    mkdirSync(join(shared, 'tripo04os/node-compile-cache'), { recursive: true });
    chmodSync(join(shared, 'tripo04os'), 0o777);
    env.XDG_CACHE_HOME = shared;
    expect(await run()).toBe(2);
    expect(files(shared)).toEqual([]);
    expect(files(temp)).toEqual([]);
  });

  it('Ctrl-C cancels the run: the step is killed, services stopped, run.json says cancelled', async () => {
    const repo = gitRepo({
      '.github/workflows/slow.yml': `
on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    services:
      cache:
        image: redis:7
    steps:
      - run: |
          echo "port $P"
          sleep 60
        env:
          P: \${{ job.services.cache.ports['6379'] }}
`,
    });
    const out = mkdtempSync(join(tmpdir(), 'wf-cli-int-'));
    const p = spawn(join(root, 'node_modules/.bin/node'), [
      join(root, 'packages/workflow/src/cli.ts'),
      'run',
      join(repo, '.github/workflows/slow.yml'),
      '--repo',
      repo,
      '--event',
      'push',
      '--out',
      out,
    ]);
    let stdout = '';
    p.stdout.on('data', (d) => (stdout += d));
    await new Promise<void>((ok) => {
      const t = setInterval(() => {
        if (/port \d+/.test(stdout)) {
          clearInterval(t);
          ok();
        }
      }, 100);
    });
    p.kill('SIGINT');
    const code = await new Promise<number | null>((ok) => p.on('close', ok));
    expect(code).toBe(1);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.conclusion).toBe('cancelled');
    const port = /port (\d+)/.exec(stdout)?.[1] as string;
    const listening = execFileSync('sh', ['-c', 'ss -ltnH'], { encoding: 'utf8' });
    expect(listening).not.toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\b`));
    expect(existsSync(join(out, 'logs/slow.log'))).toBe(true);
  });
});
