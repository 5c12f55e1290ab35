/**
 * npm run demo: the project's main job, locally. The platform example (examples/platform: the
 * four services of spec 1.3 in one repository) is copied into a git repository of its own and
 * its real caller workflows run with the workflow runner against the sandbox (two EKS clusters,
 * ECR, a registry, Prometheus, Slack and SMTP sinks), live:
 *   1. tag v1.0.0: CI, security scan, integration tests (PostgreSQL, Redis), four images built
 *      as a matrix, staging rolling deploy, production blue-green behind the Prometheus gate;
 *   2. tag v1.0.1 whose dashboard-api answers half of its requests with 5xx: staging takes it,
 *      production's gate fails after the switch and every service goes back to v1.0.0;
 *   3. the manual rollback workflow (workflow_dispatch) returns staging to v1.0.0.
 *
 *   npm run demo              # sandbox in .sandbox/demo, stopped at the end
 *   npm run demo -- --keep    # leaves it up (kubectl --kubeconfig .sandbox/demo/kubeconfig-tripo04os-production ...)
 *   npm run demo:actions      # the earlier demo: the three actions alone
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { formatDuration } from '@tripo04os/common';
import { readSandboxEnv, SandboxControl, type SandboxEnv, startSandbox, stopSandbox } from '@tripo04os/sandbox';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const dir = resolve(root, '.sandbox/demo');
const CLUSTERS = ['tripo04os-staging', 'tripo04os-production'];
const SERVICES = ['ai-support', 'premium-driver-matching', 'profit-optimization-engine', 'dashboard-api'];
const say = (line = '') => process.stdout.write(`${line}\n`);
const rows: { step: string; expected: string; got: string; seconds: number; note: string }[] = [];

async function git(repo: string, ...args: string[]): Promise<string> {
  return (await run('git', ['-C', repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@tripo04os.test', ...args])).stdout.trim();
}
async function kubectl(cluster: string, ...args: string[]): Promise<string> {
  return (await run('kubectl', ['--kubeconfig', join(dir, `kubeconfig-${cluster}`), ...args])).stdout.trim();
}

/** One run of a caller workflow with the runner's live progress; returns run.json's conclusion. */
async function workflow(
  env: SandboxEnv,
  work: string,
  repo: string,
  name: string,
  args: string[],
  expected: 'success' | 'failure',
  note: () => Promise<string>,
) {
  say(`\n━━ ${name}`);
  const out = join(work, `run-${rows.length + 1}`);
  const started = performance.now();
  const code = await new Promise<number>((done) => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'packages/workflow/src/cli.ts'),
        'run',
        ...args,
        '--repo',
        repo,
        '--env-file',
        join(work, 'runner.env'),
        '--secrets-file',
        join(work, 'secrets.env'),
        '--var',
        'DOCKER_BUILD_ARGS=BASE_IMAGE=scratch',
        '--var',
        'DOCKER_TARGET=runtime',
        '--var',
        `HEALTH_CHECK_URL=${env.SANDBOX_INGRESS_URL}/{cluster}/{namespace}/{service}/health`,
        '--var',
        `PROMETHEUS_URL=${env.SANDBOX_PROMETHEUS_URL}`,
        '--approve',
        'all',
        '--out',
        out,
      ],
      { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    child.on('close', (c) => done(c ?? -1));
  });
  const seconds = (performance.now() - started) / 1000;
  const got = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')).conclusion as string;
  rows.push({ step: name, expected, got, seconds, note: await note() });
  say(`   → ${got} (exit ${code}) in ${formatDuration(seconds * 1000)}; report: ${join(out, 'report.html')}`);
  if (got !== expected) throw new Error(`demo step '${name}' ended ${got}, expected ${expected}`);
}

