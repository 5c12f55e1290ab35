/**
 * A small JSON client for the Kubernetes API over Node's own `node:https` and `node:http2`:
 * requests carry plain wire JSON (no typed-model round trip, so a pod template copied for a
 * rollback is sent back exactly as the server gave it), and watches are read as the API server
 * streams them, one JSON event per line.
 *
 * Loading (issue 15): client-node's index, and its KubeConfig alike, evaluate the whole
 * generated API (a 3.5 MB chunk in the bundle), and its Watch and RequestContext bring undici
 * (750 KB), none of which a client from a token source (EKS) needs: it sets the bearer token
 * and the cluster CA on one keep-alive agent itself. Only a kubeconfig loads client-node, whose
 * KubeConfig still does the TLS and the authentication of kubeconfig users (client
 * certificates, exec plugins, proxies) through `applyToHTTPSOptions`. Every request of a client
 * shares one agent, so connections are kept alive; a token source's client carries them all on
 * one HTTP/2 connection when the server speaks HTTP/2 (http2.ts).
 */
import type { Agent as HttpAgent, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Agent as PlainAgent, request as plainRequest, STATUS_CODES } from 'node:http';
import { Agent as TlsAgent, request as tlsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createSecureContext } from 'node:tls';
import { errorMessage, type Logger, parseRetryAfter, retry, UserError } from '@tripo04os/common';
import { Http2Origin } from './http2.ts';

type ClientNode = typeof import('@kubernetes/client-node');

let clientNode: Promise<ClientNode> | undefined;
/** Loads @kubernetes/client-node once (its index: KubeConfig and the whole generated API). */
export function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

/** How each request reaches the API server: its URL, and the agent and headers of one request. */
export interface KubeAuth {
  server: string;
  /** The agent (TLS, keep-alive, proxy) and headers (a token, refreshed as needed) of one request. */
  options(): Promise<{ agent: HttpAgent; headers: OutgoingHttpHeaders; auth?: string }>;
  /** One HTTP/2 connection for every request, when the server speaks HTTP/2 (the agent's otherwise). */
  h2?: Http2Origin;
}

/** An HTTP answer read whole. */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** The head of an answer and its body, over HTTP/1.1 or HTTP/2 alike. */
interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** How one request is watched over: at most `timeoutMs` without a byte, then `onTimeout`. */
interface Handlers {
  timeoutMs: number;
  onTimeout: () => void;
  onResponse: (reply: Reply) => void;
  onError: (err: Error) => void;
}

/**
 * Sends one request with the headers and credentials `auth` gives it, over the client's HTTP/2
 * connection when there is one, and returns how to give it up (with an error, `onError` is
 * told). A body carries its Content-Length: Node frames a body of DELETE (and GET) only with one.
 */
