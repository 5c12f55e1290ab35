import { beforeAll, describe, expect, it } from '@jest/globals';
import { leaks, type RunResult } from '@tripo04os/kit/harness';
import { control, deployAction, env, expectExit, kubectl, kubectlApply, pushImages, unique } from './helpers.ts';

/** Error ratio of the new colour's Deployment since it started (one sample is enough). */
// Twice the sandbox Prometheus's scrape interval (1 s), as the README advises: a measurement
// before green's first scrape would find no series (empty result, a failure).
const ERROR_RATIO = `
- name: error-ratio
  query: (sum(http_requests_total{namespace="{{namespace}}",deployment="{{deployment}}",code="500"}) or vector(0)) / sum(http_requests_total{namespace="{{namespace}}",deployment="{{deployment}}"})
  phase: post
  max: 0.1
  interval: 2s
`;

const selector = async (ns: string, name: string) =>
  JSON.parse(await kubectl('-n', ns, 'get', 'svc', name, '-o', 'jsonpath={.spec.selector}')) as Record<string, string>;
const replicas = async (ns: string, name: string) =>
  Number(await kubectl('-n', ns, 'get', 'deploy', name, '-o', 'jsonpath={.spec.replicas}'));
const imageOf = (ns: string, name: string) =>
  kubectl('-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[*].image}');

interface Workload {
  name: string;
  colorBefore: string | null;
  colorAfter: string | null;
  imagesAfter: Record<string, string>;
  imagesTried?: Record<string, string>;
  status: string;
  timeline: { t: number; step: string; message: string }[];
  checks: { phase: string; verdict: string; checks: { measurements: { value: number | null; verdict: string; bound: string }[] }[] }[];
}
const workloads = (r: RunResult) => JSON.parse(r.outputs.result ?? '[]') as Workload[];

/** Deployment NAME and Service NAME as before blue-green. */
async function legacy(ns: string, apps: Record<string, string>): Promise<void> {
  await kubectlApply(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`);
  await kubectlApply(
    Object.entries(apps)
      .map(
        ([name, image]) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [ { name: app, image: "${image}" } ] }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec: { selector: { app: ${name} }, ports: [ { port: 80 } ] }
`,
      )
      .join('---\n'),
  );
  for (const name of Object.keys(apps)) await kubectl('-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=60s');
}

const blueGreen = (inputs: Record<string, string | number | boolean>) =>
  deployAction({
    strategy: 'blue-green',
    'health-check-path': '/health',
    'health-check-retries': 3,
    'health-check-interval': '1s',
    'prometheus-url': env.SANDBOX_PROMETHEUS_URL,
    'metric-checks': ERROR_RATIO,
    'analysis-duration': '6s',
    'scale-down-delay': '0',
    ...inputs,
  });

