/**
 * Service traffic: every Service gets its own loopback HTTP port that answers like the app in
 * the Ready pods its selector picks (round robin). `GET /health` answers the image behaviour's
 * healthStatus (200 by default) with `{ image, version, pod }`; any other path 200 with the same
 * JSON (500 for the behaviour's `errorRatio` share); 503 when no Ready pod is selected. The
 * selector is read from the store at each request, so a selector change takes effect at once
 * for the next request (also on a kept-alive connection). Every answer is counted per pod in the
 * metrics. The port is released when the Service is deleted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from './api.ts';
import { type Behaviours, tagOf } from './behaviours.ts';
import type { PodMetrics } from './metrics.ts';
import type { StoreEvent } from './store.ts';
import type { Pod, Service } from './types.ts';

interface Entry {
  namespace: string;
  name: string;
  uid: string;
  server: Server;
  url?: string;
  next: number;
}

export class ServiceTraffic {
  private readonly api: Api;
  private readonly behaviours: Behaviours;
  private readonly host: string;
  private readonly metrics: PodMetrics | undefined;
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(api: Api, behaviours: Behaviours, host: string, metrics?: PodMetrics) {
    this.api = api;
    this.behaviours = behaviours;
    this.host = host;
    this.metrics = metrics;
  }

  start(): void {
    this.api.store.subscribe((e) => this.onChange(e));
    for (const s of this.api.store.list('services')) this.open(s as Service);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.entries.values()].map((e) => this.close(e)));
    this.entries.clear();
  }

  list(): { namespace: string; name: string; url: string }[] {
    return [...this.entries.values()]
      .filter((e) => e.url)
      .map((e) => ({ namespace: e.namespace, name: e.name, url: e.url! }))
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  /** Resolves when the Service's port listens (for callers that just created it). */
  async urlOf(namespace: string, name: string): Promise<string | undefined> {
    const e = this.entries.get(`${namespace}/${name}`);
    if (!e) return undefined;
    if (!e.url) await new Promise((r) => e.server.once('listening', r));
    return e.url;
  }

  private onChange(e: StoreEvent): void {
    if (this.stopped || e.resource !== 'services') return;
    const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    if (e.type === 'ADDED') this.open(e.object as Service);
    else if (e.type === 'DELETED') {
      const entry = this.entries.get(key);
      if (entry && entry.uid === e.object.metadata.uid) {
        this.entries.delete(key);
        void this.close(entry);
      }
    }
  }

  private open(s: Service): void {
    const namespace = s.metadata.namespace!;
    const name = s.metadata.name!;
    const key = `${namespace}/${name}`;
    if (this.entries.has(key)) return;
    const server = createServer((req, res) => {
      const body = this.answer(entry, new URL(req.url ?? '/', 'http://x').pathname);
      const text = JSON.stringify(body.json);
      res.writeHead(body.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
    const entry: Entry = { namespace, name, uid: s.metadata.uid!, server, next: 0 };
    this.entries.set(key, entry);
    server.listen(0, this.host, () => {
      entry.url = `http://${this.host}:${(server.address() as AddressInfo).port}`;
    });
  }

  private close(e: Entry): Promise<void> {
    return new Promise((resolve) => {
      e.server.close(() => resolve());
      e.server.closeAllConnections();
    });
  }

  private answer(e: Entry, path: string): { status: number; json: unknown } {
    const svc = this.api.store.get('services', e.namespace, e.name) as Service | undefined;
    const selector = svc?.spec?.selector ?? {};
    const sel = Object.entries(selector);
    const pods = sel.length
      ? (this.api.store.list('pods', e.namespace) as Pod[]).filter(
          (p) =>
            !p.metadata.deletionTimestamp &&
            sel.every(([k, v]) => p.metadata.labels?.[k] === v) &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        )
      : [];
    if (!svc || pods.length === 0)
      return { status: 503, json: { error: 'no Ready pod behind this Service', service: `${e.namespace}/${e.name}` } };
    pods.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    const pod = pods[e.next++ % pods.length]!;
    const image = pod.spec.containers[0]?.image ?? '';
    const b = this.behaviours.for(image);
    const json = { image, version: b?.version ?? tagOf(image), pod: pod.metadata.name };
    const status = path === '/health' ? (b?.healthStatus ?? 200) : this.metrics?.nextIsError(pod) ? 500 : 200;
    this.metrics?.recordReal(pod, e.name, status);
    return { status, json };
  }
}