async function start(
  auth: KubeAuth,
  method: string,
  url: URL,
  headers: OutgoingHttpHeaders,
  body: string | undefined,
  h: Handlers,
): Promise<(err?: Error) => void> {
  const o = await auth.options();
  const all = { ...o.headers, ...headers, ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}) };
  const stream = await auth.h2?.request({ ...all, ':method': method, ':path': url.pathname + url.search }, body !== undefined, h.timeoutMs);
  if (stream) {
    stream.setTimeout(h.timeoutMs, h.onTimeout);
    stream.on('error', h.onError);
    stream.on('response', (head) => h.onResponse({ status: Number(head[':status']), headers: head, body: stream }));
    if (body !== undefined) stream.end(body);
    return (err) => stream.destroy(err);
  }
  const req = (url.protocol === 'http:' ? plainRequest : tlsRequest)(
    url,
    { method, agent: o.agent, headers: all, ...(o.auth ? { auth: o.auth } : {}) },
    (res) => h.onResponse({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
  );
  req.setTimeout(h.timeoutMs, h.onTimeout);
  req.on('error', h.onError);
  req.end(body);
  return (err) => req.destroy(err);
}

/** One request, its answer read whole (`timeoutMs`: at most that long without a byte). */
async function send(
  auth: KubeAuth,
  method: string,
  url: URL,
  headers: OutgoingHttpHeaders,
  body?: string,
  timeoutMs = 60_000,
): Promise<Answer> {
  const answer = Promise.withResolvers<Answer>();
  const cancel = await start(auth, method, url, headers, body, {
    timeoutMs,
    onTimeout: () => cancel(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    onResponse: (res) => {
      let text = '';
      res.body.setEncoding('utf8');
      res.body.on('data', (c: string) => (text += c));
      res.body.on('end', () => answer.resolve({ status: res.status, headers: res.headers, text }));
      res.body.on('error', answer.reject);
    },
    onError: answer.reject,
  });
  return answer.promise;
}

/**
 * A keep-alive agent with the TLS options of the one client-node made (it makes them without
 * keep-alive: a TLS handshake per request); a proxy agent is kept as it is.
 */
function keepAlive(agent: unknown): HttpAgent {
  if (agent instanceof TlsAgent && agent.constructor === TlsAgent) return new TlsAgent({ ...agent.options, keepAlive: true });
  if (agent instanceof PlainAgent && agent.constructor === PlainAgent)
    return new PlainAgent({ ...(agent as PlainAgent & { options: object }).options, keepAlive: true });
  if (agent instanceof PlainAgent) return agent;
  return new TlsAgent({ keepAlive: true });
}

export type KubeAccess =
  | { kind: 'kubeconfig'; content?: string; file?: string; context?: string }
  | {
      kind: 'token';
      /** API server URL. */
      server: string;
      /** PEM of the cluster CA, base64 (as in kubeconfig's certificate-authority-data). */
      caData: string;
      /** Returns a valid bearer token (refreshing it as needed). */
      token: () => Promise<string>;
      /** Who the token speaks for, for access errors (e.g. the IAM ARN). */
      identity?: () => Promise<string | undefined>;
      /** What to check when access is denied (403: permissions). */
      accessHint?: string;
      /** What to check when the credentials are rejected (401). */
      credentialsHint?: string;
      label?: string;
    };

/** An error answer of the API server. */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, message: string, reason?: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** Access denied or credentials rejected: one line naming the identity and what to check. */
export class KubeAccessError extends UserError {
  override name = 'KubeAccessError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Answer text instead of JSON (pod logs). */
  text?: boolean;
  /** Statuses returned as undefined instead of thrown (e.g. 404). */
  allow?: number[];
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export class KubeClient {
  readonly server: string;
  readonly auth: KubeAuth;
  private readonly identityFn: () => Promise<string>;
  private readonly accessHint: string;
  private readonly credentialsHint: string;
  /** Requests sent (watches included), for logs and benchmarks. */
  requests = 0;

  private constructor(auth: KubeAuth, identity: () => Promise<string>, hints: { access: string; credentials: string }) {
    this.auth = auth;
    this.server = auth.server.replace(/\/$/, '');
    this.identityFn = identity;
    this.accessHint = hints.access;
    this.credentialsHint = hints.credentials;
  }

  /** Builds a client from a kubeconfig (content or file, optional context) or a token source. */
  static async connect(access: KubeAccess, logger: Logger): Promise<KubeClient> {
    const masked = new Set<string>();
    /** Masks the token a request carries (a kubeconfig's exec plugin makes new ones). */
    const maskToken = (headers: OutgoingHttpHeaders) => {
      const token = /^Bearer (.+)$/.exec(String(headers.Authorization ?? headers.authorization ?? ''))?.[1];
      if (token && !masked.has(token)) {
        masked.add(token);
        logger.mask(token);
      }
    };
    if (access.kind === 'kubeconfig') {
      const client = await loadClientNode();
      const kc = new client.KubeConfig();
      try {
        if (access.content !== undefined) kc.loadFromString(access.content);
        else if (access.file) kc.loadFromFile(access.file);
        else kc.loadFromDefault();
      } catch (err) {
        throw new UserError(`Cannot read the kubeconfig${access.file ? ` ${access.file}` : ''}: ${firstLine(errorMessage(err))}`);
      }
      for (const u of kc.getUsers()) {
        for (const s of [u.token, u.password, u.keyData, u.certData]) if (s) logger.mask(s);
      }
      for (const c of kc.getClusters()) if (c.caData) logger.mask(c.caData);
      if (access.context) {
        if (!kc.getContextObject(access.context)) {
          const names = kc.getContexts().map((c) => c.name);
          throw new UserError(
            `Input 'context' has the value '${access.context}': expected one of the kubeconfig's contexts (${names.join(', ') || 'none'})`,
          );
        }
        kc.setCurrentContext(access.context);
      }
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new UserError('The kubeconfig has no current context with a cluster: set the input context');
      const ctx = kc.getContextObject(kc.getCurrentContext());
      const user = kc.getCurrentUser();
      const identity = async () => `user '${user?.name ?? '?'}' of kubeconfig context '${ctx?.name ?? '?'}'`;
      // One keep-alive agent for every request, with the TLS options (and proxy) KubeConfig sets.
      let agent: HttpAgent | undefined;
      const auth: KubeAuth = {
        server: cluster.server,
        options: async () => {
          const o: import('node:https').RequestOptions = {};
          try {
            await kc.applyToHTTPSOptions(o);
          } catch (err) {
            throw new UserError(`Cannot use the kubeconfig's credentials: ${firstLine(errorMessage(err))}`);
          }
          agent ??= keepAlive(o.agent);
          const headers = (o.headers ?? {}) as OutgoingHttpHeaders;
          maskToken(headers);
          return { agent, headers, ...(o.auth ? { auth: o.auth } : {}) };
        },
      };
      return new KubeClient(auth, identity, {
        access: 'check the RBAC bindings of that user (and, on EKS, its access entry or the aws-auth ConfigMap)',
        credentials:
          "check that the kubeconfig user's token, client certificate or exec plugin is current (not expired or revoked) and meant for this cluster",
      });
    }
    // As KubeConfig sets up a cluster with certificate-authority-data and a bearer token, over
    // one HTTP/2 connection when the server speaks it (as kubectl). One secure context for every
    // connection: given the CA itself, each would parse it again.
    const secureContext = createSecureContext({ ca: Buffer.from(access.caData, 'base64') });
    const agent = new TlsAgent({ secureContext, keepAlive: true });
    const auth: KubeAuth = {
      server: access.server,
      options: async () => {
        const headers = { Authorization: `Bearer ${await access.token()}` };
        maskToken(headers);
        return { agent, headers };
      },
      ...(new URL(access.server).protocol === 'https:' ? { h2: new Http2Origin(access.server, secureContext, agent) } : {}),
    };
    const identity = async () => {
      try {
        return (await access.identity?.()) ?? 'the configured identity';
      } catch {
        return 'the configured identity';
      }
    };
    return new KubeClient(auth, identity, {
      access: access.accessHint ?? 'check its RBAC bindings',
      credentials: access.credentialsHint ?? 'check that the credentials the token is made from are current and meant for this cluster',
    });
  }

  private url(path: string, query: Record<string, string | number | boolean | undefined> = {}): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** One API request with JSON in and out; network errors, 429 and 5xx are retried. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    const { value } = await retry(
      async () => {
        const headers: OutgoingHttpHeaders = { Accept: options.text ? '*/*' : 'application/json' };
        let body: string | undefined;
        if (options.body !== undefined) {
          body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
          headers['Content-Type'] = options.contentType ?? 'application/json';
        }
        this.requests++;
        let res: Answer;
        try {
          res = await send(this.auth, method, url, headers, body);
        } catch (err) {
          if (err instanceof UserError) throw err;
          throw new NetworkError(this.server, err);
        }
        const { text } = res;
        if (res.status >= 200 && res.status < 300) return options.text ? text : text === '' ? undefined : JSON.parse(text);
        if (options.allow?.includes(res.status)) return undefined;
        let message = text.slice(0, 500);
        let reason: string | undefined;
        try {
          const status = JSON.parse(text) as { message?: string; reason?: string };
          message = status.message ?? message;
          reason = status.reason;
        } catch {}
        const e = new KubeApiError(res.status, message || `HTTP ${res.status}`, reason);
        (e as KubeApiError & { retryAfter?: string }).retryAfter = [res.headers['retry-after']].flat()[0];
        throw e;
      },
      {
        attempts: 4,
        baseDelayMs: 250,
        maxDelayMs: 3000,
        isRetryable: (e) => e instanceof NetworkError || (e instanceof KubeApiError && (e.status === 429 || e.status >= 500)),
        retryAfterMs: (e) => parseRetryAfter((e as { retryAfter?: string }).retryAfter),
      },
    ).catch((err: unknown) => {
      const last = err instanceof Error && err.name === 'RetryError' ? (err.cause as unknown) : err;
      throw last instanceof NetworkError ? new UserError(last.message) : last;
    });
    return value as T;
  }

  /**
   * One GET as it is, for probes (e.g. a health path through the API server's Service proxy): the
   * status and the body, no retry; a network error or `timeoutMs` without an answer throws.
   */
  async get(path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
    this.requests++;
    const res = await send(this.auth, 'GET', this.url(path), { Accept: '*/*' }, undefined, timeoutMs);
    return { status: res.status, body: res.text };
  }

  /**
   * Turns 401/403 into a KubeAccessError naming the identity; other errors pass through. 401 means
   * the credentials were not accepted (advice about credentials); 403 means they were, and the
   * identity lacks a permission (advice about RBAC).
   */
  async explain(err: unknown, what: string): Promise<unknown> {
    if (!(err instanceof KubeApiError) || (err.status !== 401 && err.status !== 403)) return err;
    const who = await this.identityFn();
    if (err.status === 401) {
      return new KubeAccessError(
        401,
        `The Kubernetes API server at ${this.server} rejected the credentials of ${who} (401 Unauthorized) while trying to ${what}: ${this.credentialsHint}`,
      );
    }
    return new KubeAccessError(403, `${who} is not allowed to ${what} (403 Forbidden: ${firstLine(err.message)}): ${this.accessHint}`);
  }

  /**
   * Opens one watch (`?watch=true`, one JSON event per line); resolves with a stop function once
   * the server has answered. `done` is called once when the server ends the stream (watches end
   * by design), on an error, after `idleMs` without a byte, or before this resolves when the
   * server refuses the watch (its status in `statusCode`); never after a stop.
   */
  async watch<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (e: WatchEvent<T>) => void,
    done: (err: unknown) => void,
    idleMs = 30_000,
  ): Promise<() => void> {
    const url = this.url(path, { ...query, watch: 'true' });
    this.requests++;
    let finished = false;
    let cancel: ((err?: Error) => void) | undefined;
    const stop = () => {
      finished = true;
      cancel?.();
    };
    const end = (err: unknown) => {
      if (finished) return;
      stop();
      done(err);
    };
    const opened = Promise.withResolvers<() => void>();
    try {
      cancel = await start(this.auth, 'GET', url, { Accept: 'application/json' }, undefined, {
        timeoutMs: idleMs,
        onTimeout: () => end(Object.assign(new Error(`the watch was idle for ${idleMs} ms`), { name: 'TimeoutError' })),
        onError: (err) => {
          end(err);
          opened.resolve(stop);
        },
        onResponse: (res) => {
          if (res.status !== 200) {
            res.body.resume();
            end(Object.assign(new Error(STATUS_CODES[res.status] ?? `HTTP ${res.status}`), { statusCode: res.status }));
            return opened.resolve(stop);
          }
          let rest = '';
          res.body.setEncoding('utf8');
          res.body.on('data', (chunk: string) => {
            rest += chunk;
            let nl = rest.indexOf('\n');
            while (nl >= 0 && !finished) {
              const line = rest.slice(0, nl).trim();
              rest = rest.slice(nl + 1);
              nl = rest.indexOf('\n');
              if (!line) continue;
              let event: WatchEvent<T>;
              try {
                event = JSON.parse(line) as WatchEvent<T>;
              } catch {
                continue; // as client-node's Watch: a line that is not JSON is skipped
              }
              onEvent({ type: event.type, object: event.object });
            }
          });
          res.body.on('end', () => end(null));
          res.body.on('error', end);
          res.body.on('close', () => end(null));
          opened.resolve(stop);
        },
      });
    } catch (err) {
      end(err); // no credentials for it, or no connection
      return stop;
    }
    return opened.promise;
  }
}

class NetworkError extends Error {
  constructor(server: string, cause: unknown) {
    const c = cause as { code?: string; cause?: { code?: string } };
    super(`Cannot reach the Kubernetes API server at ${server}: ${c?.code ?? c?.cause?.code ?? errorMessage(cause)}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
