/**
 * HTTP layer: authentication, discovery, REST routing for every resource and subresource,
 * list/watch with selectors and resourceVersion, Table output, and Status errors.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Api, PatchType, WriteOptions } from './api.ts';
import { ApiError, badRequest, internal, methodNotAllowed, notFound, statusOf, unauthorized, unsupportedMediaType } from './errors.ts';
import { applyJsonPatch, mergePatch, strategicMerge } from './patch.ts';
import { decodeProtobuf } from './protobuf.ts';
import {
  AUTHZ,
  apiGroup,
  apiGroupList,
  authorizationResources,
  findResource,
  groupVersion,
  openApiV3,
  openApiV3Root,
  type ResourceInfo,
  resourceList,
  SERVER_VERSION,
} from './resources.ts';
import { matchFields, matchRequirements, parseFieldSelector, parseLabelSelector, selectorString } from './selectors.ts';
import type { StoreEvent } from './store.ts';
import { toTable } from './table.ts';
import type { Deployment, KObject, ReplicaSet } from './types.ts';
import { isRecord } from './types.ts';

export interface LogOptions {
  container?: string;
  previous: boolean;
  tailLines?: number;
  timestamps: boolean;
}

export interface HandlerContext {
  api: Api;
  authenticate: (token: string) => Promise<string | undefined> | string | undefined;
  logs: (pod: KObject, o: LogOptions) => string;
  followLogs: (pod: KObject, o: LogOptions, write: (text: string) => void, end: () => void) => () => void;
  log?: (line: string) => void;
  /** Open watch responses, ended when the server closes. */
  openWatches: Set<Response>;
  /** The Service proxy (`services/NAME[:PORT]/proxy/PATH`): answers as the Service's pods do; undefined when no such Service. */
  proxyService?: (namespace: string, name: string, method: string, path: string) => Promise<{ status: number; body: string } | undefined>;
}

/**
 * What the handler uses of a request, over HTTP/1.1 (IncomingMessage) or HTTP/2 through Node's
 * compatibility API (Http2ServerRequest).
 */
export interface Request {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders & { ':authority'?: string };
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  destroy(): void;
}

/** What the handler uses of a response: ServerResponse, or HTTP/2's Http2ServerResponse. */
export interface Response {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly statusCode: number;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  flushHeaders(): void;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  on(event: 'close', listener: () => void): unknown;
}

const MAX_BODY = 3 * 1024 * 1024;

function readBody(req: Request): Promise<string> {
  return readRaw(req).then((b) => b.toString('utf8'));
}

/** The body as JSON text; protobuf bodies (kubectl's typed clients) are decoded first. */
async function readJsonBody(req: Request): Promise<unknown> {
  const ct = req.headers['content-type'] ?? 'application/json';
  const raw = await readRaw(req);
  if (/protobuf/.test(ct)) return decodeProtobuf(raw);
  return parseBody(raw.toString('utf8'), ct);
}