async function images(cluster: string, namespace: string): Promise<string> {
  const out: string[] = [];
  for (const s of SERVICES) {
    const deployments = (await kubectl(cluster, 'get', 'deployments', '-n', namespace, '-o', 'name')).split('\n');
    const live =
      cluster === 'tripo04os-production'
        ? `${s}-${JSON.parse(await kubectl(cluster, 'get', 'service', s, '-n', namespace, '-o', 'jsonpath={.spec.selector}')).version}`
        : s;
    if (!deployments.includes(`deployment.apps/${live}`)) continue;
    const image = await kubectl(
      cluster,
      'get',
      'deployment',
      live,
      '-n',
      namespace,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    out.push(`${live}=…${image.slice(-12)}`);
  }
  return out.join(' ');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  say(`Starting the sandbox (clusters ${CLUSTERS.join(', ')}) in ${dir} ...`);
  await stopSandbox(dir).catch(() => {});
  await startSandbox({ dir, clusters: CLUSTERS });
  const env = await readSandboxEnv(dir);
  const control = new SandboxControl(env.SANDBOX_CONTROL_URL);
  const work = await mkdtemp(join(tmpdir(), 'demo-'));
  try {
    const repo = join(work, 'platform');
    await cp(join(root, 'examples/platform'), repo, { recursive: true });
    await git(repo, 'init', '-q', '-b', 'main');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-qm', 'platform: four services');
    await writeFile(
      join(work, 'runner.env'),
      `${await readFile(join(dir, 'env'), 'utf8')}PATH=/usr/bin:/usr/local/bin:/bin:/usr/sbin:/sbin\nNODE_EXTRA_CA_CERTS=${env.SANDBOX_CA_FILE}\n`,
    );
    await writeFile(
      join(work, 'secrets.env'),
      [
        `AWS_ACCESS_KEY_ID=${env.AWS_ACCESS_KEY_ID}`,
        `AWS_SECRET_ACCESS_KEY=${env.AWS_SECRET_ACCESS_KEY}`,
        `SLACK_WEBHOOK_URL=${env.SANDBOX_WEBHOOK_URL}/services/T000/B000/demo`,
        `SMTP_URL=smtp://${encodeURIComponent(env.SANDBOX_SMTP_USER)}:${encodeURIComponent(env.SANDBOX_SMTP_PASSWORD)}@${env.SANDBOX_SMTP_HOST}:${env.SANDBOX_SMTP_PORT}`,
        'NOTIFICATION_EMAIL=ops@tripo04os.test',
        'DATABASE_URL=postgresql://app:demo-db-password@db.internal:5432/app',
        'REDIS_URL=redis://cache.internal:6379/0',
        'JWT_SECRET=demo-jwt-secret',
        '',
      ].join('\n'),
    );
    const pipeline = join(repo, '.github/workflows/pipeline.yml');
    const notices = async () => {
      const slack = (await control.webhooks('/services/T000/B000/demo')).at(-1);
      return `Slack: ${String((slack?.json as { text?: string } | null)?.text ?? JSON.stringify(slack?.json ?? ''))
        .split('\n')[0]
        ?.slice(0, 60)}`;
    };

    await git(repo, 'tag', 'v1.0.0');
    await workflow(
      env,
      work,
      repo,
      'git push origin v1.0.0',
      [pipeline, '--event', 'push', '--ref', 'refs/tags/v1.0.0'],
      'success',
      async () => `production ${await images('tripo04os-production', 'tripo04os-production')}`,
    );

    await writeFile(join(repo, 'services/dashboard-api/dashboard_api/__init__.py'), '"""Dashboard API, v1.0.1."""\n');
    await git(repo, 'commit', '-qam', 'dashboard-api: v1.0.1');
    await git(repo, 'tag', 'v1.0.1');
    // The bad release: as soon as its dashboard-api image is pushed, its pods fail half of their requests.
    let marked = false;
    const marking = (async () => {
      const auth = Buffer.from(`${env.SANDBOX_REGISTRY_USER}:${env.SANDBOX_REGISTRY_PASSWORD}`).toString('base64');
      for (let i = 0; i < 1200 && !marked; i++) {
        const r = await fetch(`http://${env.SANDBOX_REGISTRY}/v2/tripo04os-dashboard-api/manifests/1.0.1`, {
          method: 'HEAD',
          headers: {
            authorization: `Basic ${auth}`,
            accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
          },
        });
        const digest = r.headers.get('docker-content-digest');
        if (r.ok && digest) {
          await control.setBehaviour({ image: `${env.SANDBOX_REGISTRY}/tripo04os-dashboard-api@${digest}`, errorRatio: 0.5 });
          marked = true;
        } else await sleep(250);
      }
    })();
    await workflow(
      env,
      work,
      repo,
      'git push origin v1.0.1 (dashboard-api fails 50% of requests)',
      [pipeline, '--event', 'push', '--ref', 'refs/tags/v1.0.1'],
      'failure',
      async () => `gate failed; production back: ${await images('tripo04os-production', 'tripo04os-production')}; ${await notices()}`,
    );
    await marking;

    await workflow(
      env,
      work,
      repo,
      'Actions → Rollback → staging, all services (workflow_dispatch)',
      [
        join(repo, '.github/workflows/rollback.yml'),
        '--event',
        'workflow_dispatch',
        '--input',
        'environment=staging',
        '--input',
        `deployment=${SERVICES.join(',')}`,
      ],
      'success',
      async () => `staging ${await images('tripo04os-staging', 'tripo04os-staging')}`,
    );

    say('\n━━ Summary');
    say('| step | expected | result | time | what happened |');
    say('| --- | --- | --- | --- | --- |');
    for (const r of rows) say(`| ${r.step} | ${r.expected} | ${r.got} | ${formatDuration(r.seconds * 1000)} | ${r.note} |`);
    say(`\nThe whole demo took ${formatDuration(performance.now() - t0)} (target: 4 min).`);
  } finally {
    await rm(work, { recursive: true, force: true });
    if (!keep) await stopSandbox(dir);
    else say(`\nThe sandbox is still up: kubectl --kubeconfig ${dir}/kubeconfig-tripo04os-production get all -n tripo04os-production`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
