/**
 * docker-build benchmark: wall time of the bundled action (its process, spawn to exit, run as the runner runs it, against
 * the sandbox's ECR and registry, classic docker builder) over a plain `docker build --label …
 * && docker push` of the same context, tags and labels, with the same warm build cache (and the
 * bare build without labels, for reference); and the bundle's cold
 * start (spawn to exit on an input error, against a bare `node -e ''`).
 *
 *   node_modules/.bin/node bench/docker-build.ts [--runs N] [--action DIR] [--cold-only]
 *
 * --action DIR runs another copy of the action (DIR/docker-build/action.yml and the bundle it
 * names), e.g. an older commit's (`git archive COMMIT docker-build actions/docker-build/dist |
 * tar -x -C DIR`), to compare before and after in the same conditions; --against DIR runs such a
 * copy alternately with this one (1 tag) and prints its times next to this one's. --cold-only
 * measures only the cold start.
 *
 * Uses the sandbox named by SANDBOX_DIR when it runs, else starts (and stops) its own.
 * Needs dockerd (`dockerd --storage-driver=vfs --iptables=false --bridge=none`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exec } from '@tripo04os/common';
import { repoRoot, runAction } from '@tripo04os/kit/harness';
import { readSandboxEnv, sandboxStatus, startSandbox, stopSandbox } from '@tripo04os/sandbox';
import { median, shuffled } from './lib/stats.ts';

const { values: flags } = parseArgs({
  options: { runs: { type: 'string' }, action: { type: 'string' }, against: { type: 'string' }, 'cold-only': { type: 'boolean' } },
});
const runs = Number(flags.runs) || 5;
const actionRoot = flags.action ?? repoRoot;
/** Another copy of the action run alternately with the first (1 tag), e.g. the bundle before a change. */
const againstRoot = flags.against;
const coldOnly = flags['cold-only'] === true;

