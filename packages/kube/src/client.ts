/**
 * A small JSON client for the Kubernetes API on top of @kubernetes/client-node: KubeConfig
 * does the TLS and the authentication of kubeconfig users, the library's Watch streams
 * watches, and requests carry plain wire JSON (no typed-model round trip, so a pod template
 * copied for a rollback is sent back exactly as the server gave it).
 *
 * Loading (issue 15): client-node's index, and its KubeConfig alike, evaluate the whole
 * generated API (a 3.5 MB chunk in the bundle), which this client never uses. So a client
 * from a token source (EKS) loads only Watch, RequestContext and undici (`loadTransport`),
 * and sets the bearer token and the cluster CA itself; only a kubeconfig loads KubeConfig.
 * Every request of a client shares one undici dispatcher, so connections are kept alive
 * (KubeConfig makes a new one per request: a TLS handshake per request).
 */
import { errorMessage, type Logger, parseRetryAfter, retry, UserError } from '@tripo04os/common';

type ClientNode = typeof import('@kubernetes/client-node');
type RequestContextT = import('@kubernetes/client-node/dist/gen/http/http.js').RequestContext;

let clientNode: Promise<ClientNode> | undefined;
/** Loads @kubernetes/client-node once (its index: KubeConfig and the whole generated API). */
export function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

export interface Transport {
  RequestContext: typeof import('@kubernetes/client-node/dist/gen/http/http.js').RequestContext;
  Watch: typeof import('@kubernetes/client-node/dist/watch.js').Watch;
  undici: typeof import('undici');
}
let transport: Promise<Transport> | undefined;
/** Loads what every request needs, once: client-node's Watch and RequestContext, and undici. */
export function loadTransport(): Promise<Transport> {
  transport ??= Promise.all([
    import('@kubernetes/client-node/dist/gen/http/http.js'),
    import('@kubernetes/client-node/dist/watch.js'),
    import('undici'),
  ]).then(([http, watch, undici]) => ({ RequestContext: http.RequestContext, Watch: watch.Watch, undici }));
  return transport;
}

/**
 * What requests and client-node's Watch need of a KubeConfig (which has this shape): the
 * server, and the headers and dispatcher of each request.
 */
export interface KubeAuth {
  getCurrentCluster(): { server: string } | null;
  applySecurityAuthentication(ctx: RequestContextT): Promise<void>;
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
  readonly kc: KubeAuth;
  private readonly lib: Transport;
  private readonly identityFn: () => Promise<string>;
  private readonly accessHint: string;
  private readonly credentialsHint: string;
  /** Requests sent (watches included), for logs and benchmarks. */
  requests = 0;

  private constructor(lib: Transport, kc: KubeAuth, identity: () => Promise<string>, hints: { access: string; credentials: string }) {
    this.lib = lib;
    this.kc = kc;
    this.server = (kc.getCurrentCluster()?.server ?? '').replace(/\/$/, '');
    this.identityFn = identity;
    this.accessHint = hints.access;
    this.credentialsHint = hints.credentials;
  }

  /** Builds a client from a kubeconfig (content or file, optional context) or a token source. */
  static async connect(access: KubeAccess, logger: Logger): Promise<KubeClient> {
    if (access.kind === 'kubeconfig') {
      const [lib, client] = await Promise.all([loadTransport(), loadClientNode()]);
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
      if (!kc.getCurrentCluster()) throw new UserError('The kubeconfig has no current context with a cluster: set the input context');
      const ctx = kc.getContextObject(kc.getCurrentContext());
      const user = kc.getCurrentUser();
      const identity = async () => `user '${user?.name ?? '?'}' of kubeconfig context '${ctx?.name ?? '?'}'`;
      // One dispatcher for every request (KubeConfig builds a new one, and so a new connection, each time).
      let shared: unknown;
      const auth: KubeAuth = {
        getCurrentCluster: () => kc.getCurrentCluster(),
        applySecurityAuthentication: async (ctx) => {
          await kc.applySecurityAuthentication(ctx);
          const d = ctx.getDispatcher();
          if (d) ctx.setDispatcher((shared ??= d) as never);
        },
      };
      return new KubeClient(lib, auth, identity, {
        access: 'check the RBAC bindings of that user (and, on EKS, its access entry or the aws-auth ConfigMap)',
        credentials:
          "check that the kubeconfig user's token, client certificate or exec plugin is current (not expired or revoked) and meant for this cluster",
      });
    }
    const lib = await loadTransport();
    // As KubeConfig sets up a cluster with certificate-authority-data and a bearer token.
    const dispatcher = new lib.undici.Agent({
      connect: { ca: Buffer.from(access.caData, 'base64'), keepAlive: true, keepAliveInitialDelay: 30_000 },
    });
    const masked = new Set<string>();
    const auth: KubeAuth = {
      getCurrentCluster: () => ({ server: access.server }),
      applySecurityAuthentication: async (ctx) => {
        const token = await access.token();
        if (!masked.has(token)) {
          masked.add(token);
          logger.mask(token);
        }
        ctx.setHeaderParam('Authorization', `Bearer ${token}`);
        ctx.setDispatcher(dispatcher as never);
      },
    };
    const identity = async () => {
      try {
        return (await access.identity?.()) ?? 'the configured identity';
      } catch {
        return 'the configured identity';
      }
    };
    return new KubeClient(lib, auth, identity, {
      access: access.accessHint ?? 'check its RBAC bindings',
      credentials: access.credentialsHint ?? 'check that the credentials the token is made from are current and meant for this cluster',
    });
  }

