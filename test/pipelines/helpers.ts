/**
 * Running the example service repositories' caller workflows with the workflow runner against
 * a sandbox with the two EKS clusters of the pipeline (tripo04os-staging, tripo04os-production),
 * the way a service team would dry-run them: the example copied into a git repository of its
 * own, tripo04os/actions resolved to this checkout, the sandbox's DIR/env as --env-file and the
 * secrets in a secrets file.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { readSandboxEnv, type SandboxEnv, startSandbox, stopSandbox } from '@tripo04os/sandbox';

const execFileP = promisify(execFile);
export const root = resolve(import.meta.dirname, '../..');
export const STAGING = 'tripo04os-staging';
export const PRODUCTION = 'tripo04os-production';

export interface PipelineSandbox {
  dir: string;
  env: SandboxEnv;
  work: string;
  envFile: string;
  stop(): Promise<void>;
}

/** A sandbox with both clusters, and the runner machine's environment file for it. */
export async function pipelineSandbox(): Promise<PipelineSandbox> {
  const work = await mkdtemp(join(tmpdir(), 'pipelines-'));
  const dir = join(work, 'sandbox');
  await startSandbox({ dir, clusters: [STAGING, PRODUCTION], ownerPid: process.pid });
  const env = await readSandboxEnv(dir);
  const envFile = join(work, 'runner.env');
  // The runner machine: the sandbox's endpoints; Debian's python3 first (it has the Python tools
  // the workflows install, pip being offline); the sandbox CA trusted by Node (SMTP STARTTLS);
  // (each build job gets its own docker config from build.yml).
  await writeFile(
    envFile,
    `${await readFile(join(dir, 'env'), 'utf8')}PATH=/usr/bin:/usr/local/bin:/bin:/usr/sbin:/sbin\nNODE_EXTRA_CA_CERTS=${env.SANDBOX_CA_FILE}\n`,
  );
  return {
    dir,
    env,
    work,
    envFile,
    stop: async () => {
      await stopSandbox(dir);
      await rm(work, { recursive: true, force: true });
    },
  };
}

export const git = (dir: string, ...args: string[]) =>
  execFileP('git', ['-C', dir, '-c', 'user.name=Dev', '-c', 'user.email=dev@tripo04os.test', ...args], { encoding: 'utf8' }).then((r) =>
    r.stdout.trim(),
  );