describe('kubectl-deploy blue-green against the sandbox and its real Prometheus', () => {
  const ns = unique('kd-bg');
  const img: Record<string, string> = {};

  beforeAll(async () => {
    const tags = ['v1', 'v2', 'v3', 'v4', 'crash', 'sick', 'errors'];
    const refs = await pushImages('kd-bg', ...tags);
    tags.forEach((t, k) => {
      img[t] = refs[k]!;
    });
    for (const t of ['v1', 'v2', 'v3', 'v4']) await control.setBehaviour({ image: img[t]!, readyDelayMs: 200, requestRate: 20 });
    await control.setBehaviour({ image: img.crash!, crashLoop: true });
    await control.setBehaviour({ image: img.sick!, readyDelayMs: 200, healthStatus: 500 });
    await control.setBehaviour({ image: img.errors!, readyDelayMs: 200, errorRatio: 0.4, requestRate: 20 });
    await legacy(ns, { api: img.v1! });
  });

  it('a good release: blue made from Deployment api, green checked and switched, blue scaled down after the delay', async () => {
    const r = await blueGreen({ namespace: ns, images: `api=${img.v2}`, 'scale-down-delay': '2s' });
    expectExit(r, 0);
    expect(r.outputs['active-color']).toBe('green');
    expect(r.outputs['previous-color']).toBe('blue');
    expect(r.outputs['rolled-back']).toBe('false');
    const [w] = workloads(r);
    expect(w).toMatchObject({ name: 'api', colorBefore: 'blue', colorAfter: 'green', status: 'switched', imagesAfter: { app: img.v2 } });
    const post = w!.checks.find((c) => c.phase === 'post')!;
    expect(post.verdict).toBe('pass');
    expect(post.checks[0]!.measurements.map((m) => [m.value, m.verdict])).toEqual([
      [0, 'pass'],
      [0, 'pass'],
      [0, 'pass'],
    ]);
    const at = (step: string) => w!.timeline.filter((e) => e.step === step).at(-1)!.t;
    expect(at('scale-down') - at('switch')).toBeGreaterThanOrEqual(2);
    // The real kubectl reads the switch.
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
    expect(await replicas(ns, 'api-green')).toBe(2);
    expect(r.log).toContain('▸ Blue-green deploy of api');
    expect(r.summary).toContain('| kd-bg-');
    expect(r.summary).toContain('| blue → green |');
    expect(r.summary).toMatch(/\| api \| error-ratio \(post\) \| 0 \| v ≤ 0\.1 \| ✅ 0 within v ≤ 0\.1 \|/);
    expect(r.summary).toContain('Timeline of api');
  });

  it('a crashing release is never switched to', async () => {
    const r = await blueGreen({ namespace: ns, images: `api=${img.crash}` });
    expectExit(r, 1);
    expect(workloads(r)[0]).toMatchObject({ colorAfter: 'green', status: 'not switched', imagesTried: { app: img.crash } });
    expect(r.annotations.find((a) => a.level === 'error')?.message).toMatch(/api-blue.*CrashLoopBackOff/);
    expect(r.summary).toContain('Diagnosis of');
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
  });

  it('a release failing the health check on the preview Service is not switched to', async () => {
    const r = await blueGreen({ namespace: ns, images: `api=${img.sick}` });
    expectExit(r, 1);
    expect(workloads(r)[0]).toMatchObject({ colorAfter: 'green', status: 'not switched' });
    expect(r.annotations.find((a) => a.level === 'error')?.message).toContain(
      `pre-switch check failed: health check /health through Service ${ns}/api-preview failed after 3 attempts: HTTP 500`,
    );
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await selector(ns, 'api-preview')).toEqual({ app: 'api', version: 'blue' });
  });

  it('a release whose error ratio trips the post check is switched back and scaled to zero', async () => {
    const r = await blueGreen({ namespace: ns, images: `api=${img.errors}` });
    expectExit(r, 1);
    expect(r.outputs['rolled-back']).toBe('true');
    expect(r.outputs['active-color']).toBe('green');
    const [w] = workloads(r);
    expect(w).toMatchObject({ status: 'rolled back', colorAfter: 'green', imagesAfter: { app: img.v2 }, imagesTried: { app: img.errors } });
    const m = w!.checks.find((c) => c.phase === 'post')!.checks[0]!.measurements.at(-1)!;
    expect(m.verdict).toBe('fail');
    expect(m.value).toBeGreaterThan(0.2);
    expect(w!.timeline.map((e) => e.step)).toEqual(expect.arrayContaining(['switch', 'switch-back', 'old-ready', 'scale-down']));
    expect(r.summary).toMatch(/\| api \| error-ratio \(post\) \| 0\.\d+ \| v ≤ 0\.1 \| ❌ /);
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
    expect(await imageOf(ns, 'api-green')).toBe(img.v2);
  });

  it('manual rollback inside the scale-down delay switches back at once', async () => {
    // Bearer auth (the sandbox Prometheus ignores it): the token is masked everywhere.
    const token = 'prom-token-4f8a9c2e';
    const d = await blueGreen({
      namespace: ns,
      images: `api=${img.v3}`,
      'scale-down-delay': 'never',
      'prometheus-auth': 'bearer',
      'prometheus-token': token,
    });
    expectExit(d, 0);
    expect(d.masked).toContain(token);
    expect(leaks(d, token)).toEqual([]);
    expect(await selector(ns, 'api')).toMatchObject({ version: 'blue' });
    expect(await replicas(ns, 'api-green')).toBe(2); // kept for an instant rollback
    const r = await deployAction({
      strategy: 'blue-green',
      action: 'rollback',
      namespace: ns,
      deployments: 'api',
      'scale-down-delay': '0',
    });
    expectExit(r, 0);
    expect(r.outputs['active-color']).toBe('green');
    expect(r.outputs['rolled-back']).toBe('true');
    const [w] = workloads(r);
    expect(w!.timeline.map((e) => e.step)).toEqual(['ready', 'switch', 'scale-down']);
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
  });

  it('manual rollback after the delay restores the recorded release even when a failed one overwrote its colour', async () => {
    expectExit(await blueGreen({ namespace: ns, images: `api=${img.v4}` }), 0); // blue v4 live, green (v2) scaled to zero
    expect(await replicas(ns, 'api-green')).toBe(0);
    expectExit(await blueGreen({ namespace: ns, images: `api=${img.crash}` }), 1); // leaves the crash template in green
    expect(await imageOf(ns, 'api-green')).toBe(img.crash);
    const r = await deployAction({
      strategy: 'blue-green',
      action: 'rollback',
      namespace: ns,
      deployments: 'api',
      'scale-down-delay': 'never',
    });
    expectExit(r, 0);
    const [w] = workloads(r);
    expect(w!.timeline.map((e) => e.step)).toEqual(['restore', 'scale', 'switch']);
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await imageOf(ns, 'api-green')).toBe(img.v2);
    expect(await replicas(ns, 'api-green')).toBe(2);
    expect(await replicas(ns, 'api-blue')).toBe(2);
  });
});