async function must(cmd: string, args: string[], options: Parameters<typeof exec>[2] = {}) {
  const r = await exec(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r;
}

if ((await exec('docker', ['info', '--format', '{{.ServerVersion}}']).catch(() => ({ code: 1 }))).code !== 0) {
  console.error('dockerd is not running: start it with dockerd --storage-driver=vfs --iptables=false --bridge=none &');
  process.exit(1);
}

let dir = process.env.SANDBOX_DIR;
let own = false;
if (!dir || !(await sandboxStatus(dir)).running) {
  dir = await mkdtemp(join(tmpdir(), 'bench-sandbox-'));
  await startSandbox({ dir });
  own = true;
}
const env = await readSandboxEnv(dir);
const work = await mkdtemp(join(tmpdir(), 'bench-docker-build-'));
let stopEvents = () => {};
try {
  const dockerConfig = join(work, 'docker');
  // Every docker call (by hand and the action's) goes through a wrapper that logs when it ran, so
  // the action's own time (outside docker build and docker push) can be told apart; both pay its
  // few milliseconds per call alike.
  const realDocker = (await must('sh', ['-c', 'command -v docker'])).stdout.trim();
  const wrapperDir = join(work, 'bin');
  const dockerLog = join(work, 'docker-calls');
  await mkdir(wrapperDir);
  await writeFile(
    join(wrapperDir, 'docker'),
    // bash's clock, not date: no process of its own on either side of the docker call.
    `#!/bin/bash\ns=\${EPOCHREALTIME/./}\n'${realDocker}' "$@"\nrc=$?\necho "\${s}000 \${EPOCHREALTIME/./}000 $1" >> '${dockerLog}'\nexit $rc\n`,
    { mode: 0o755 },
  );
  // The classic builder's cache look-up walks the image store: with 6,000 images left by earlier
  // runs a cached step took 0.9 s instead of 10 ms, and every build here was that much slower.
  const images = (await must('docker', ['images', '--all', '--quiet'])).stdout.split('\n').filter(Boolean).length;
  console.log(
    `docker's image store holds ${images} images${images > 500 ? ' (many: `docker image prune -a` first, or builds are slow and noisy)' : ''}`,
  );
  const path = `${wrapperDir}:${process.env.PATH}`;
  const dockerEnv = { ...process.env, PATH: path, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '0' };
  // The build's steps before its first container: from the build's start to the container of the
  // LABEL step (or of a COPY whose files changed), from `docker events`. The second boundary below
  // comes only after it, so this part has no such noise. What the action runs beside its build
  // (the AWS SDK, ECR's calls, `docker login`) on the same cores shows here as time the build
  // loses; by the mean, the build then ends that much later.
  const creates: number[] = [];
  const events = spawn(realDocker, ['events', '--format', '{{.TimeNano}}', '--filter', 'type=container', '--filter', 'event=create']);
  events.stdout.setEncoding('utf8');
  events.stdout.on('data', (d: string) => creates.push(...d.split('\n').filter(Boolean).map(Number)));
  stopEvents = () => events.kill();
  /**
   * The docker CLI calls since the log was last read (it is cleared): `inside(...commands)` is the
   * milliseconds spent inside those commands, `beforeContainer` the build's steps before its first
   * container. The action pushes through the Engine API when it can (no `docker push` process), so
   * its push counts as its own time; by hand, `docker push` is part of the baseline.
   */
  const takeDockerCalls = async () => {
    const lines = (await readFile(dockerLog, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    await writeFile(dockerLog, '');
    const calls = lines.map((l) => l.split(' ')).map(([start, end, cmd]) => ({ start: Number(start), end: Number(end), cmd }));
    const build = calls.find((c) => c.cmd === 'build');
    const created = build && creates.find((t) => t > build.start && t < build.end);
    return {
      inside: (...commands: string[]) =>
        calls.filter((c) => commands.includes(c.cmd as string)).reduce((sum, c) => sum + (c.end - c.start) / 1e6, 0),
      beforeContainer: build && created !== undefined ? (created - build.start) / 1e6 : Number.NaN,
    };
  };
  // The classic builder finishes a step that runs a container (the LABEL step) at a wall-clock
  // second boundary, so a build's duration depends on when in the second it starts: each timed
  // run starts at a random point of the second, or by hand and action would share one phase.
  const randomPhase = () => new Promise((r) => setTimeout(r, Math.random() * 1000));
  await must('docker', ['login', '--username', env.SANDBOX_REGISTRY_USER, '--password-stdin', env.SANDBOX_REGISTRY], {
    env: dockerEnv,
    input: env.SANDBOX_REGISTRY_PASSWORD,
  });
  // Every action run builds the same commit (a re-run), so its labels are the same each time and
  // its build is as warm as the plain one.
  const sha = '90dd6032fac8bda1b6c4436a2e65de27961ed071';
  let n = 0;

  /** One scenario: `prepare` runs before every build (both kinds), e.g. to change the app layer. */
  async function scenario(title: string, dockerfile: string, files: Record<string, Buffer>, prepare: (context: string) => Promise<void>) {
    const context = join(work, `ctx-${n++}`);
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'Dockerfile'), dockerfile);
    for (const [name, data] of Object.entries(files)) await writeFile(join(context, name), data);
    const repo = `bench-${n}`;
    // The same build done by hand, as issue 15 defines it: the same tags and the same eight OCI
    // labels the action writes (created is the build time, so it changes every run, as it does
    // for the action), then a `docker push` of each tag. The classic builder turns each `--label`
    // into a LABEL step of its own (a container each, about 1 s on vfs), so the fair hand-written
    // baseline is `label: 'one'`: the Dockerfile with one LABEL line, given on stdin, as the
    // action does. `label: 'none'` is the bare build.
    const plain = async (tags: number, label: 'none' | 'flags' | 'one', outside?: number[], pre?: number[]) => {
      await prepare(context);
      const refs = Array.from({ length: tags }, (_, i) => `${env.SANDBOX_REGISTRY}/${repo}-plain:run-${n++}-${i}`);
      const labels = Object.entries({
        'org.opencontainers.image.created': new Date().toISOString(),
        'org.opencontainers.image.description': '',
        'org.opencontainers.image.licenses': '',
        'org.opencontainers.image.revision': sha,
        'org.opencontainers.image.source': 'https://github.com/tripo04os/bench',
        'org.opencontainers.image.title': 'bench',
        'org.opencontainers.image.url': 'https://github.com/tripo04os/bench',
        'org.opencontainers.image.version': `sha-${sha.slice(0, 7)}`,
      });
      const args = ['build', '-q', ...refs.flatMap((r) => ['-t', r])];
      const options: Parameters<typeof exec>[2] = { cwd: context, env: dockerEnv };
      if (label === 'flags') args.push(...labels.flatMap(([k, v]) => ['--label', `${k}=${v}`]));
      if (label === 'one') {
        args.push('-f', '-');
        options.input = `${dockerfile}LABEL ${labels.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}\n`;
      }
      await randomPhase();
      await takeDockerCalls();
      const t0 = performance.now();
      await must('docker', [...args, '.'], options);
      for (const ref of refs) await must('docker', ['push', ref], { env: dockerEnv });
      const ms = performance.now() - t0;
      const calls = await takeDockerCalls();
      outside?.push(ms - calls.inside('build'));
      pre?.push(calls.beforeContainer);
      return ms;
    };
    const action = async (tags: string, root = actionRoot, own = ownMs, outside?: number[], pre?: number[]) => {
      await prepare(context);
      await randomPhase();
      await takeDockerCalls();
      const t0 = performance.now();
      const r = await runAction({
        action: join(root, 'docker-build'),
        inputs: { repository: `${repo}-action`, builder: 'docker', tags },
        env: {
          AWS_REGION: env.AWS_REGION,
          AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
          AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
          AWS_ENDPOINT_URL_ECR: env.AWS_ENDPOINT_URL_ECR,
          DOCKER_CONFIG: dockerConfig,
          PATH: path,
        },
        event: {
          name: 'push',
          payload: {
            ref: 'refs/heads/main',
            head_commit: { id: sha, timestamp: '2026-11-27T04:00:00Z' },
            repository: { name: 'bench', html_url: 'https://github.com/tripo04os/bench' },
          },
        },
        context: { GITHUB_SHA: sha },
        cwd: context,
        post: false,
        timeoutMs: 300_000,
      });
      // The step's time is its process, spawn to exit, as in bench/kubectl-deploy.ts: the harness's
      // own work around it (event and command files written before, read after) is the runner's.
      const ms = r.durationMs;
      harnessMs.push(performance.now() - t0 - ms);
      if (r.exitCode !== 0) throw new Error(`the action failed: ${r.errors.join('; ')}\n${r.log.slice(-2000)}`);
      const calls = await takeDockerCalls();
      own.push(ms - calls.inside('build', 'push'));
      outside?.push(ms - calls.inside('build'));
      pre?.push(calls.beforeContainer);
      return ms;
    };
    const ownMs: number[] = [];
    const harnessMs: number[] = [];
    const againstMs: number[] = [];
    const againstOwnMs: number[] = [];
    // Warm both paths once (build cache, repository created, SDK files in the page cache).
    await plain(1, 'one');
    await action('type=sha');
    ownMs.length = 0;
    harnessMs.length = 0;
    if (againstRoot) await action('type=sha', againstRoot, []);
    const bareMs: number[] = [];
    const flagsMs: number[] = [];
    const oneMs: number[] = [];
    const one2Ms: number[] = [];
    const actionMs: number[] = [];
    const action2Ms: number[] = [];
    // Wall time outside `docker build` (by hand: the pushes; the action: all but its build).
    const outside = { one: [] as number[], one2: [] as number[], a1: [] as number[], a2: [] as number[] };
    // The build's steps before its first container, by hand and in the action (1 tag).
    const pre = { one: [] as number[], a1: [] as number[] };
    // Each round runs the variants in a new random order, so no variant always follows the same
    // one (a run right after a push may find the daemon or the registry still busy).
    const variants: (() => Promise<unknown>)[] = [
      async () => bareMs.push(await plain(1, 'none')),
      async () => flagsMs.push(await plain(1, 'flags')),
      async () => oneMs.push(await plain(1, 'one', outside.one, pre.one)),
      async () => one2Ms.push(await plain(2, 'one', outside.one2)),
      async () => actionMs.push(await action('type=sha', actionRoot, ownMs, outside.a1, pre.a1)),
      async () => action2Ms.push(await action('type=sha\ntype=ref,event=branch', actionRoot, ownMs, outside.a2)),
    ];
    if (againstRoot) variants.push(async () => againstMs.push(await action('type=sha', againstRoot, againstOwnMs)));
    for (let i = 0; i < runs; i++) for (const run of shuffled(variants)) await run();
    const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    // The second-boundary effect makes a build's time two-peaked (a trivial build takes about
    // 0.6 or 1.2 s): a median of a few runs falls on either peak. With each run starting at a
    // random point of the second, the mean of the difference is the true extra time.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const row = (label: string, xs: number[]) => console.log(`  ${label.padEnd(50)} median ${f(median(xs))}  [${xs.map(f).join(', ')}]`);
    const m = {
      bare: median(bareMs),
      flags: median(flagsMs),
      one: median(oneMs),
      one2: median(one2Ms),
      a1: median(actionMs),
      a2: median(action2Ms),
    };
    console.log(`${title} (${runs} runs each, classic docker builder, sandbox ECR + registry)`);
    row('by hand, no labels, 1 tag:', bareMs);
    row('by hand, 8 x --label (8 LABEL steps), 1 tag:', flagsMs);
    row('by hand, one LABEL line (-f -), 1 tag:', oneMs);
    row('by hand, one LABEL line (-f -), 2 tags pushed:', one2Ms);
    row('action, 1 tag (type=sha):', actionMs);
    row('action, 2 tags (sha + branch):', action2Ms);
    console.log(
      `  action / by hand with the same tags and labels: ${(m.a1 / m.flags).toFixed(2)} against --label flags (the issue's command), ${(m.a1 / m.one).toFixed(2)} against one LABEL line with 1 tag, ${(m.a2 / m.one2).toFixed(2)} with 2 (target <= 1.10)`,
    );
    console.log(
      `  fixed cost (action - one LABEL line by hand): ${f(m.a1 - m.one)} with 1 tag, ${f(m.a2 - m.one2)} with 2 (medians); ${f(mean(actionMs) - mean(oneMs))} with 1 tag, ${f(mean(action2Ms) - mean(one2Ms))} with 2 (means; target <= 0.25 s); labels cost ${f(m.one - m.bare)} by hand`,
    );
    console.log(
      `  fixed cost outside the build (wall - time inside docker build; means): ${f(mean(outside.a1) - mean(outside.one))} with 1 tag, ${f(mean(outside.a2) - mean(outside.one2))} with 2 (no second-boundary noise, but it leaves out what the action's work beside the build costs the build)`,
    );
    const lost = mean(pre.a1) - mean(pre.one);
    console.log(
      `  the build's steps before its first container (means, 1 tag): ${mean(pre.one).toFixed(0)} ms by hand, ${mean(pre.a1).toFixed(0)} ms in the action: the work beside it costs the build ${lost.toFixed(0)} ms`,
    );
    console.log(
      `  fixed cost without the second-boundary noise (outside the build + what the build loses; 1 tag): ${f(mean(outside.a1) - mean(outside.one) + lost)} (target <= 0.25 s)`,
    );
    row("action's own time (all but the CLI's build and push):", ownMs);
    row("the harness's work around each run (not counted):", harnessMs);
    if (againstRoot) {
      row(`--against ${againstRoot}, 1 tag:`, againstMs);
      row('--against, its own time:', againstOwnMs);
    }
  }

  if (!coldOnly) {
    await scenario(
      'Trivial image: FROM scratch + one small file, fully cached',
      'FROM scratch\nARG VCS_REF\nCOPY hello.txt /hello.txt\n',
      { 'hello.txt': Buffer.from('hello\n') },
      async () => {},
    );
    await scenario(
      'Service-like image: 24 MB cached base layer, 4 MB app layer changed before every build',
      'FROM scratch\nCOPY base.bin /base.bin\nARG VCS_REF\nCOPY app.bin /app.bin\n',
      { 'base.bin': randomBytes(24 << 20) },
      async (context) => writeFile(join(context, 'app.bin'), randomBytes(4 << 20)),
    );
  }

  // Cold start: spawn to exit on the first input error, alternating with a bare `node -e 0`. No
  // repository and no image is an error of the plan (not of one input's syntax), so it measures
  // everything that runs before the inputs are checked.
  const bundle = join(actionRoot, 'actions/docker-build/dist/index.js');
  const coldMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t0 = performance.now();
    spawnSync(process.execPath, [bundle], {
      env: { ...process.env, GITHUB_STATE: '/dev/null', GITHUB_OUTPUT: '/dev/null' },
      stdio: 'ignore',
    });
    coldMs.push(performance.now() - t0);
    t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    bareMs.push(performance.now() - t0);
  }

  console.log(
    `  bundle cold start to the first input error (20 runs): median ${median(coldMs).toFixed(0)} ms (bare node: ${median(bareMs).toFixed(0)} ms, so ${(median(coldMs) - median(bareMs)).toFixed(0)} ms for the bundle)`,
  );
  const distDir = join(actionRoot, 'actions/docker-build/dist');
  const files = await readdir(distDir);
  const sizes = await Promise.all(files.map(async (f) => [f, (await stat(join(distDir, f))).size] as const));
  const js = sizes.filter(([f]) => f.endsWith('.js')).reduce((sum, [, b]) => sum + b, 0);
  console.log(
    `  bundle size: index.js ${((sizes.find(([f]) => f === 'index.js')?.[1] ?? 0) / 1024).toFixed(0)} KiB loaded at start, ${(js / 1024).toFixed(0)} KiB of JavaScript in dist/ (${files.length} files, ${(sizes.reduce((sum, [, b]) => sum + b, 0) / 1024).toFixed(0)} KiB in all)`,
  );
} finally {
  stopEvents();
  await exec('docker', ['logout', env.SANDBOX_REGISTRY], { env: { ...process.env, DOCKER_CONFIG: join(work, 'docker') } });
  await rm(work, { recursive: true, force: true });
  if (own) await stopSandbox(dir);
}
