/**
 * The sandbox Kubernetes API server: HTTPS on loopback (HTTP/2 as kube-apiserver, or HTTP/1.1,
 * as the client asks), in-memory, with a deployment and replica set controller, a simulated
 * kubelet and a loopback HTTP port per Service. See README.md in this folder.
 */

import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createSecureServer } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { Api } from './api.ts';
import { Behaviours, type ImageBehaviour } from './behaviours.ts';
import { Controllers } from './controller.ts';
import { Kubelet } from './kubelet.ts';
import { PodMetrics, type PodRequests } from './metrics.ts';
import { createHandler, type Request, type Response } from './server.ts';
import { Store } from './store.ts';
import { ServiceTraffic } from './traffic.ts';

export type { ImageBehaviour } from './behaviours.ts';
export type { PodRequests } from './metrics.ts';
export type { KObject } from './types.ts';

export interface KubeServerOptions {
  host?: string;
  port?: number;
  tls: { cert: string; key: string };
  /** Maps a bearer token to a user name; undefined means 401. May be async. */
  authenticate: (token: string) => Promise<string | undefined> | string | undefined;
  /** Whether an image reference can be pulled; false gives ErrImagePull then ImagePullBackOff. */
  imageExists: (image: string) => Promise<boolean>;
  /** How long a started container takes to become Ready, unless its image behaviour says otherwise. Default 300. */
  defaultReadyDelayMs?: number;
  /** How many changes the store keeps for watches resuming from a resourceVersion (older ones get 410 Gone). Default 10000. */
  watchHistory?: number;
  log?: (line: string) => void;
}

export interface KubeServer {
  url: string;
  behaviours: { set(b: ImageBehaviour): void; list(): ImageBehaviour[]; reset(): void };
  services(): { namespace: string; name: string; url: string }[];
  /** The pods' application metrics, Prometheus text format. */
  metrics(): string;
  /** Real requests answered per pod and Service. */
  requests(): PodRequests[];
  close(): Promise<void>;
}

export async function startKubeServer(options: KubeServerOptions): Promise<KubeServer> {
  const store = new Store(options.watchHistory ?? 10_000);
  const api = new Api(store);
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    api.create('namespaces', undefined, { metadata: { name: ns } });
  const behaviours = new Behaviours();
  const kubelet = new Kubelet(api, behaviours, {
    imageExists: options.imageExists,
    defaultReadyDelayMs: options.defaultReadyDelayMs ?? 300,
  });
  const controllers = new Controllers(api);
  const host = options.host ?? '127.0.0.1';
  const metrics = new PodMetrics(api, behaviours);
  const traffic = new ServiceTraffic(api, behaviours, host, metrics);
  const openWatches = new Set<Response>();
  const handler = createHandler({
    api,
    authenticate: options.authenticate,
    logs: (pod, o) => kubelet.logs(pod, o),
    followLogs: (pod, o, write, end) => kubelet.follow(pod, o, write, end),
    log: options.log,
    openWatches,
    proxyService: async (namespace, name, method, path) => {
      const url = await traffic.urlOf(namespace, name);
      if (!url) return undefined;
      const res = await fetch(`${url}${path}`, { method });
      return { status: res.status, body: await res.text() };
    },
  });
  // HTTP/2 for the clients that offer it (kubectl, the actions' EKS client), HTTP/1.1 for the
  // others, both through the compatibility API, whose request and response have what the
  // handler uses (Http2ServerResponse has flushHeaders, but its types do not say so).
  const server = createSecureServer(
    { cert: options.tls.cert, key: options.tls.key, allowHTTP1: true },
    (req: Http2ServerRequest, res: Http2ServerResponse) => {
      void handler(req as Request, res as unknown as Response);
    },
  );
  (server as typeof server & { keepAliveTimeout: number }).keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  kubelet.start();
  controllers.start();
  traffic.start();
  metrics.start();
  let closed: Promise<void> | undefined;
  return {
    url: `https://${host}:${port}`,
    behaviours: {
      set: (b) => behaviours.set(b),
      list: () => behaviours.list(),
      reset: () => behaviours.reset(),
    },
    services: () => traffic.list(),
    metrics: () => metrics.render(),
    requests: () => metrics.requests(),
    close() {
      closed ??= (async () => {
        metrics.stop();
        controllers.stop();
        kubelet.stop();
        for (const w of openWatches) w.end();
        openWatches.clear();
        store.closeWatchers();
        await traffic.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
      })();
      return closed;
    },
  };
}