  /** One API request with JSON in and out; network errors, 429 and 5xx are retried. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const { value } = await retry(
      async () => {
        const ctx = new this.lib.RequestContext(url.toString(), method as never);
        await this.kc.applySecurityAuthentication(ctx);
        const headers: Record<string, string> = { ...ctx.getHeaders(), Accept: options.text ? '*/*' : 'application/json' };
        let body: string | undefined;
        if (options.body !== undefined) {
          body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
          headers['Content-Type'] = options.contentType ?? 'application/json';
        }
        const { fetch } = this.lib.undici;
        this.requests++;
        let res: Awaited<ReturnType<typeof fetch>>;
        try {
          res = await fetch(url, { method, headers, body, dispatcher: ctx.getDispatcher() as never });
        } catch (err) {
          throw new NetworkError(this.server, err);
        }
        const text = await res.text();
        if (res.ok) return options.text ? text : text === '' ? undefined : JSON.parse(text);
        if (options.allow?.includes(res.status)) return undefined;
        let message = text.slice(0, 500);
        let reason: string | undefined;
        try {
          const status = JSON.parse(text) as { message?: string; reason?: string };
          message = status.message ?? message;
          reason = status.reason;
        } catch {}
        const e = new KubeApiError(res.status, message || `HTTP ${res.status}`, reason);
        (e as KubeApiError & { retryAfter?: string | null }).retryAfter = res.headers.get('retry-after');
        throw e;
      },
      {
        attempts: 4,
        baseDelayMs: 250,
        maxDelayMs: 3000,
        isRetryable: (e) => e instanceof NetworkError || (e instanceof KubeApiError && (e.status === 429 || e.status >= 500)),
        retryAfterMs: (e) => parseRetryAfter((e as { retryAfter?: string | null }).retryAfter ?? undefined),
      },
    ).catch((err: unknown) => {
      const last = err instanceof Error && err.name === 'RetryError' ? (err.cause as unknown) : err;
      throw last instanceof NetworkError ? new UserError(last.message) : last;
    });
    return value as T;
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
   * Opens one watch; resolves with a stop function. `done` is called once when the server ends
   * it (client-node watches end by design) or on error.
   */
  async watch<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (e: WatchEvent<T>) => void,
    done: (err: unknown) => void,
  ): Promise<() => void> {
    // Watch uses only getCurrentCluster and applySecurityAuthentication of its KubeConfig.
    const w = new this.lib.Watch(this.kc as import('@kubernetes/client-node').KubeConfig);
    this.requests++;
    const controller = await w.watch(
      path,
      Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)),
      (type: string, object: T) => onEvent({ type: type as WatchEvent<T>['type'], object }),
      (err: unknown) => done(err),
    );
    return () => controller.abort();
  }
}

class NetworkError extends Error {
  constructor(server: string, cause: unknown) {
    const c = (cause as { cause?: { code?: string; message?: string } })?.cause;
    super(`Cannot reach the Kubernetes API server at ${server}: ${c?.code ?? c?.message ?? errorMessage(cause)}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