function readRaw(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(statusOf(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728')));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: Response, code: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

function sendError(res: Response, e: unknown): void {
  const err = e instanceof ApiError ? e : internal(e instanceof Error ? e.message : String(e));
  if (!res.headersSent) send(res, err.status.code, err.status);
  else res.end();
}

/** The API server's list order: by namespace/name as bytes, the order of etcd's keys. */
function byKey(a: KObject, b: KObject): number {
  const x = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const y = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

function parseBody(text: string, contentType: string): unknown {
  if (/cbor/.test(contentType))
    throw new ApiError(
      statusOf(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      ),
    );
  if (!text.trim()) throw badRequest('the body of the request was empty');
  try {
    if (/yaml/.test(contentType)) return parseYaml(text);
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body of the request was in an unknown format - ${(e as Error).message}`);
  }
}

function patchTypeOf(contentType: string): PatchType {
  const ct = contentType.split(';')[0]!.trim();
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') return 'apply';
  throw unsupportedMediaType(ct);
}

interface Route {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  watch: boolean;
}

/** Parses `/api/v1/...` or `/apis/G/V/...` after the group-version prefix. */
function route(group: string, version: string, segs: string[]): Route | undefined {
  let watch = false;
  if (segs[0] === 'watch') {
    watch = true;
    segs = segs.slice(1);
  }
  let namespace: string | undefined;
  const namespaceSubresource = segs[0] === 'namespaces' && segs.length === 3 && (segs[2] === 'status' || segs[2] === 'finalize');
  if (segs[0] === 'namespaces' && segs.length >= 3 && !namespaceSubresource) {
    namespace = segs[1];
    segs = segs.slice(2);
  }
  const info = findResource(group, version, segs[0] ?? '');
  if (!info) return undefined;
  if (segs.length > 3) return undefined;
  if (namespace !== undefined && !info.namespaced) return undefined;
  const r: Route = { info, namespace, name: segs[1], subresource: segs[2], watch };
  if (r.subresource && !info.subresources.includes(r.subresource)) return undefined;
  return r;
}

function userAgentManager(req: Request): string {
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0] || 'unknown';
}

export function createHandler(ctx: HandlerContext) {
  const { api } = ctx;
  // Like the API server's token cache: a successful authentication holds for 10 s.
  const authenticated = new Map<string, { user: string; until: number }>();
  async function authenticate(token: string): Promise<string | undefined> {
    const hit = authenticated.get(token);
    if (hit && hit.until > Date.now()) return hit.user;
    const user = await ctx.authenticate(token);
    if (user) {
      if (authenticated.size > 1000) authenticated.clear();
      authenticated.set(token, { user, until: Date.now() + 10_000 });
    } else authenticated.delete(token);
    return user;
  }

  function listObjects(r: Route, q: URLSearchParams): KObject[] {
    const labelReqs = parseLabelSelector(q.get('labelSelector') ?? '');
    const fieldReqs = parseFieldSelector(q.get('fieldSelector') ?? '');
    if (r.name) fieldReqs.push({ path: 'metadata.name', op: 'eq', value: r.name });
    return api.store
      .list(r.info.name, r.info.namespaced ? r.namespace : undefined)
      .filter((o) => matchRequirements(labelReqs, o.metadata.labels) && matchFields(fieldReqs, o))
      .sort(byKey);
  }

  function watch(req: Request, res: Response, r: Route, q: URLSearchParams): void {
    const labelReqs = parseLabelSelector(q.get('labelSelector') ?? '');
    const fieldReqs = parseFieldSelector(q.get('fieldSelector') ?? '');
    if (r.name) fieldReqs.push({ path: 'metadata.name', op: 'eq', value: r.name });
    const asTable = wantsTable(req.headers.accept);
    const include = q.get('includeObject') ?? 'Metadata';
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const matches = (o: KObject) => matchRequirements(labelReqs, o.metadata.labels) && matchFields(fieldReqs, o);
    let first = true;
    const write = (type: string, o: unknown) => {
      let object = o;
      if (asTable && type !== 'ERROR' && type !== 'BOOKMARK') {
        object = toTable(r.info.name, [o as KObject], (o as KObject).metadata.resourceVersion ?? '', include, first);
        first = false;
      }
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    // No Content-Length: HTTP/1.1 chunks the body, HTTP/2 sends it in frames as it comes.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const ns = r.info.namespaced ? r.namespace : undefined;
    const watcher = {
      resource: r.info.name,
      namespace: ns,
      send(e: StoreEvent) {
        const now = e.type !== 'DELETED' && matches(e.object);
        const before = e.old ? matches(e.old) : false;
        if (e.type === 'ADDED' && now) write('ADDED', e.object);
        else if (e.type === 'MODIFIED') {
          if (now && before) write('MODIFIED', e.object);
          else if (now) write('ADDED', e.object);
          else if (before) write('DELETED', e.object);
        } else if (e.type === 'DELETED' && before) write('DELETED', e.object);
      },
    };
    const rvParam = q.get('resourceVersion');
    let stop: () => void = () => {};
    try {
      if (!rvParam || rvParam === '0') {
        for (const o of listObjects(r, q)) write('ADDED', o);
        stop = api.store.watch(watcher);
      } else {
        const rv = Number(rvParam);
        if (!Number.isInteger(rv)) throw badRequest(`invalid resource version: ${rvParam}`);
        stop = api.store.watch(watcher, rv);
      }
    } catch (e) {
      if (e instanceof ApiError) write('ERROR', e.status);
      res.end();
      return;
    }
    ctx.openWatches.add(res);
    const bookmark = () =>
      write('BOOKMARK', {
        kind: r.info.kind,
        apiVersion: groupVersion(r.info),
        metadata: { resourceVersion: String(api.store.currentRv()) },
      });
    const timers: NodeJS.Timeout[] = [];
    if (bookmarks) timers.push(setInterval(bookmark, 10_000));
    const timeout = Number(q.get('timeoutSeconds') ?? '1800');
    const end = () => {
      stop();
      for (const t of timers) clearInterval(t);
      ctx.openWatches.delete(res);
      if (!res.writableEnded) res.end();
    };
    timers.push(
      setTimeout(() => {
        if (bookmarks) bookmark();
        end();
      }, Math.max(0, timeout) * 1000),
    );
    req.on('close', end);
    res.on('close', end);
  }

  function writeOptions(req: Request, q: URLSearchParams, subresource?: string): WriteOptions {
    return {
      manager: q.get('fieldManager') ?? userAgentManager(req),
      dryRun: q.getAll('dryRun').includes('All'),
      force: q.get('force') === 'true',
      subresource,
    };
  }

  async function resourceRequest(req: Request, res: Response, r: Route, q: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const { info } = r;
    const ns = r.namespace;
    const isWatch = r.watch || q.get('watch') === 'true' || q.get('watch') === '1';
    if (info.namespaced && ns === undefined && r.name) throw notFound(info.name, info.group, r.name);

    // subresources
    if (r.subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      const pod = api.get('pods', ns, r.name!);
      const tail = q.get('tailLines');
      const o = {
        container: q.get('container') ?? undefined,
        previous: q.get('previous') === 'true',
        tailLines: tail === null ? undefined : Number(tail),
        timestamps: q.get('timestamps') === 'true',
      };
      if (q.get('follow') === 'true') {
        let started = false;
        let stop = () => {};
        const end = () => {
          stop();
          ctx.openWatches.delete(res);
          if (!res.writableEnded) res.end();
        };
        stop = ctx.followLogs(
          pod,
          o,
          (text) => {
            if (!started) {
              started = true;
              res.writeHead(200, { 'Content-Type': 'text/plain' });
            }
            if (text) res.write(text);
          },
          end,
        );
        ctx.openWatches.add(res);
        req.on('close', end);
        return;
      }
      send(res, 200, ctx.logs(pod, o), 'text/plain');
      return;
    }
    if (r.subresource === 'scale') {
      const sel = () => selectorString((api.get(info.name, ns, r.name!) as Deployment).spec.selector);
      if (method === 'GET') return send(res, 200, api.scaleOf(api.get(info.name, ns, r.name!) as Deployment, sel()));
      if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
      const body = await readJsonBody(req);
      const cur = api.get(info.name, ns, r.name!) as Deployment | ReplicaSet;
      const scale = api.scaleOf(cur, sel());
      let next: KObject;
      if (method === 'PUT') next = body as KObject;
      else {
        const t = patchTypeOf(req.headers['content-type'] ?? '');
        next = (
          t === 'json'
            ? applyJsonPatch(scale, body, 'Scale', 'autoscaling')
            : t === 'merge'
              ? mergePatch(scale, body)
              : strategicMerge(scale, body)
        ) as KObject;
      }
      const replicas = (next.spec as { replicas?: unknown } | undefined)?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
        throw new ApiError(
          statusOf(
            422,
            'Invalid',
            `Scale.autoscaling "${r.name}" is invalid: spec.replicas: Invalid value: ${String(replicas)}: must be greater than or equal to 0`,
            {
              name: r.name,
              group: 'autoscaling',
              kind: 'Scale',
              causes: [
                {
                  reason: 'FieldValueInvalid',
                  message: `Invalid value: ${String(replicas)}: must be greater than or equal to 0`,
                  field: 'spec.replicas',
                },
              ],
            },
          ),
        );
      const rv = next.metadata?.resourceVersion;
      const updated = api.patch(
        info.name,
        ns,
        r.name!,
        'merge',
        { metadata: rv ? { resourceVersion: rv } : {}, spec: { replicas } },
        writeOptions(req, q),
      ) as Deployment;
      send(res, 200, api.scaleOf(updated, selectorString(updated.spec.selector)));
      return;
    }

    if (!r.name) {
      if (method === 'GET') {
        if (isWatch) return watch(req, res, r, q);
        const items = listObjects(r, q);
        const rv = String(api.store.currentRv());
        if (wantsTable(req.headers.accept)) return send(res, 200, toTable(info.name, items, rv, q.get('includeObject') ?? 'Metadata'));
        return send(res, 200, { kind: `${info.kind}List`, apiVersion: groupVersion(info), metadata: { resourceVersion: rv }, items });
      }
      if (method === 'POST') {
        const body = await readJsonBody(req);
        const created = api.create(info.name, ns, body, writeOptions(req, q));
        return send(res, 201, created);
      }
      if (method === 'DELETE') {
        const items = listObjects(r, q);
        const deleted = items.map((o) =>
          api.delete(info.name, o.metadata.namespace, o.metadata.name!, { propagationPolicy: q.get('propagationPolicy') ?? undefined }),
        );
        return send(res, 200, {
          kind: `${info.kind}List`,
          apiVersion: groupVersion(info),
          metadata: { resourceVersion: String(api.store.currentRv()) },
          items: deleted,
        });
      }
      throw methodNotAllowed();
    }

    const name = r.name;
    if (r.subresource === 'finalize') {
      if (method !== 'PUT') throw methodNotAllowed();
      return send(res, 200, api.get(info.name, ns, name));
    }
    switch (method) {
      case 'GET': {
        if (isWatch) return watch(req, res, r, q);
        const o = api.get(info.name, ns, name);
        if (wantsTable(req.headers.accept))
          return send(res, 200, toTable(info.name, [o], o.metadata.resourceVersion ?? '', q.get('includeObject') ?? 'Metadata'));
        return send(res, 200, o);
      }
      case 'PUT': {
        const body = await readJsonBody(req);
        return send(res, 200, api.update(info.name, ns, name, body, writeOptions(req, q, r.subresource)));
      }
      case 'PATCH': {
        const type = patchTypeOf(req.headers['content-type'] ?? '');
        const body = parseBody(await readBody(req), type === 'apply' ? 'yaml' : 'json');
        const existed = !!api.tryGet(info.name, info.namespaced ? ns : undefined, name);
        const opts = writeOptions(req, q, r.subresource);
        if (type === 'apply') opts.manager = q.get('fieldManager') ?? undefined;
        const out = api.patch(info.name, ns, name, type, body, opts);
        return send(res, existed ? 200 : 201, out);
      }
      case 'DELETE': {
        const raw = await readRaw(req);
        let opts: Record<string, unknown> = {};
        if (raw.length > 0 && raw.toString('utf8').trim()) {
          const b = /protobuf/.test(req.headers['content-type'] ?? '') ? decodeProtobuf(raw) : parseBody(raw.toString('utf8'), 'json');
          if (isRecord(b)) opts = b;
        }
        const deleted = api.delete(info.name, ns, name, {
          propagationPolicy: (q.get('propagationPolicy') ?? (opts.propagationPolicy as string | undefined)) || undefined,
          dryRun: q.getAll('dryRun').includes('All') || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All')),
          preconditions: isRecord(opts.preconditions) ? (opts.preconditions as { uid?: string; resourceVersion?: string }) : undefined,
        });
        return send(res, 200, deleted);
      }
      default:
        throw methodNotAllowed();
    }
  }

  return async function handle(req: Request, res: Response): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    try {
      if (path === '/version') return send(res, 200, SERVER_VERSION);
      if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, 200, 'ok', 'text/plain');
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      const user = m ? await authenticate(m[1]!.trim()) : undefined;
      if (!user) throw unauthorized();
      const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
      if (path === '/api') {
        const host = req.headers.host ?? req.headers[':authority'] ?? '127.0.0.1';
        return send(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
        });
      }
      if (path === '/apis') return send(res, 200, apiGroupList());
      if (path === '/openapi/v3') return send(res, 200, openApiV3Root());
      if (path === '/openapi/v3/api/v1' || path === '/openapi/v3/apis/apps/v1') {
        const doc = path.endsWith('/api/v1') ? openApiV3('', 'v1') : openApiV3('apps', 'v1');
        return send(res, 200, doc);
      }
      if (segs[0] === 'api' && segs[1] === 'v1') {
        if (segs.length === 2) return send(res, 200, resourceList('', 'v1'));
        // The Service proxy, as `kubectl get --raw /api/v1/namespaces/NS/services/NAME:80/proxy/health` uses it.
        if (segs[2] === 'namespaces' && segs[4] === 'services' && segs[6] === 'proxy' && ctx.proxyService) {
          const ns = segs[3]!;
          const name = segs[5]!.replace(/^https?:/, '').split(':')[0]!;
          const rest = url.pathname.split('/').slice(8).join('/');
          const answer = await ctx.proxyService(ns, name, req.method ?? 'GET', `/${rest}${url.search}`);
          if (!answer) throw notFound('services', '', name);
          return send(res, answer.status, answer.body);
        }
        const r = route('', 'v1', segs.slice(2));
        if (!r) throw new ApiError(statusOf(404, 'NotFound', 'the server could not find the requested resource', {}));
        return await resourceRequest(req, res, r, url.searchParams);
      }
      if (segs[0] === 'apis' && segs[1] === AUTHZ && segs[2] === 'v1') {
        if (segs.length === 3) return send(res, 200, authorizationResources());
        if (segs.length === 4 && segs[3] === 'selfsubjectaccessreviews') {
          if (req.method !== 'POST') throw methodNotAllowed();
          let spec: unknown = {};
          const raw = await readRaw(req);
          if (!/protobuf/.test(req.headers['content-type'] ?? '')) {
            const b = parseBody(raw.toString('utf8'), req.headers['content-type'] ?? 'application/json');
            if (isRecord(b) && isRecord(b.spec)) spec = b.spec;
          }
          return send(res, 201, {
            kind: 'SelfSubjectAccessReview',
            apiVersion: `${AUTHZ}/v1`,
            metadata: { creationTimestamp: null },
            spec,
            status: { allowed: true, reason: 'the sandbox allows every authenticated user everything' },
          });
        }
      }
      if (segs[0] === 'apis' && segs[1]) {
        if (segs.length === 2) {
          const g = apiGroup(segs[1]);
          if (g) return send(res, 200, g);
        } else if (segs.length === 3) {
          const l = resourceList(segs[1], segs[2]!);
          if (l) return send(res, 200, l);
        } else {
          const r = route(segs[1], segs[2]!, segs.slice(3));
          if (r) return await resourceRequest(req, res, r, url.searchParams);
        }
      }
      throw new ApiError(statusOf(404, 'NotFound', 'the server could not find the requested resource', {}));
    } catch (e) {
      sendError(res, e);
    } finally {
      // writes, errors and slow requests; successful reads would drown everything else
      if (req.method !== 'GET' || res.statusCode >= 400 || Date.now() - started > 1000)
        ctx.log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
    }
  };
}
