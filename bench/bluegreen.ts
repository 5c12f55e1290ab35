/**
 * Blue-green (packages/kube blueGreenDeploy) against its own sandbox and real Prometheus:
 *  1. time from the step start to the switch when the new colour's pods turn ready after T
 *     (health check through the preview Service included); target: at most T + 1 s;
 *  2. when the new colour's error ratio fails a post-switch metric check (interval 1 s): time from
 *     the switch, and from the failing measurement, to the old colour answering requests through
 *     the Service again (seen by a client polling the Service every 10 ms); target: at most
 *     1 s + one check interval from the switch.
 * Run: node_modules/.bin/node bench/bluegreen.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tripo04os/common';
import { blueGreenDeploy, KubeClient, parseImages } from '@tripo04os/kube';
import { PrometheusClient, parseMetricChecks } from '@tripo04os/metrics';
import { readSandboxEnv, SandboxControl, startSandbox, stopSandbox } from '@tripo04os/sandbox';
import { kubectlFor } from './lib/kubectl.ts';
import { median } from './lib/stats.ts';

const T = 2000;
const RUNS = 3;
const list = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');

const dir = await mkdtemp(join(tmpdir(), 'bench-bluegreen-'));
await startSandbox({ dir, ownerPid: process.pid });
try {
  const env = await readSandboxEnv(dir);
  const control = new SandboxControl(env.SANDBOX_CONTROL_URL);
  const kubectl = kubectlFor(env.KUBECONFIG);
  const ns = `bench-bg-${randomBytes(3).toString('hex')}`;
  const base = (await control.pushImage('bench-bg', 'base')).image;
  await control.setBehaviour({ image: base, readyDelayMs: 100, requestRate: 20 });
  kubectl(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: app, image: "${base}"}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: ${ns}}
spec: {selector: {app: api}, ports: [{port: 80}]}
`,
  );
  kubectl(['-n', ns, 'rollout', 'status', 'deployment/api', '--timeout=60s']);
  const client = await KubeClient.connect({ kind: 'kubeconfig', file: env.KUBECONFIG }, silentLogger);
  const prometheus = new PrometheusClient({ url: env.SANDBOX_PROMETHEUS_URL });
  const common = {
    client,
    logger: silentLogger,
    namespace: ns,
    objects: [],
    colorLabel: 'version',
    previewService: (n: string) => `${n}-preview`,
    timeoutMs: 60_000,
    failureGraceMs: 5000,
    health: { path: '/health', expect: [200, 399] as [number, number], retries: 5, intervalMs: 500 },
    analysisDurationMs: 0,
    scaleDownDelayMs: 0,
    rollbackScope: 'all' as const,
    owner: 'bench',
  };
  // First run: makes blue from Deployment api (not measured).
  const first = await blueGreenDeploy({ ...common, images: parseImages([`api=${base}`]) });
  if (!first.ok) throw new Error(`setup deploy failed: ${first.failure}`);

  // 1. Step start → switch, new pods ready after T.
  const toSwitch: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const img = (await control.pushImage('bench-bg', `ready-${i}`)).image;
    await control.setBehaviour({ image: img, readyDelayMs: T, requestRate: 20 });
    const started = Date.now();
    let switchedAt = 0;
    const r = await blueGreenDeploy({ ...common, images: parseImages([`api=${img}`]), onSwitch: (_n, at) => (switchedAt = at) });
    if (!r.ok) throw new Error(`deploy failed: ${r.failure}`);
    toSwitch.push(switchedAt - started);
  }
  console.log(
    `step start → switch, new pods ready after T = ${T / 1000} s (pre-switch health check through the preview Service): median ${(median(toSwitch) / 1000).toFixed(2)} s (${list(toSwitch)}); overhead over T ${((median(toSwitch) - T) / 1000).toFixed(2)} s (target ≤ 1 s)`,
  );

  // 2. Failed post-switch check → the old colour serves again.
  const url = (await control.services()).find((s) => s.namespace === ns && s.name === 'api')!.url;
  const checks = parseMetricChecks(`
- name: error-ratio
  query: (sum(http_requests_total{namespace="{{namespace}}",deployment="{{deployment}}",code="500"}) or vector(0)) / sum(http_requests_total{namespace="{{namespace}}",deployment="{{deployment}}"})
  phase: post
  max: 0.1
  interval: 1s
`);
  const fromSwitch: number[] = [];
  const fromFailure: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const img = (await control.pushImage('bench-bg', `errors-${i}`)).image;
    await control.setBehaviour({ image: img, readyDelayMs: 100, requestRate: 20, errorRatio: 0.5 });
    let polling = true;
    const seen: { at: number; image: string }[] = [];
    const poller = (async () => {
      while (polling) {
        try {
          const res = await fetch(`${url}/`);
          seen.push({ at: Date.now(), image: ((await res.json()) as { image: string }).image });
        } catch {}
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const started = Date.now();
    let switchedAt = 0;
    const r = await blueGreenDeploy({
      ...common,
      images: parseImages([`api=${img}`]),
      gate: { client: prometheus, checks },
      analysisDurationMs: 10_000,
      onSwitch: (_n, at) => (switchedAt = at),
    });
    polling = false;
    await poller;
    if (r.ok) throw new Error('the erroring release passed its checks');
    const failedAt = started + (r.workloads[0]!.timeline.find((e) => e.step === 'post-metrics')?.t ?? 0) * 1000;
    const firstNew = seen.findIndex((s) => s.image === img);
    const back = seen.slice(firstNew).find((s) => s.image !== img);
    if (firstNew < 0 || !back) throw new Error('the poller did not see the switch and the switch back');
    fromSwitch.push(back.at - switchedAt);
    fromFailure.push(back.at - failedAt);
  }
  console.log(
    `switch → old colour serving again after a failed post check (interval 1 s): median ${(median(fromSwitch) / 1000).toFixed(2)} s (${list(fromSwitch)}) (target ≤ 1 s + 1 interval = 2 s)`,
  );
  console.log(`failed measurement → old colour serving again: median ${(median(fromFailure) / 1000).toFixed(3)} s (${list(fromFailure)})`);
} finally {
  await stopSandbox(dir);
  await rm(dir, { recursive: true, force: true });
}
