import { randomBytes } from 'node:crypto';
import { exec, retry } from '@tripo04os/common';
import { sandboxControl, sandboxEnv } from '../src/testing.ts';

const env = sandboxEnv();
const control = sandboxControl();
const kubectl = async (args: string[], input?: string) => {
  const r = await exec('kubectl', ['--kubeconfig', env.KUBECONFIG, ...args], input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

function stack(ns: string, color: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web-${color}, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web, version: ${color}}}
  template:
    metadata: {labels: {app: web, version: ${color}}}
    spec: {containers: [{name: web, image: "${image}"}]}
`;
}

async function promQuery(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${env.SANDBOX_PROMETHEUS_URL}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(JSON.stringify(body));
  return body.data.result;
}

describe('blue-green traffic and metrics', () => {
  const ns = `metrics-${randomBytes(3).toString('hex')}`;
  let blue: string;
  let green: string;
  let url: string;

  beforeAll(async () => {
    blue = (await control.pushImage(`metrics-${ns}`, 'v1')).image;
    green = (await control.pushImage(`metrics-${ns}`, 'v2')).image;
    await control.setBehaviour({ image: blue, readyDelayMs: 50, requestRate: 20 });
    await control.setBehaviour({ image: green, readyDelayMs: 50, errorRatio: 0.5, requestRate: 20, latencyMs: 300 });
    await kubectl(
      ['apply', '--validate=false', '-f', '-'],
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n---\n${stack(ns, 'blue', blue)}---\n${stack(ns, 'green', green)}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec: {selector: {app: web, version: blue}, ports: [{port: 80}]}
`,
    );
    for (const c of ['blue', 'green']) await kubectl(['rollout', 'status', '-n', ns, `deployment/web-${c}`, '--timeout=30s']);
    const { value } = await retry(
      async () => {
        const found = (await control.services()).find((s) => s.namespace === ns && s.name === 'web');
        if (!found) throw new Error('no URL yet');
        return found.url;
      },
      { attempts: 8, baseDelayMs: 50 },
    );
    url = value;
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('switches traffic at the next request after a selector patch, counts requests per pod, fails errorRatio of them', async () => {
    const before = await Promise.all(
      [1, 2, 3, 4].map(() =>
        fetch(`${url}/`).then(async (r) => ({ status: r.status, ...((await r.json()) as { image: string; pod: string }) })),
      ),
    );
    expect(before.every((b) => b.image === blue && b.status === 200)).toBe(true);
    // Both blue pods answer (round robin).
    expect(new Set(before.map((b) => b.pod)).size).toBe(2);
    await kubectl(['-n', ns, 'patch', 'service', 'web', '-p', '{"spec":{"selector":{"version":"green"}}}']);
    const after: { status: number; image: string; pod: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${url}/`);
      after.push({ status: r.status, ...((await r.json()) as { image: string; pod: string }) });
    }
    expect(after.map((a) => a.image)).toEqual([green, green, green, green]);
    // errorRatio 0.5: every other request of a pod; two pods take turns, so each answers 200 then 500.
    expect(after.map((a) => a.status).sort()).toEqual([200, 200, 500, 500]);
    const counts = (await control.requests()).filter((r) => r.namespace === ns);
    const byPod = Object.fromEntries(counts.map((c) => [c.pod, c.requests]));
    for (const b of before) expect(byPod[b.pod]).toBe(2);
    for (const a of after) expect(byPod[a.pod]).toBe(2);
  });

  it('answers through the API server Service proxy, as the real kubectl uses it', async () => {
    const body = JSON.parse(await kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/services/web:80/proxy/health`])) as { image: string };
    expect([blue, green]).toContain(body.image);
    const missing = await exec('kubectl', [
      '--kubeconfig',
      env.KUBECONFIG,
      'get',
      '--raw',
      `/api/v1/namespaces/${ns}/services/nope/proxy/`,
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NotFound');
  });

  it('exposes http_requests_total and a latency histogram per pod and Service on /metrics', async () => {
    const text = await control.metrics();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('http_requests_total{') &&
          l.includes(`namespace="${ns}"`) &&
          l.includes('service="web"') &&
          l.includes('version="green"') &&
          l.includes('code="500"'),
      );
    // Green served as service="" while no Service selected it, and through web since the switch.
    expect(text).toContain(`namespace="${ns}",service="",deployment="web-green"`);
    expect(line).toMatch(/service="web",deployment="web-green",pod="web-green-[a-z0-9]+-[a-z0-9]+",version="green"/);
    expect(text).toMatch(
      new RegExp(`http_request_duration_seconds_bucket\\{namespace="${ns}",service="web",deployment="web-green".*le="0.5"\\} \\d+`),
    );
  });

  it('is scraped by the real Prometheus every second: the error ratio and latency of green come out of PromQL', async () => {
    expect(env.SANDBOX_PROMETHEUS_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const sel = `namespace="${ns}",version="green"`;
    // Right after the selector switch green's service="web" series has a single sample in the window
    // and its service="" series no longer grows, so the ratio is 0/0 (NaN) until a second scrape;
    // with two or three samples the window holds a handful of requests, so the ratio moves in
    // steps of a request (2 of 6 is 0.33) until more are scraped. Each value is read until it is
    // finite and in range, for at most 15 s; the last one read is the one reported.
    const settles = (query: string, inRange: (v: number) => boolean) =>
      retry(
        async () => {
          const r = await promQuery(query);
          if (r.length !== 1) throw new Error('no samples yet');
          const v = Number(r[0]!.value[1]);
          if (!Number.isFinite(v)) throw new Error(`${query} is ${r[0]!.value[1]} (fewer than two samples of a growing series)`);
          if (!inRange(v)) throw new Error(`${query} is ${v}`);
          return v;
        },
        { attempts: 30, baseDelayMs: 500, maxDelayMs: 500 },
      ).then((r) => r.value);
    const ratio = await settles(
      `sum(rate(http_requests_total{${sel},code="500"}[3s])) / sum(rate(http_requests_total{${sel}}[3s]))`,
      (v) => v > 0.4 && v < 0.6,
    );
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(0.6);
    // 300 ms falls in the (0.25, 0.5] bucket.
    const p50 = await settles(
      `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[3s])))`,
      (v) => v > 0.25 && v <= 0.5,
    );
    expect(p50).toBeGreaterThan(0.25);
    expect(p50).toBeLessThanOrEqual(0.5);
    const blueErrors = await promQuery(`sum(http_requests_total{namespace="${ns}",version="blue",code="500"})`);
    expect(blueErrors).toEqual([]);
  });
});
