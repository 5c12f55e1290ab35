/**
 * docker-build benchmark: wall time of the bundled action (run as the runner runs it, against
 * the sandbox's ECR and registry, classic docker builder) over a plain `docker build && docker
 * push` of the same context and one tag, with the same warm build cache; and the bundle's cold
 * start (spawn to exit on an input error, against a bare `node -e ''`).
 *
 *   node_modules/.bin/node bench/docker-build.ts [--runs N] [--action DIR] [--cold-only]
 *
 * --action DIR runs another copy of the action (DIR/docker-build/action.yml and the bundle it
 * names), e.g. an older commit's (`git archive COMMIT docker-build actions/docker-build/dist |
 * tar -x -C DIR`), to compare before and after in the same conditions. --cold-only measures only
 * the cold start.
 *
 * Uses the sandbox named by SANDBOX_DIR when it runs, else starts (and stops) its own.
 * Needs dockerd (`dockerd --storage-driver=vfs --iptables=false --bridge=none`).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '@tripo04os/common';
import { repoRoot, runAction } from '@tripo04os/kit/harness';
import { readSandboxEnv, sandboxStatus, startSandbox, stopSandbox } from '@tripo04os/sandbox';

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(arg('--runs')) || 5;
const actionRoot = arg('--action') ?? repoRoot;
const coldOnly = process.argv.includes('--cold-only');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

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
try {
  const dockerConfig = join(work, 'docker');
  const dockerEnv = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '0' };
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
    const plain = async () => {
      await prepare(context);
      const tag = `${env.SANDBOX_REGISTRY}/${repo}-plain:run-${n++}`;
      const t0 = performance.now();
      await must('docker', ['build', '-q', '-t', tag, '.'], { cwd: context, env: dockerEnv });
      await must('docker', ['push', tag], { env: dockerEnv });
      return performance.now() - t0;
    };
    const action = async (tags: string) => {
      await prepare(context);
      const t0 = performance.now();
      const r = await runAction({
        action: join(actionRoot, 'docker-build'),
        inputs: { repository: `${repo}-action`, builder: 'docker', tags },
        env: {
          AWS_REGION: env.AWS_REGION,
          AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
          AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
          AWS_ENDPOINT_URL_ECR: env.AWS_ENDPOINT_URL_ECR,
          DOCKER_CONFIG: dockerConfig,
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
      const ms = performance.now() - t0;
      if (r.exitCode !== 0) throw new Error(`the action failed: ${r.errors.join('; ')}\n${r.log.slice(-2000)}`);
      return ms;
    };
    // Warm both paths once (build cache, repository created, SDK files in the page cache).
    await plain();
    await action('type=sha');
    const plainMs: number[] = [];
    const actionMs: number[] = [];
    const action2Ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      plainMs.push(await plain());
      actionMs.push(await action('type=sha'));
      action2Ms.push(await action('type=sha\ntype=ref,event=branch'));
    }
    const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`${title} (${runs} runs each, classic docker builder, sandbox ECR + registry)`);
    console.log(`  plain docker build && docker push (1 tag): median ${f(median(plainMs))}  [${plainMs.map(f).join(', ')}]`);
    console.log(`  action, 1 tag (type=sha):                  median ${f(median(actionMs))}  [${actionMs.map(f).join(', ')}]`);
    console.log(`  action, 2 tags (sha + branch):             median ${f(median(action2Ms))}  [${action2Ms.map(f).join(', ')}]`);
    console.log(
      `  ratio action / plain: ${(median(actionMs) / median(plainMs)).toFixed(2)} with 1 tag (target <= 1.10), ${(median(action2Ms) / median(plainMs)).toFixed(2)} with 2`,
    );
    console.log(`  fixed cost of the action: ${f(median(actionMs) - median(plainMs))}`);
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
} finally {
  await exec('docker', ['logout', env.SANDBOX_REGISTRY], { env: { ...process.env, DOCKER_CONFIG: join(work, 'docker') } });
  await rm(work, { recursive: true, force: true });
  if (own) await stopSandbox(dir);
}
