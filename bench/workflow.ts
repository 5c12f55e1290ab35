/**
 * The workflow runner (packages/workflow): per-step overhead, parallelism and start-up.
 *   node_modules/.bin/node bench/workflow.ts
 * Targets (issue 11): per-step overhead beyond bash's own start ≤ 10 ms (median); 4 jobs that each
 * `sleep 2` finish in ≤ 2.6 s wall; command to first step ≤ 400 ms for a one-job workflow.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runWorkflow } from '@tripo04os/workflow';
import { median } from './lib/stats.ts';

const root = resolve(import.meta.dirname, '..');
const quiet = { write: () => {} };

function repo(workflow: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wf-'));
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  const file = join(dir, '.github/workflows/bench.yml');
  writeFileSync(file, workflow);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  execFileSync('git', ['-C', dir, 'add', '-A']);
  execFileSync('git', ['-C', dir, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'bench']);
  return { dir, file };
}

const ms = (iso: string) => Date.parse(iso);

// bash's own start: the same command line the runner uses for a `run:` step without `shell:`.
const script = join(mkdtempSync(join(tmpdir(), 'bench-bash-')), 's.sh');
writeFileSync(script, 'true\n');
const bashTimes: number[] = [];
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  spawnSync('bash', ['-e', script]);
  bashTimes.push(performance.now() - t0);
}
const bash = median(bashTimes);
console.log(`bash -e script (true): median ${bash.toFixed(1)} ms over 30 starts`);

// 1. per-step overhead: 10 jobs × 10 `run: true` steps
{
  const jobs = Array.from({ length: 10 }, (_, j) => `  j${j}:\n    runs-on: x\n    steps:\n${'      - run: "true"\n'.repeat(10)}`).join('');
  const { dir, file } = repo(`on: push\njobs:\n${jobs}`);
  for (const maxParallel of [1, 8]) {
    const t0 = performance.now();
    const r = await runWorkflow({ file, repo: dir, event: 'push', terminal: quiet, report: false, maxParallel });
    const wall = performance.now() - t0;
    const steps = r.record.jobs.flatMap((j) => j.steps.filter((s) => s.name !== 'Set up job').map((s) => ms(s.ended) - ms(s.started)));
    const perJob = r.record.jobs.map((j) => ms(j.ended) - ms(j.started));
    console.log(
      `10 jobs × 10 steps, --max-parallel ${maxParallel}: wall ${wall.toFixed(0)} ms; step median ${median(steps)} ms ` +
        `(overhead beyond bash ${(median(steps) - bash).toFixed(1)} ms); job median ${median(perJob)} ms ` +
        `(per step ${(median(perJob) / 10).toFixed(1)} ms, beyond bash ${(median(perJob) / 10 - bash).toFixed(1)} ms)`,
    );
  }
}

// 2. parallelism: 4 independent jobs that each sleep 2 s
{
  const jobs = Array.from({ length: 4 }, (_, j) => `  s${j}:\n    runs-on: x\n    steps:\n      - run: sleep 2\n`).join('');
  const { dir, file } = repo(`on: push\njobs:\n${jobs}`);
  const walls: number[] = [];
  const spans: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await runWorkflow({ file, repo: dir, event: 'push', terminal: quiet, report: false });
    walls.push(performance.now() - t0);
    spans.push(Math.max(...r.record.jobs.map((j) => ms(j.ended))) - Math.min(...r.record.jobs.map((j) => ms(j.started))));
  }
  console.log(
    `4 jobs × sleep 2: runWorkflow wall median ${median(walls).toFixed(0)} ms; first job start → last job end median ${median(spans)} ms (3 runs)`,
  );
}

// 3. start-up: the CLI command to the first step starting (one-job workflow). The CLI turns on
// Node's compile cache: the first run, with an empty cache, is the cold start; later runs reuse it.
{
  const { dir, file } = repo('on: push\njobs:\n  one:\n    runs-on: x\n    steps:\n      - run: "true"\n');
  const node = join(root, 'node_modules/.bin/node');
  const cache = mkdtempSync(join(tmpdir(), 'bench-compile-cache-'));
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const out = mkdtempSync(join(tmpdir(), 'bench-out-'));
    const t0 = Date.now();
    await new Promise<void>((done) => {
      const p = spawn(node, [join(root, 'packages/workflow/src/cli.ts'), 'run', file, '--repo', dir, '--event', 'push', '--out', out], {
        stdio: 'ignore',
        env: { ...process.env, NODE_COMPILE_CACHE: cache },
      });
      p.on('close', () => done());
    });
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    const step = run.jobs[0].steps.find((s: { name: string }) => s.name !== 'Set up job');
    times.push(ms(step.started) - t0);
  }
  const warm = times.slice(1);
  console.log(
    `start-up (node cli.ts run → first step started): cold (empty compile cache) ${times[0]} ms; warm median ${median(warm)} ms, min ${Math.min(...warm)} ms (5 runs)`,
  );
}