/** An example copied out into a git repository of its own, one commit on main. */
export async function serviceRepo(sb: PipelineSandbox, example: string): Promise<string> {
  const dir = join(sb.work, example);
  await cp(join(root, 'examples', example), dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-qm', `${example}: first version`);
  return dir;
}

/** The secrets a service repository (and its environments) would hold, pointed at the sinks. */
export async function secretsFile(sb: PipelineSandbox, slackPath: string): Promise<string> {
  const e = sb.env;
  const file = join(sb.work, `secrets-${slackPath.replace(/\W+/g, '-')}`);
  await writeFile(
    file,
    [
      `AWS_ACCESS_KEY_ID=${e.AWS_ACCESS_KEY_ID}`,
      `AWS_SECRET_ACCESS_KEY=${e.AWS_SECRET_ACCESS_KEY}`,
      `SLACK_WEBHOOK_URL=${e.SANDBOX_WEBHOOK_URL}${slackPath}`,
      `SMTP_URL=smtp://${encodeURIComponent(e.SANDBOX_SMTP_USER)}:${encodeURIComponent(e.SANDBOX_SMTP_PASSWORD)}@${e.SANDBOX_SMTP_HOST}:${e.SANDBOX_SMTP_PORT}`,
      'NOTIFICATION_EMAIL=ops@tripo04os.test',
      'DATABASE_URL=postgresql://app:db-s3cret-value@db.internal:5432/app',
      'REDIS_URL=redis://cache.internal:6379/0',
      'JWT_SECRET=jwt-s3cret-value',
      '',
    ].join('\n'),
  );
  return file;
}

export interface RunJob {
  key: string;
  path: string;
  result: string;
  outputs: Record<string, string>;
  steps: { name: string; conclusion: string }[];
  log: string;
}
export interface WorkflowRun {
  code: number;
  stdout: string;
  out: string;
  conclusion: string;
  jobs: RunJob[];
  job(pathPart: string): RunJob;
  log(pathPart: string): Promise<string>;
  failures(): Promise<string>;
}

/** Runs a caller workflow of the repository with the runner's CLI; resolves with run.json. */
export async function runPipeline(
  sb: PipelineSandbox,
  repo: string,
  o: { workflow?: string; event: string; ref?: string; inputs?: Record<string, string>; secrets: string; name: string },
): Promise<WorkflowRun> {
  const out = join(sb.work, `run-${o.name}`);
  const args = [
    join(root, 'packages/workflow/src/cli.ts'),
    'run',
    join(repo, '.github/workflows', o.workflow ?? 'pipeline.yml'),
    '--repo',
    repo,
    '--event',
    o.event,
    ...(o.ref ? ['--ref', o.ref] : []),
    ...Object.entries(o.inputs ?? {}).flatMap(([k, v]) => ['--input', `${k}=${v}`]),
    '--env-file',
    sb.envFile,
    '--secrets-file',
    o.secrets,
    // Local runs: no base image to pull and no build containers, so the RUN-free stage FROM scratch.
    '--var',
    'DOCKER_BUILD_ARGS=BASE_IMAGE=scratch',
    '--var',
    'DOCKER_TARGET=runtime',
    '--var',
    `HEALTH_CHECK_URL=${sb.env.SANDBOX_INGRESS_URL}/{cluster}/{namespace}/{service}/health`,
    '--var',
    `PROMETHEUS_URL=${sb.env.SANDBOX_PROMETHEUS_URL}`,
    '--repo-map',
    `tripo04os/actions=${root}`,
    '--approve',
    'all',
    '--out',
    out,
  ];
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) => {
    // The CLI as a person runs it: not a jest worker (the runner skips its JSON module hook there).
    const { JEST_WORKER_ID: _w, NODE_OPTIONS: _o, ...env } = process.env;
    const child = spawn(join(root, 'node_modules/.bin/node'), args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (text += c));
    child.on('close', (c) => done({ code: c ?? -1, stdout: text }));
  });
  let run: { conclusion: string; jobs: RunJob[] };
  try {
    run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
  } catch {
    throw new Error(`no run.json (exit ${code}):\n${stdout.slice(-4000)}`);
  }
  const job = (part: string) => {
    const j = run.jobs.find((x) => x.path.includes(part));
    if (!j) throw new Error(`no job matching '${part}' in ${run.jobs.map((x) => x.path).join(', ')}`);
    return j;
  };
  /** What went wrong, for a failing assertion: each failed job's last log lines. */
  const failures = async () => {
    const parts: string[] = [];
    for (const j of run.jobs.filter((x) => x.result === 'failure')) {
      const text = await readFile(join(out, j.log), 'utf8').catch(() => '');
      parts.push(`--- ${j.path}\n${text.split('\n').slice(-40).join('\n')}`);
    }
    return parts.join('\n') || stdout.slice(-4000);
  };
  return {
    code,
    stdout,
    out,
    failures,
    conclusion: run.conclusion,
    jobs: run.jobs,
    job,
    log: (part) => readFile(join(out, job(part).log), 'utf8'),
  };
}

/** The real kubectl against one cluster. */
export async function kubectl(sb: PipelineSandbox, cluster: string, ...args: string[]): Promise<string> {
  const r = await execFileP('kubectl', ['--kubeconfig', join(sb.dir, `kubeconfig-${cluster}`), ...args], { encoding: 'utf8' });
  return r.stdout.trim();
}

/** Tags of a repository in the sandbox registry (its HTTP API, basic auth). */
export async function registryTags(sb: PipelineSandbox, repository: string): Promise<string[]> {
  const auth = Buffer.from(`${sb.env.SANDBOX_REGISTRY_USER}:${sb.env.SANDBOX_REGISTRY_PASSWORD}`).toString('base64');
  const r = await fetch(`http://${sb.env.SANDBOX_REGISTRY}/v2/${repository}/tags/list`, { headers: { authorization: `Basic ${auth}` } });
  if (r.status === 404) return [];
  return ((await r.json()) as { tags?: string[] }).tags ?? [];
}

/** The digest of REPOSITORY:TAG in the sandbox registry, or undefined while it is not pushed. */
export async function registryDigest(sb: PipelineSandbox, repository: string, tag: string): Promise<string | undefined> {
  const auth = Buffer.from(`${sb.env.SANDBOX_REGISTRY_USER}:${sb.env.SANDBOX_REGISTRY_PASSWORD}`).toString('base64');
  const r = await fetch(`http://${sb.env.SANDBOX_REGISTRY}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      authorization: `Basic ${auth}`,
      accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
    },
  });
  return r.ok ? (r.headers.get('docker-content-digest') ?? undefined) : undefined;
}