describe('four workloads at once', () => {
  const ns = unique('kd-bg4');
  const services = ['ai-support', 'premium-driver-matching', 'profit-optimization-engine', 'dashboard-api'];
  const v1: Record<string, string> = {};
  const v2: Record<string, string> = {};

  beforeAll(async () => {
    for (const s of services) {
      const [a, b] = await pushImages(`kd-bg4-${s}`, 'v1', 'v2');
      v1[s] = a!;
      v2[s] = b!;
      await control.setBehaviour({ image: a!, readyDelayMs: 200, requestRate: 20 });
      await control.setBehaviour({ image: b!, readyDelayMs: 200, requestRate: 20, errorRatio: s === 'dashboard-api' ? 0.5 : 0 });
    }
    await legacy(ns, v1);
  });

  it('one bad release switches all four back with rollback-scope all', async () => {
    const r = await blueGreen({ namespace: ns, images: services.map((s) => `${s}=${v2[s]}`).join('\n'), 'analysis-duration': '8s' });
    expectExit(r, 1);
    const ws = workloads(r);
    expect(ws.map((w) => [w.name, w.status, w.colorAfter])).toEqual(services.map((s) => [s, 'rolled back', 'blue']));
    expect(JSON.parse(r.outputs['active-color']!)).toEqual(Object.fromEntries(services.map((s) => [s, 'blue'])));
    expect(r.annotations.find((a) => a.level === 'error')?.message).toContain(
      "dashboard-api: post-switch check failed: metric check 'error-ratio' failed",
    );
    for (const s of services) {
      expect(await selector(ns, s)).toEqual({ app: s, version: 'blue' });
      expect(await replicas(ns, `${s}-green`)).toBe(0);
    }
  });
});

describe('blue-green bad input: one line before anything changes', () => {
  it.each([
    [{ strategy: 'canary' }, "Input 'strategy' has the value 'canary'"],
    [{ 'metric-checks': 'name: x' }, "Input 'metric-checks' has the value 'name: x': expected a YAML list of checks"],
    [{ 'metric-checks': '- {name: x, phase: post, max: 1}' }, "item 1: lacks 'query'"],
    [{ 'metric-checks': '- {name: x, query: up, phase: post, min: 2, max: 1}' }, "'min' (2) is greater than 'max' (1)"],
    [{ 'prometheus-url': 'http://prometheus.example.com' }, "Input 'prometheus-url' has the value 'http://prometheus.example.com'"],
    [{ 'scale-down-delay': 'later' }, "Input 'scale-down-delay' has the value 'later'"],
    [
      { 'metric-checks': ERROR_RATIO, 'prometheus-url': '' },
      "Input 'prometheus-url' has no value: metric-checks needs the URL of a Prometheus server",
    ],
  ])('%j', async (inputs, message) => {
    const r = await blueGreen({ namespace: 'never-created', images: 'api=127.0.0.1:5000/api:v1', ...inputs });
    expectExit(r, 1);
    const errors = r.annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(message);
    expect(errors[0]!.message.split('\n')).toHaveLength(1);
    expect(await kubectl('get', 'namespaces', '-o', 'name')).not.toContain('namespace/never-created');
  });
});

describe('the metric gate with the rolling strategy', () => {
  it('checks phase: post after the rollout and rolls back when it fails', async () => {
    const ns = unique('kd-gate');
    const [good, bad] = await pushImages('kd-gate', 'v1', 'v2');
    await control.setBehaviour({ image: good!, readyDelayMs: 100, requestRate: 20 });
    await control.setBehaviour({ image: bad!, readyDelayMs: 100, requestRate: 20, errorRatio: 0.5 });
    await legacy(ns, { web: good! });
    const r = await deployAction({
      namespace: ns,
      images: `web=${bad}`,
      'prometheus-url': env.SANDBOX_PROMETHEUS_URL,
      'metric-checks': ERROR_RATIO,
      'analysis-duration': '4s',
    });
    expectExit(r, 1);
    expect(r.log).toMatch(/\[post\] error-ratio 1\/2: 0\.\d+ outside v ≤ 0\.1 → fail/);
    expect(r.annotations.find((a) => a.level === 'error')?.message).toContain(`deployment ${ns}/web: metric check 'error-ratio' failed`);
    expect(r.outputs['rolled-back']).toBe('true');
    expect(r.summary).toMatch(/\| web \| error-ratio \(post\) \| 0\.\d+ \| v ≤ 0\.1 \| ❌ /);
    const [row] = JSON.parse(r.outputs.result!) as { status: string; checks: { verdict: string } }[];
    expect(row).toMatchObject({ status: 'rolled back', checks: { verdict: 'fail' } });
    expect(await imageOf(ns, 'web')).toBe(good);
  });
});
