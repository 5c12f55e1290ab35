/**
 * npm run demo:actions: the three bundled actions alone. A Tripo04OS service goes from source to a
 * running, health-checked Deployment the way the spec's pipeline takes it (build and push to
 * ECR, staging rollout with manifests and a health check, automatic rollback of a bad release,
 * Slack and e-mail notification), with the three bundled actions run exactly as the GitHub
 * runner runs them, against the sandbox (local EKS, ECR, STS, registry, Slack and SMTP).
 *
 *   npm run demo:actions         # starts a sandbox in .sandbox/demo-actions, runs, stops it
 *   npm run demo:actions -- --keep # leaves the sandbox up to look around (kubectl with DIR/kubeconfig)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDuration } from '@tripo04os/common';
import { markdownTable } from '@tripo04os/kit';
import { type RunOptions, type RunResult, runAction } from '@tripo04os/kit/harness';
import { SandboxControl, type SandboxEnv, startSandbox, stopSandbox } from '@tripo04os/sandbox';

const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const dir = resolve(root, '.sandbox/demo-actions');

interface Step {
  name: string;
  expect: 'success' | 'failure';
  result: RunResult;
  note: string;
}
const steps: Step[] = [];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function step(name: string, expect: Step['expect'], options: RunOptions, note: (r: RunResult) => string): Promise<RunResult> {
  say(`\n━━ ${name}`);
  const result = await runAction({ timeoutMs: 300_000, ...options });
  // What a person sees in the Actions UI: the step's log, masks applied.
  for (const line of result.log.trimEnd().split('\n')) say(`   ${line}`);
  const ok = expect === 'success' ? result.exitCode === 0 : result.exitCode !== 0;
  steps.push({ name, expect, result, note: note(result) });
  say(`   → exit ${result.exitCode} in ${formatDuration(result.durationMs)} (${ok ? 'as expected' : `UNEXPECTED: expected ${expect}`})`);
  if (!ok) throw new Error(`demo step '${name}' did not end as expected`);
  return result;
}

async function main(): Promise<void> {
  say(`Starting the sandbox in ${dir} ...`);
  await stopSandbox(dir).catch(() => {});
  const { env } = await startSandbox({ dir });
  const control = new SandboxControl(env.SANDBOX_CONTROL_URL);
  const work = await mkdtemp(join(tmpdir(), 'demo-'));
  try {
    await pipeline(env, control, work);
  } finally {
    await rm(work, { recursive: true, force: true });
    if (!keep) await stopSandbox(dir);
    else
      say(
        `\nThe sandbox is still up: KUBECONFIG=${env.KUBECONFIG} kubectl get all -n staging; stop it with npm run sandbox -- down --dir ${dir}`,
      );
  }
}

async function pipeline(env: SandboxEnv, control: SandboxControl, work: string): Promise<void> {
  // What aws-actions/configure-aws-credentials leaves in a job: region and credentials. The
  // endpoint variables point the unchanged AWS SDK at the sandbox.
  const aws = {
    AWS_REGION: env.AWS_REGION,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL_ECR: env.AWS_ENDPOINT_URL_ECR,
    AWS_ENDPOINT_URL_EKS: env.AWS_ENDPOINT_URL_EKS,
    AWS_ENDPOINT_URL_STS: env.AWS_ENDPOINT_URL_STS,
    CONTAINERS_REGISTRIES_CONF: env.CONTAINERS_REGISTRIES_CONF,
    DOCKER_CONFIG: join(work, 'docker'),
    REGISTRY_AUTH_FILE: join(work, 'auth.json'),
    KUBECONFIG: undefined,
  };
  const sha = '5f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d';
  const push = {
    event: {
      name: 'push',
      payload: {
        ref: 'refs/heads/main',
        after: sha,
        repository: {
          name: 'ai-support',
          html_url: 'https://github.com/tripo04os/ai-support',
          description: 'AI support service',
          license: { spdx_id: 'MIT' },
        },
      },
    },
    context: { GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_WORKFLOW: 'Deploy to Staging' },
  };

  // 1. Build and push (spec 5.1): ECR login through the sandbox's AWS endpoint, repository
  //    created with scan on push, tags from the spec's rules, the ECR scan gate.
  const build = await step(
    'docker-build: build ai-support and push it to ECR',
    'success',
    {
      action: join(root, 'docker-build'),
      cwd: join(root, 'scripts/demo/service'),
      inputs: { repository: 'tripo04os-ai-support', scan: 'ecr', 'severity-threshold': 'CRITICAL', 'scan-timeout': '1m' },
      env: aws,
      ...push,
    },
    (r) => `${r.outputs.tags?.split('\n').length ?? 0} tags, ${r.outputs.digest?.slice(0, 19)}…`,
  );
  const imageRef = build.outputs['image-ref'] as string;
  const registry = build.outputs.registry ?? (imageRef.split('/')[0] as string);

  // 2. Staging rollout (spec 6.1, 7.2, 7.3, 8.3): manifests applied server-side in dependency
  //    order with the new image, a Secret from the job's environment, EKS access by cluster name.
  const deployInputs = {
    'cluster-name': env.SANDBOX_EKS_CLUSTER,
    namespace: 'staging',
    timeout: '2m',
    'failure-grace': '3s',
  };
  await step(
    'kubectl-deploy: first release to staging from manifests',
    'success',
    {
      action: join(root, 'kubectl-deploy'),
      inputs: {
        ...deployInputs,
        manifests: join(root, 'scripts/demo/k8s'),
        'substitute-env': 'true',
        images: `ai-support=${imageRef}`,
        secret: 'ai-support-secrets',
        'secret-env': 'DATABASE_URL\nOPENAI_API_KEY',
      },
      env: {
        ...aws,
        REGISTRY: registry,
        DATABASE_URL: 'postgresql://ai:demo-password@db:5432/ai',
        OPENAI_API_KEY: 'sk-demo-not-a-real-key',
      },
      ...push,
    },
    () => 'Namespace, ConfigMap, Secret, Service, Deployment',
  );

  // 3. The health check of spec 10.2, against the Service's URL.
  const service = (await control.services()).find((s) => s.namespace === 'staging' && s.name === 'ai-support');
  if (!service) throw new Error('the sandbox has no URL for service staging/ai-support');
  await step(
    'kubectl-deploy: same release again, health-checked',
    'success',
    {
      action: join(root, 'kubectl-deploy'),
      inputs: {
        ...deployInputs,
        images: `ai-support=${imageRef}`,
        'health-check-url': `${service.url}/health`,
        'health-check-interval': '1s',
        'health-check-retries': '5',
      },
      env: aws,
      ...push,
    },
    () => `${service.url}/health answered`,
  );

  // 4. A bad release: its pods crash. The action stops waiting, diagnoses, and rolls back.
  const bad = await control.pushImage('tripo04os-ai-support', 'bad-release');
  await control.setBehaviour({ image: bad.image, crashLoop: true });
  const failed = await step(
    'kubectl-deploy: a crashing release is diagnosed and rolled back',
    'failure',
    { action: join(root, 'kubectl-deploy'), inputs: { ...deployInputs, images: `ai-support=${bad.image}` }, env: aws, ...push },
    (r) => `rolled-back=${r.outputs['rolled-back']}`,
  );
  if (failed.outputs['rolled-back'] !== 'true') throw new Error('the bad release was not rolled back');

  // 5. Notify (spec 9.2, 9.3): Slack and e-mail in one step.
  await step(
    'notification: Slack and e-mail',
    'success',
    {
      action: join(root, 'notification'),
      inputs: {
        status: 'failure',
        title: 'ai-support: release rolled back on staging',
        text: `The crashing release \`bad-release\` was rolled back to \`${imageRef.split('@')[1]?.slice(0, 19)}…\`.`,
        environment: 'staging',
        'slack-webhook-url': `${env.SANDBOX_WEBHOOK_URL}/services/T000/B000/demo`,
        'smtp-host': env.SANDBOX_SMTP_HOST,
        'smtp-port': env.SANDBOX_SMTP_PORT,
        'smtp-username': env.SANDBOX_SMTP_USER,
        'smtp-password': env.SANDBOX_SMTP_PASSWORD,
        'smtp-tls': 'starttls',
        'smtp-ca-file': env.SANDBOX_CA_FILE,
        'email-to': 'platform@tripo04os.example',
        'email-from': 'ci@tripo04os.example',
      },
      env: {},
      ...push,
    },
    (r) => `delivered: ${Object.keys(JSON.parse(r.outputs.delivered ?? '{}')).join(', ')}`,
  );
  const slack = await control.webhooks('/services/');
  const mails = await control.mails();
  say(`\nThe Slack sink got ${slack.length} message(s); the SMTP sink got ${mails.length} mail(s): "${mails.at(-1)?.subject ?? ''}"`);

  say('\n━━ Pipeline');
  say(
    markdownTable(
      ['step', 'expected', 'exit', 'time', 'result'],
      steps.map((s) => [s.name, s.expect, s.result.exitCode, formatDuration(s.result.durationMs), s.note]),
    ),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
