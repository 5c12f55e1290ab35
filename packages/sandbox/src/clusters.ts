/**
 * Several simulated EKS clusters in one sandbox (`up --cluster tripo04os-staging --cluster
 * tripo04os-production`): each is its own Kubernetes API server with its own store, controllers
 * and kubelet, so a deploy to one cannot touch another. This file holds what spans them: the
 * cluster names, the merged Prometheus text (a `cluster` label on every sample), and the ingress
 * that reaches any cluster's Service at `INGRESS/CLUSTER/NAMESPACE/SERVICE/path`.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** EKS cluster names: 1-100 characters, a letter or digit first, then letters, digits, - and _. */
export const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

/** The cluster names asked for, checked: one clear line for a bad or repeated name. */
export function checkClusterNames(names: readonly string[]): string[] {
  for (const n of names) {
    if (!CLUSTER_NAME.test(n))
      throw new Error(`--cluster ${n}: not an EKS cluster name (letters, digits, - and _, starting with a letter or digit, at most 100)`);
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`--cluster ${n}: given twice`);
    seen.add(n);
  }
  return [...names];
}

/**
 * Merges the Prometheus text of several clusters: every sample gets `cluster="NAME"` (so series
 * stay distinct), and each metric family appears once, its samples from all clusters together
 * (the text format wants one group per family).
 */
export function mergeMetrics(byCluster: readonly { cluster: string; text: string }[]): string {
  const families = new Map<string, { comments: string[]; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { comments: [], samples: [] }));
    return f;
  };
  for (const { cluster, text } of byCluster) {
    let current = '';
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const comment = /^#\s+(HELP|TYPE)\s+(\S+)/.exec(line);
      if (comment) {
        current = comment[2] as string;
        const f = family(current);
        if (!f.comments.some((c) => c.startsWith(`# ${comment[1]} `))) f.comments.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      const label = `cluster=${JSON.stringify(cluster)}`;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
      if (!m) continue;
      const name = m[1] as string;
      const sample = m[2] ? `${name}{${label},${line.slice(name.length + 1)}` : `${name}{${label}}${line.slice(name.length)}`;
      family(current && name.startsWith(current) ? current : name).samples.push(sample.replace(`{${label},}`, `{${label}}`));
    }
  }
  return [...families.values()].map((f) => [...f.comments, ...f.samples].join('\n')).join('\n') + (families.size ? '\n' : '');
}

export interface Ingress {
  url: string;
  close(): Promise<void>;
}

/**
 * One HTTP port in front of every cluster's Services: `/CLUSTER/NAMESPACE/SERVICE/rest` goes to
 * that Service's loopback port as `/rest` (what an ingress or load balancer per environment is
 * on EKS). 404 names what is missing.
 */
export async function startIngress(o: {
  services: (cluster: string) => { namespace: string; name: string; url: string }[] | undefined;
  host?: string;
}): Promise<Ingress> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://ingress');
    const [cluster = '', namespace = '', service = '', ...rest] = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const fail = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`${message}\n`);
    };
    const services = o.services(cluster);
    if (!services) return fail(404, `no cluster ${cluster} (the path is /CLUSTER/NAMESPACE/SERVICE/...)`);
    const target = services.find((s) => s.namespace === namespace && s.name === service);
    if (!target) return fail(404, `no Service ${namespace}/${service} in cluster ${cluster}`);
    const to = new URL(`/${rest.map(encodeURIComponent).join('/')}${url.search}`, target.url);
    const upstream = request(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (e) => (res.headersSent ? res.destroy() : fail(502, `${namespace}/${service} in ${cluster}: ${e.message}`)));
    req.pipe(upstream);
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
