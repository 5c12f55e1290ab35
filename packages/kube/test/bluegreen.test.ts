import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exec, recordingLogger } from '@tripo04os/common';
import { PrometheusClient, parseMetricChecks } from '@tripo04os/metrics';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';
import { ANN, type BlueGreenOptions, blueGreenDeploy } from '../src/bluegreen.ts';
import { KubeClient } from '../src/client.ts';
import { parseImages } from '../src/images.ts';

const env = sandboxEnv();
const control = sandboxControl();

async function kubectl(...args: string[]): Promise<string> {
  const r = await exec('kubectl', ['--kubeconfig', env.KUBECONFIG, ...args]);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
async function apply(yaml: string): Promise<void> {
  const r = await exec('kubectl', ['--kubeconfig', env.KUBECONFIG, 'apply', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}
const selector = async (ns: string, name: string) =>
  JSON.parse(await kubectl('-n', ns, 'get', 'svc', name, '-o', 'jsonpath={.spec.selector}')) as Record<string, string>;
const replicas = async (ns: string, name: string) =>
  Number(await kubectl('-n', ns, 'get', 'deploy', name, '-o', 'jsonpath={.spec.replicas}'));

/** A namespace with Deployment NAME (v1) and Service NAME selecting app=NAME, like before blue-green. */
async function legacy(ns: string, name: string, image: string): Promise<void> {
  await apply(`apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: "${image}"}]}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec: {selector: {app: ${name}}, ports: [{port: 80}]}
`);
  await kubectl('-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=30s');
}

describe('blueGreenDeploy against the sandbox', () => {
  const ns = `bg-${randomBytes(3).toString('hex')}`;
  let client: KubeClient;
  const img: Record<string, string> = {};
  const prometheus = new PrometheusClient({ url: env.SANDBOX_PROMETHEUS_URL });
  // interval: twice the sandbox Prometheus's scrape interval (an earlier measurement may find no series yet).
  const errorRatio = parseMetricChecks(`
- name: error-ratio
  query: (sum(http_requests_total{namespace="{{namespace}}",deployment="{{deployment}}",code="500"}) or vector(0)) / sum(http_requests_total{namespace="{{namespace}}",deployment="{{deployment}}"})
  phase: post
  max: 0.1
  interval: 2s
  on-empty: fail
`);
  const options = (over: Partial<BlueGreenOptions>): BlueGreenOptions => ({
    client,
    logger: recordingLogger(),
    namespace: ns,
    images: [],
    objects: [],
    colorLabel: 'version',
    previewService: (n) => `${n}-preview`,
    timeoutMs: 60_000,
    failureGraceMs: 2000,
    health: { path: '/health', expect: [200, 399], retries: 3, intervalMs: 300 },
    gate: { client: prometheus, checks: errorRatio },
    analysisDurationMs: 6000,
    scaleDownDelayMs: 0,
    rollbackScope: 'all',
    owner: 'test run',
    ...over,
  });

  beforeAll(async () => {
    client = await KubeClient.connect({ kind: 'kubeconfig', file: env.KUBECONFIG }, recordingLogger());
    for (const tag of ['v1', 'v2', 'crash', 'sick', 'errors', 'v3']) img[tag] = (await control.pushImage(`bg-${ns}`, tag)).image;
    for (const tag of ['v1', 'v2', 'v3']) await control.setBehaviour({ image: img[tag]!, readyDelayMs: 100, requestRate: 20 });
    await control.setBehaviour({ image: img.crash!, crashLoop: true });
    await control.setBehaviour({ image: img.sick!, readyDelayMs: 100, healthStatus: 503 });
    await control.setBehaviour({ image: img.errors!, readyDelayMs: 100, errorRatio: 0.5, requestRate: 20 });
    await legacy(ns, 'api', img.v1!);
  });
  afterAll(async () => {
    await kubectl('delete', 'namespace', ns, '--wait=false');
  });

  it('makes blue from Deployment NAME, deploys green, checks it and switches, then scales blue down', async () => {
    const r = await blueGreenDeploy(options({ images: parseImages([`api=${img.v2}`]) }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    const w = r.workloads[0]!;
    expect(w).toMatchObject({
      name: 'api',
      colorBefore: 'blue',
      colorAfter: 'green',
      status: 'switched',
      imagesBefore: { app: img.v1 },
      imagesAfter: { app: img.v2 },
    });
    expect(w.timeline.map((e) => e.step)).toEqual(
      expect.arrayContaining([
        'bootstrap',
        'deploy',
        'ready',
        'preview',
        'pre-health',
        'switch',
        'post-health',
        'post-metrics',
        'scale-down',
      ]),
    );
    // Every measurement is in the result: after the switch green served the Service without errors.
    const m = w.checks.find((c) => c.phase === 'post')!.checks[0]!.measurements;
    expect(m.length).toBe(3);
    for (const x of m) expect(x).toMatchObject({ outcome: 'in bounds', verdict: 'pass', value: 0 });
    // The real kubectl sees the switch; blue went to zero at once (scale-down-delay 0).
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await selector(ns, 'api-preview')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
    expect(await replicas(ns, 'api-green')).toBe(2);
    const ann = JSON.parse(await kubectl('-n', ns, 'get', 'svc', 'api', '-o', 'jsonpath={.metadata.annotations}')) as Record<
      string,
      string
    >;
    expect(JSON.parse(ann[ANN.live]!)).toMatchObject({ color: 'green', images: { app: img.v2 }, revision: 1 });
    expect(JSON.parse(ann[ANN.previous]!)).toMatchObject({ color: 'blue', images: { app: img.v1 } });
    expect(ann[ANN.lock]).toBeUndefined();
  });

  it('never switches to a crashing colour; scales it back to zero', async () => {
    const r = await blueGreenDeploy(options({ images: parseImages([`api=${img.crash}`]) }));
    expect(r.ok).toBe(false);
    expect(r.workloads[0]).toMatchObject({
      colorBefore: 'green',
      colorAfter: 'green',
      status: 'not switched',
      imagesTried: { app: img.crash },
    });
    expect(r.failure).toMatch(/api-blue.*CrashLoopBackOff/);
    expect(r.diagnoses[0]?.deployment).toBe('api-blue');
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
  });

  it('does not switch when the health check fails on the preview Service', async () => {
    const r = await blueGreenDeploy(options({ images: parseImages([`api=${img.sick}`]) }));
    expect(r.ok).toBe(false);
    expect(r.workloads[0]).toMatchObject({ status: 'not switched', colorAfter: 'green' });
    expect(r.workloads[0]!.health[0]).toMatchObject({ phase: 'pre', ok: false });
    expect(r.failure).toContain('/health through Service');
    expect(r.failure).toContain('api-preview failed after 3 attempts: HTTP 503');
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
  });

  it('switches back when a post-switch metric check fails, waits for the old pods, scales the new colour to zero', async () => {
    const r = await blueGreenDeploy(options({ images: parseImages([`api=${img.errors}`]) }));
    expect(r.ok).toBe(false);
    expect(r.rolledBack).toBe(true);
    const w = r.workloads[0]!;
    expect(w).toMatchObject({
      status: 'rolled back',
      colorBefore: 'green',
      colorAfter: 'green',
      imagesAfter: { app: img.v2 },
      imagesTried: { app: img.errors },
    });
    expect(w.timeline.map((e) => e.step)).toEqual(
      expect.arrayContaining(['switch', 'post-metrics', 'switch-back', 'old-ready', 'scale-down']),
    );
    const post = w.checks.find((c) => c.phase === 'post')!;
    expect(post.verdict).toBe('fail');
    expect(post.checks[0]!.measurements.at(-1)!.value).toBeGreaterThan(0.1);
    expect(r.failure).toMatch(/post-switch check failed: metric check 'error-ratio' failed/);
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
    const ann = JSON.parse(await kubectl('-n', ns, 'get', 'svc', 'api', '-o', 'jsonpath={.metadata.annotations}')) as Record<
      string,
      string
    >;
    expect(JSON.parse(ann[ANN.live]!)).toMatchObject({ color: 'green', images: { app: img.v2 } });
  });

  it('refuses the switch when the Service changed meanwhile (409): nothing else changes', async () => {
    await control.setBehaviour({ image: img.v3!, readyDelayMs: 2000 });
    const run = blueGreenDeploy(options({ images: parseImages([`api=${img.v3}`]), health: undefined, gate: undefined }));
    await new Promise((r) => setTimeout(r, 700));
    await kubectl('-n', ns, 'annotate', 'svc', 'api', 'someone=else', '--overwrite');
    const r = await run;
    expect(r.ok).toBe(false);
    expect(r.failure).toContain('the switch of Service');
    expect(r.failure).toContain('409 Conflict');
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'green' });
    expect(await replicas(ns, 'api-blue')).toBe(0);
  });

  it('refuses a second deploy of the same workload while one runs', async () => {
    await control.setBehaviour({ image: img.v3!, readyDelayMs: 1500 });
    const first = blueGreenDeploy(options({ images: parseImages([`api=${img.v3}`]), health: undefined, gate: undefined }));
    await new Promise((r) => setTimeout(r, 500));
    await expect(blueGreenDeploy(options({ images: parseImages([`api=${img.v3}`]) }))).rejects.toThrow(
      /^Service bg-[0-9a-f]+\/api is locked by another blue-green deploy \(test run, since .*\): this run refuses rather than waits/,
    );
    const r = await first;
    expect(r.ok).toBe(true);
    expect(await selector(ns, 'api')).toEqual({ app: 'api', version: 'blue' });
  });

  it('refuses a Service without colour while both colours exist, and a Service selecting pods that are not ours', async () => {
    await kubectl('-n', ns, 'patch', 'svc', 'api', '--type=json', '-p', '[{"op":"remove","path":"/spec/selector/version"}]');
    await expect(blueGreenDeploy(options({ images: parseImages([`api=${img.v2}`]) }))).rejects.toThrow(
      `Service ${ns}/api has no 'version' in its selector while api-blue and api-green both exist, so the live colour is unknown: set it to the colour that serves (kubectl -n ${ns} patch service api -p '{"spec":{"selector":{"version":"blue"}}}') and run again`,
    );
    await kubectl('-n', ns, 'patch', 'svc', 'api', '-p', '{"spec":{"selector":{"version":"blue"}}}');
    // A stray pod with the live labels.
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: stray, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: api, version: blue, stray: "yes"}}
  template:
    metadata: {labels: {app: api, version: blue, stray: "yes"}}
    spec: {containers: [{name: app, image: "${img.v1}"}]}
`);
    await kubectl('-n', ns, 'rollout', 'status', 'deployment/stray', '--timeout=30s');
    await expect(blueGreenDeploy(options({ images: parseImages([`api=${img.v2}`]) }))).rejects.toThrow(
      new RegExp(`^Service ${ns}/api selects pods that are not api-blue's or api-green's \\(stray-`),
    );
    await kubectl('-n', ns, 'delete', 'deployment', 'stray');
  });
});
