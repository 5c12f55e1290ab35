/**
 * Application metrics of the simulated pods, in the Prometheus text format (served on the control
 * endpoint's `/metrics`, scraped by the sandbox's Prometheus):
 *   http_requests_total{namespace, service, deployment, pod, version, code, label_<pod label>…}
 *   http_request_duration_seconds_{bucket,sum,count}{same labels but code}
 * Every Ready pod serves synthetic traffic at its image behaviour's `requestRate` (default 5/s)
 * through each Service that selects it (service="" when none does), answering 500 for an
 * `errorRatio` share of requests, each taking `latencyMs` (default 20). Real requests through a
 * Service port are counted the same way (and per pod, for `GET /requests`). Errors are spread
 * deterministically (an accumulator, not a random draw), so a ratio of 0.5 is exactly every other
 * request. Series of pods that are gone are dropped (Prometheus marks them stale).
 */
import type { Api } from './api.ts';
import type { Behaviours } from './behaviours.ts';
import type { Pod, Service } from './types.ts';

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DEFAULT_RATE = 5;
const DEFAULT_LATENCY_MS = 20;

interface Counter {
  labels: Record<string, string>;
  value: number;
  pod: string;
}
interface Histogram {
  labels: Record<string, string>;
  buckets: number[];
  sum: number;
  count: number;
  pod: string;
}

export interface PodRequests {
  namespace: string;
  pod: string;
  service: string;
  requests: number;
}

const podKey = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;

