/**
 * examples/ai-support, copied out into a repository of its own, its caller workflows run by the
 * workflow runner against a sandbox with the staging and production clusters:
 *   - a pull request: CI and the security scan only, nothing built or deployed;
 *   - a push to main: CI, scan, integration tests against a real PostgreSQL and Redis, build and
 *     push, the staging rolling deploy with app-config/app-secrets and smoke tests, Slack and
 *     e-mail; then the cluster (real kubectl), the registry and the sinks are looked at;
 *   - a second push, then the workflow_dispatch rollback back to the first release.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxControl } from '@tripo04os/sandbox';
import {
  git,
  kubectl,
  type PipelineSandbox,
  PRODUCTION,
  pipelineSandbox,
  registryTags,
  runPipeline,
  STAGING,
  secretsFile,
  serviceRepo,
} from './helpers.ts';

const LONG = 600_000;

let sb: PipelineSandbox;
let repo: string;
let control: SandboxControl;
beforeAll(async () => {
  sb = await pipelineSandbox();
  control = new SandboxControl(sb.env.SANDBOX_CONTROL_URL);
  repo = await serviceRepo(sb, 'ai-support');
}, 120_000);
afterAll(async () => {
  await sb?.stop();
}, 60_000);

test(
  'a pull request runs CI and the security scan only: nothing is built or deployed',
  async () => {
    const secrets = await secretsFile(sb, '/services/T0/B0/ai-support-pr');
    const run = await runPipeline(sb, repo, { event: 'pull_request', ref: 'refs/pull/7/merge', secrets, name: 'pr' });
    expect(run.conclusion).toBe('success');
    const results = Object.fromEntries(run.jobs.map((j) => [j.path, j.result]));
    expect(results).toEqual(
      expect.objectContaining({
        'pipeline / settings': 'success',
        'pipeline / ci / lint, type-check, unit tests': 'success',
        'pipeline / security-scan / Trivy and Bandit': 'success',
        'pipeline / integration-tests': 'skipped',
        'pipeline / build': 'skipped',
        'pipeline / deploy-staging': 'skipped',
        'pipeline / deploy-production': 'skipped',
      }),
    );
    // The stand-in Trivy never looks like a clean scan.
    expect(await run.log('security-scan')).toMatch(/Trivy did not scan \(state: did not run\): its result is unknown, not clean/);
    expect(await registryTags(sb, 'tripo04os-ai-support')).toEqual([]);
    expect(await control.webhooks('/services/T0/B0/ai-support-pr')).toEqual([]);
  },
  LONG,
);

test(
  'a push to main: CI, scan, integration tests, build and push, staging rolling deploy, Slack and e-mail',
  async () => {
    const sha = await git(repo, 'rev-parse', 'HEAD');
    const secrets = await secretsFile(sb, '/services/T0/B0/ai-support-main');
    const run = await runPipeline(sb, repo, { event: 'push', ref: 'refs/heads/main', secrets, name: 'main' });
    if (run.conclusion !== 'success') throw new Error(await run.failures());
    for (const job of run.jobs) if (!job.path.includes('deploy-production')) expect([job.path, job.result]).toEqual([job.path, 'success']);
    expect(run.job('deploy-production').result).toBe('skipped');

    // Integration tests ran against a real PostgreSQL and Redis.
    expect(await run.log('integration')).toMatch(/test_store_integration\.py::test_answers_are_stored_and_cached PASSED/);
    // The registry has the image under the spec's tags.
    expect(await registryTags(sb, 'tripo04os-ai-support')).toEqual(expect.arrayContaining([`sha-${sha.slice(0, 7)}`, 'main']));

    // Staging, seen with the real kubectl: the image by digest, the spec's app-config, the Secret.
    const image = await kubectl(
      sb,
      STAGING,
      'get',
      'deployment',
      'ai-support',
      '-n',
      'tripo04os-staging',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    expect(image).toMatch(new RegExp(`^${sb.env.SANDBOX_REGISTRY}/tripo04os-ai-support@sha256:[0-9a-f]{64}$`));
    expect(JSON.parse(run.job('build / collect').outputs.images ?? '{}')).toEqual({ 'ai-support': image });
    const config = JSON.parse(
      await kubectl(sb, STAGING, 'get', 'configmap', 'app-config', '-n', 'tripo04os-staging', '-o', 'jsonpath={.data}'),
    );
    expect(config).toEqual({ ENVIRONMENT: 'staging', LOG_LEVEL: 'INFO', MAX_REQUESTS: '10000', REQUEST_TIMEOUT: '30', CACHE_TTL: '3600' });
    const secretKeys = Object.keys(
      JSON.parse(await kubectl(sb, STAGING, 'get', 'secret', 'app-secrets', '-n', 'tripo04os-staging', '-o', 'jsonpath={.data}')),
    );
    expect(secretKeys.sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'REDIS_URL']);
    expect(await kubectl(sb, STAGING, 'rollout', 'status', 'deployment/ai-support', '-n', 'tripo04os-staging', '--timeout=5s')).toMatch(
      /successfully rolled out/,
    );
    // Production is another cluster: untouched.
    expect(await kubectl(sb, PRODUCTION, 'get', 'namespaces', '-o', 'name')).not.toContain('tripo04os-staging');
    await expect(kubectl(sb, PRODUCTION, 'get', 'deployment', 'ai-support', '-n', 'tripo04os-production')).rejects.toThrow(/not found/);

    // Smoke test through the ingress, and the notices with the run's link; no secret anywhere.
    expect(await run.log('deploy-staging')).toMatch(
      /ai-support: http:\/\/127\.0\.0\.1:\d+\/tripo04os-staging\/tripo04os-staging\/ai-support\/health answered 200/,
    );
    const slack = await control.webhooks('/services/T0/B0/ai-support-main');
    expect(slack).toHaveLength(1);
    expect(JSON.stringify(slack[0]?.json)).toMatch(/Deployment to staging succeeded/);
    expect(JSON.stringify(slack[0]?.json)).toMatch(/actions\/runs\//);
    const mails = (await control.mails()).filter((m) => m.subject.includes('staging'));
    expect(mails.length).toBeGreaterThanOrEqual(1);
    expect(mails.at(-1)?.to).toEqual(['ops@tripo04os.test']);
    expect(mails.at(-1)?.text).toMatch(/actions\/runs\//);
    const everything = `${run.stdout}${JSON.stringify(run.jobs)}${await run.log('deploy-staging')}`;
    for (const secret of ['db-s3cret-value', 'jwt-s3cret-value', sb.env.AWS_SECRET_ACCESS_KEY, sb.env.SANDBOX_SMTP_PASSWORD])
      expect(everything).not.toContain(secret);
  },
  LONG,
);

test(
  'a second release, then the workflow_dispatch rollback returns staging to the first',
  async () => {
    const before = await kubectl(
      sb,
      STAGING,
      'get',
      'deployment',
      'ai-support',
      '-n',
      'tripo04os-staging',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    await writeFile(join(repo, 'ai_support/__init__.py'), '"""AI Support."""\n\n__version__ = "1.1.0"\n');
    await git(repo, 'commit', '-qam', 'ai-support: second version');
    const secrets = await secretsFile(sb, '/services/T0/B0/ai-support-rollback');
    const second = await runPipeline(sb, repo, { event: 'push', ref: 'refs/heads/main', secrets, name: 'main-2' });
    if (second.conclusion !== 'success') throw new Error(await second.failures());
    const after = await kubectl(
      sb,
      STAGING,
      'get',
      'deployment',
      'ai-support',
      '-n',
      'tripo04os-staging',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    expect(after).not.toBe(before);

    const rollback = await runPipeline(sb, repo, {
      workflow: 'rollback.yml',
      event: 'workflow_dispatch',
      inputs: { environment: 'staging', deployment: 'ai-support' },
      secrets,
      name: 'rollback',
    });
    if (rollback.conclusion !== 'success') throw new Error(await rollback.failures());
    expect(
      await kubectl(
        sb,
        STAGING,
        'get',
        'deployment',
        'ai-support',
        '-n',
        'tripo04os-staging',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ),
    ).toBe(before);
    expect(await kubectl(sb, STAGING, 'rollout', 'history', 'deployment/ai-support', '-n', 'tripo04os-staging')).toMatch(/REVISION/);
    const notices = await control.webhooks('/services/T0/B0/ai-support-rollback');
    expect(JSON.stringify(notices.at(-1)?.json)).toMatch(/Rollback of ai-support in staging completed/);
  },
  LONG,
);
