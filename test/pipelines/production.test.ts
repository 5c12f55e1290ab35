/**
 * Releases of examples/ai-support by tag, run by the workflow runner against the sandbox's two
 * clusters and its real Prometheus:
 *   - v1.0.0: staging (rolling), then production blue-green with the metric gate;
 *   - v1.0.1 whose image answers half of its requests with 5xx: the gate fails after the
 *     switch, traffic goes back to the previous colour, the failure is notified, the run fails.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxControl } from '@tripo04os/sandbox';
import {
  git,
  kubectl,
  type PipelineSandbox,
  PRODUCTION,
  pipelineSandbox,
  registryDigest,
  registryTags,
  runPipeline,
  secretsFile,
  serviceRepo,
} from './helpers.ts';

const LONG = 900_000;
const NS = 'tripo04os-production';
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

const selector = async () =>
  JSON.parse(await kubectl(sb, PRODUCTION, 'get', 'service', 'ai-support', '-n', NS, '-o', 'jsonpath={.spec.selector}'));

test(
  'tag v1.0.0: staging, then production blue-green behind the metric gate',
  async () => {
    expect(sb.env.SANDBOX_PROMETHEUS_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await git(repo, 'tag', 'v1.0.0');
    const secrets = await secretsFile(sb, '/services/T0/B0/release-1.0.0');
    const run = await runPipeline(sb, repo, { event: 'push', ref: 'refs/tags/v1.0.0', secrets, name: 'v1.0.0' });
    if (run.conclusion !== 'success') throw new Error(await run.failures());
    expect(run.job('deploy-staging').result).toBe('success');
    const production = run.job('deploy-production');
    expect(production.result).toBe('success');
    const live = production.outputs['active-color'];
    expect(['blue', 'green']).toContain(live);
    // The real kubectl: the Service selects the live colour, whose Deployment runs the release.
    expect((await selector()).version).toBe(live);
    const image = await kubectl(
      sb,
      PRODUCTION,
      'get',
      'deployment',
      `ai-support-${live}`,
      '-n',
      NS,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    expect(image).toBe(JSON.parse(run.job('build / collect').outputs.images ?? '{}')['ai-support']);
    expect(await registryTags(sb, 'tripo04os-ai-support')).toEqual(expect.arrayContaining(['1.0.0', '1.0']));
    expect(await run.log('deploy-production')).toMatch(/error-ratio/);
    const slack = (await control.webhooks('/services/T0/B0/release-1.0.0')).map((w) => JSON.stringify(w.json));
    expect(slack.some((t) => /Deployment to production succeeded/.test(t))).toBe(true);
  },
  LONG,
);

test(
  'tag v1.0.1 with a high error ratio: the gate fails, traffic goes back, the failure is notified, the run fails',
  async () => {
    const before = (await selector()).version;
    await writeFile(join(repo, 'ai_support/__init__.py'), '"""AI Support."""\n\n__version__ = "1.0.1"\n');
    await git(repo, 'commit', '-qam', 'ai-support: a release that fails half of its requests');
    await git(repo, 'tag', 'v1.0.1');
    const secrets = await secretsFile(sb, '/services/T0/B0/release-1.0.1');
    // The bad image: as soon as the build has pushed it, its pods answer 50% of requests with 5xx.
    let marked = '';
    const marking = (async () => {
      for (let i = 0; i < 600 && !marked; i++) {
        const digest = await registryDigest(sb, 'tripo04os-ai-support', '1.0.1');
        if (digest) {
          marked = `${sb.env.SANDBOX_REGISTRY}/tripo04os-ai-support@${digest}`;
          await control.setBehaviour({ image: marked, errorRatio: 0.5 });
        } else await sleep(500);
      }
    })();
    const run = await runPipeline(sb, repo, { event: 'push', ref: 'refs/tags/v1.0.1', secrets, name: 'v1.0.1' });
    await marking;
    expect(marked).not.toBe('');
    expect(run.conclusion).toBe('failure');
    expect(run.code).toBe(1);
    expect(run.job('deploy-staging').result).toBe('success');
    expect(run.job('deploy-production').result).toBe('failure');
    const log = await run.log('deploy-production');
    expect(log).toMatch(/error-ratio/);
    // Traffic is back on the previous colour, which still runs v1.0.0; the bad colour is scaled down.
    expect((await selector()).version).toBe(before);
    const bad = before === 'blue' ? 'green' : 'blue';
    expect(
      await kubectl(
        sb,
        PRODUCTION,
        'get',
        'deployment',
        `ai-support-${before}`,
        '-n',
        NS,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ),
    ).not.toBe(marked);
    expect(await kubectl(sb, PRODUCTION, 'get', 'deployment', `ai-support-${bad}`, '-n', NS, '-o', 'jsonpath={.spec.replicas}')).toBe('0');
    const slack = (await control.webhooks('/services/T0/B0/release-1.0.1')).map((w) => JSON.stringify(w.json));
    expect(slack.some((t) => /Deployment to production failed/.test(t))).toBe(true);
    const mails = (await control.mails()).filter((m) => /production/.test(m.subject));
    expect(mails.some((m) => /fail/i.test(m.subject) || /fail/i.test(m.text))).toBe(true);
  },
  LONG,
);