function isReady(p: Pod): boolean {
  return !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The Deployment owning a pod: its ReplicaSet's name without the pod-template-hash suffix. */
function deploymentOf(p: Pod): string {
  const rs = p.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const hash = p.metadata.labels?.['pod-template-hash'];
  if (!rs) return '';
  return hash && rs.endsWith(`-${hash}`) ? rs.slice(0, -hash.length - 1) : rs;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeValue(v)}"`)
    .join(',')}}`;
}

export class PodMetrics {
  private readonly api: Api;
  private readonly behaviours: Behaviours;
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  /** Fractional synthetic requests and errors carried to the next tick, per pod and Service. */
  private readonly carry = new Map<string, { requests: number; errors: number }>();
  /** Error accumulators for real requests, per pod. */
  private readonly realErrors = new Map<string, number>();
  private readonly real = new Map<string, PodRequests>();
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(api: Api, behaviours: Behaviours) {
    this.api = api;
    this.behaviours = behaviours;
  }

  start(tickMs = 200): void {
    this.last = Date.now();
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The Services whose selector picks the pod. */
  private servicesOf(p: Pod, services: Service[]): string[] {
    return services
      .filter((s) => {
        const sel = Object.entries(s.spec?.selector ?? {});
        return s.metadata.namespace === p.metadata.namespace && sel.length > 0 && sel.every(([k, v]) => p.metadata.labels?.[k] === v);
      })
      .map((s) => s.metadata.name!);
  }

  /** Whether the next real application request to this pod fails (its behaviour's errorRatio). */
  nextIsError(p: Pod): boolean {
    const ratio = this.behaviours.for(p.spec.containers[0]?.image ?? '')?.errorRatio ?? 0;
    const acc = (this.realErrors.get(podKey(p)) ?? 0) + ratio;
    const fail = acc >= 1 - 1e-9;
    this.realErrors.set(podKey(p), fail ? acc - 1 : acc);
    return fail;
  }

  /** Counts one real request a pod answered through a Service. */
  recordReal(p: Pod, service: string, code: number): void {
    const k = `${podKey(p)}|${service}`;
    const r = this.real.get(k) ?? { namespace: p.metadata.namespace!, pod: p.metadata.name!, service, requests: 0 };
    r.requests++;
    this.real.set(k, r);
    this.observe(p, service, code, 1, this.latencyOf(p));
  }

  /** Real requests per pod and Service since the sandbox started. */
  requests(): PodRequests[] {
    return [...this.real.values()]
      .map((r) => ({ ...r }))
      .sort((a, b) => `${a.namespace}/${a.pod}`.localeCompare(`${b.namespace}/${b.pod}`));
  }

  private latencyOf(p: Pod): number {
    return (this.behaviours.for(p.spec.containers[0]?.image ?? '')?.latencyMs ?? DEFAULT_LATENCY_MS) / 1000;
  }

  private baseLabels(p: Pod, service: string): Record<string, string> {
    const labels: Record<string, string> = {
      namespace: p.metadata.namespace ?? '',
      service,
      deployment: deploymentOf(p),
      pod: p.metadata.name ?? '',
      version: p.metadata.labels?.version ?? '',
    };
    for (const [k, v] of Object.entries(p.metadata.labels ?? {})) labels[`label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`] = v;
    return labels;
  }

  private observe(p: Pod, service: string, code: number, n: number, latency: number): void {
    if (n <= 0) return;
    const base = this.baseLabels(p, service);
    const labels = { ...base, code: String(code) };
    const ck = JSON.stringify(labels);
    const c = this.counters.get(ck) ?? { labels, value: 0, pod: podKey(p) };
    c.value += n;
    this.counters.set(ck, c);
    const hk = JSON.stringify(base);
    const h = this.histograms.get(hk) ?? { labels: base, buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0, pod: podKey(p) };
    LATENCY_BUCKETS.forEach((le, i) => {
      if (latency <= le) h.buckets[i]! += n;
    });
    h.sum += latency * n;
    h.count += n;
    this.histograms.set(hk, h);
  }

  /** Advances the synthetic traffic by the time since the last tick. */
  tick(now = Date.now()): void {
    const dt = Math.max(0, (now - this.last) / 1000);
    this.last = now;
    const pods = this.api.store.list('pods') as Pod[];
    const services = this.api.store.list('services') as Service[];
    const alive = new Set<string>();
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      alive.add(podKey(p));
      if (!isReady(p)) continue;
      const b = this.behaviours.for(p.spec.containers[0]?.image ?? '');
      const rate = b?.requestRate ?? DEFAULT_RATE;
      const ratio = Math.min(1, Math.max(0, b?.errorRatio ?? 0));
      const latency = this.latencyOf(p);
      const via = this.servicesOf(p, services);
      for (const service of via.length ? via : ['']) {
        const k = `${podKey(p)}|${service}`;
        const acc = this.carry.get(k) ?? { requests: 0, errors: 0 };
        acc.requests += rate * dt;
        const n = Math.floor(acc.requests);
        acc.requests -= n;
        acc.errors += n * ratio;
        const errors = Math.min(n, Math.floor(acc.errors + 1e-9));
        acc.errors -= errors;
        this.carry.set(k, acc);
        this.observe(p, service, 200, n - errors, latency);
        this.observe(p, service, 500, errors, latency);
      }
    }
    for (const [k, c] of this.counters) if (!alive.has(c.pod)) this.counters.delete(k);
    for (const [k, h] of this.histograms) if (!alive.has(h.pod)) this.histograms.delete(k);
    for (const k of this.carry.keys()) if (!alive.has(k.split('|')[0]!)) this.carry.delete(k);
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = ['# HELP http_requests_total Requests served by the simulated pods.', '# TYPE http_requests_total counter'];
    for (const c of this.counters.values()) out.push(`http_requests_total${labelText(c.labels)} ${c.value}`);
    out.push(
      '# HELP http_request_duration_seconds Latency of the requests served by the simulated pods.',
      '# TYPE http_request_duration_seconds histogram',
    );
    for (const h of this.histograms.values()) {
      LATENCY_BUCKETS.forEach((le, i) => {
        out.push(`http_request_duration_seconds_bucket${labelText({ ...h.labels, le: String(le) })} ${h.buckets[i]}`);
      });
      out.push(`http_request_duration_seconds_bucket${labelText({ ...h.labels, le: '+Inf' })} ${h.count}`);
      out.push(`http_request_duration_seconds_sum${labelText(h.labels)} ${h.sum}`);
      out.push(`http_request_duration_seconds_count${labelText(h.labels)} ${h.count}`);
    }
    return `${out.join('\n')}\n`;
  }
}
