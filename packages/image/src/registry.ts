/**
 * A small client of the registry HTTP API (distribution spec): the manifest digest of a tag and
 * the tag list, with basic or bearer-token auth as the registry asks (WWW-Authenticate).
 * Plain HTTP only for loopback registries, which docker also treats as insecure.
 */
import { isLoopbackHost, parseRetryAfter, retry, UserError } from '@tripo04os/common';
import { registryOf, repositoryPathOf } from './naming.ts';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** What the client needs of an HTTP response (a fetch Response has it too). */
export interface HttpResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}
export type Transport = (
  url: string | URL,
  init?: { method?: string; headers?: Record<string, string>; body?: Uint8Array },
) => Promise<HttpResponse>;

/**
 * A few registry requests over node:http(s). Node's global fetch loads its HTTP stack (undici)
 * on first use, which costs more than every registry request of a run together (measured in
 * bench/README.md); these requests need none of it.
 */
export const nodeTransport: Transport = async (url, init = {}) => {
  const u = new URL(url);
  // Imported on first use: loading node:http costs Node 24 about 50 ms, which docker-build's
  // build, started before any registry request, need not wait for.
  const { request: send } = u.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = send(u, { method: init.method ?? 'GET', headers: init.headers ?? {}, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: {
            get: (name) => {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
          },
          json: async () => JSON.parse(body.toString('utf8')) as unknown,
          arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.host} within 60 s`)));
    req.on('error', reject);
    req.end(init.body);
  });
};

export interface RegistryClientOptions {
  credentials?: RegistryCredentials;
  /** The HTTP transport (default nodeTransport; a fetch works too). */
  fetch?: Transport;
  attempts?: number;
}

class HttpError extends Error {
  readonly status: number;
  readonly retryAfter: string | null;
  constructor(status: number, message: string, retryAfter: string | null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseWwwAuthenticate(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(' ');
  const scheme = (sp > 0 ? header.slice(0, sp) : header).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(sp + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"|([a-zA-Z_]+)=([^,\s]+)/g)) {
    const key = (m[1] ?? m[3]) as string;
    params[key.toLowerCase()] = (m[2] ?? m[4]) as string;
  }
  return { scheme, params };
}

/** `host[:port]` of a registry: loopback by the repository's one rule. */
function isLoopback(host: string): boolean {
  return isLoopbackHost(host.replace(/:\d+$/, ''));
}

const isTransient = (err: unknown) => !(err instanceof HttpError) || err.status === 429 || err.status >= 500 || err.status === 408;

export interface Manifest {
  bytes: Uint8Array;
  mediaType: string;
  digest?: string;
}

/** The first error of a registry's JSON error body (`{"errors":[{"code","message"}]}`), if any. */
async function registryErrorOf(r: HttpResponse): Promise<string | undefined> {
  try {
    const body = (await r.json()) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    return e ? [e.code, e.message].filter(Boolean).join(': ') : undefined;
  } catch {
    return undefined;
  }
}

/** Talks to one registry; remembers the scheme and the auth header that worked. */
export class RegistryClient {
  readonly registry: string;
  private readonly credentials?: RegistryCredentials;
  private readonly fetch: Transport;
  private readonly attempts: number;
  private base?: string;
  private authHeader?: string;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    this.credentials = options.credentials;
    this.fetch = options.fetch ?? nodeTransport;
    this.attempts = options.attempts ?? 4;
  }

  private basic(): string | undefined {
    if (!this.credentials) return undefined;
    return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
  }

  private async baseUrl(): Promise<string> {
    if (this.base) return this.base;
    if (!isLoopback(this.registry)) return (this.base = `https://${this.registry}`);
    // Loopback registries are usually plain HTTP; fall back to HTTPS when they are not.
    try {
      const r = await this.fetch(`http://${this.registry}/v2/`, { method: 'GET' });
      if (r.status !== 400) return (this.base = `http://${this.registry}`);
    } catch {}
    return (this.base = `https://${this.registry}`);
  }

  private async authorize(challenge: string): Promise<string | undefined> {
    const { scheme, params } = parseWwwAuthenticate(challenge);
    if (scheme === 'basic') return this.basic();
    if (scheme !== 'bearer' || !params.realm) return undefined;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const headers: Record<string, string> = {};
    const basic = this.basic();
    if (basic) headers.authorization = basic;
    const r = await this.fetch(url, { headers });
    if (!r.ok) throw new HttpError(r.status, `token request to ${url.origin} answered ${r.status}`, r.headers.get('retry-after'));
    const body = (await r.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  /** One request, answering an auth challenge once. */
  private async request(
    path: string,
    init: { method: string; headers?: Record<string, string>; body?: Uint8Array },
  ): Promise<HttpResponse> {
    const base = await this.baseUrl();
    const send = (auth?: string) =>
      this.fetch(`${base}${path}`, {
        method: init.method,
        headers: { ...init.headers, ...(auth ? { authorization: auth } : {}) },
        ...(init.body ? { body: init.body } : {}),
      });
    let r = await send(this.authHeader);
    if (r.status === 401) {
      const challenge = r.headers.get('www-authenticate');
      const auth = challenge ? await this.authorize(challenge) : this.basic();
      if (auth) {
        this.authHeader = auth;
        r = await send(auth);
      }
    }
    return r;
  }

  private async withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const { value } = await retry(fn, {
      attempts: this.attempts,
      baseDelayMs: 300,
      isRetryable: isTransient,
      retryAfterMs: (e) => (e instanceof HttpError ? parseRetryAfter(e.retryAfter) : undefined),
    }).catch((err: unknown) => {
      throw new UserError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    });
    return value;
  }

  /** The manifest digest of `repository:reference` (HEAD, Docker-Content-Digest); undefined when absent. */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    return this.withRetry(`reading the digest of ${this.registry}/${repository}:${reference}`, async () => {
      const r = await this.request(`/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
      if (r.status === 404) return undefined;
      if (!r.ok) throw new HttpError(r.status, `the registry answered ${r.status}`, r.headers.get('retry-after'));
      const digest = r.headers.get('docker-content-digest');
      if (!digest) throw new HttpError(502, 'the registry sent no Docker-Content-Digest header', null);
      return digest;
    });
  }

  /** The manifest of `repository:reference` as stored (bytes and media type), to put it under another tag unchanged. */
  async getManifest(repository: string, reference: string): Promise<Manifest> {
    return this.withRetry(`reading the manifest ${this.registry}/${repository}@${reference}`, async () => {
      const r = await this.request(`/v2/${repository}/manifests/${reference}`, { method: 'GET', headers: { accept: MANIFEST_ACCEPT } });
      if (!r.ok) throw new HttpError(r.status, `the registry answered ${r.status}`, r.headers.get('retry-after'));
      const mediaType = r.headers.get('content-type') ?? '';
      const bytes = new Uint8Array(await r.arrayBuffer());
      return { bytes, mediaType, digest: r.headers.get('docker-content-digest') ?? undefined };
    });
  }

  /**
   * Puts a manifest (as read by getManifest) under a tag: moving a tag without uploading
   * anything else. Returns the digest the registry stored.
   */
  async putManifest(repository: string, tag: string, manifest: Manifest): Promise<string | undefined> {
    return this.withRetry(`moving ${this.registry}/${repository}:${tag}`, async () => {
      const r = await this.request(`/v2/${repository}/manifests/${tag}`, {
        method: 'PUT',
        headers: { 'content-type': manifest.mediaType },
        body: manifest.bytes,
      });
      if (!r.ok) {
        const detail = await registryErrorOf(r);
        throw new HttpError(r.status, `the registry answered ${r.status}${detail ? ` (${detail})` : ''}`, r.headers.get('retry-after'));
      }
      return r.headers.get('docker-content-digest') ?? undefined;
    });
  }

  /** Every tag of a repository (following `Link` pages); empty when the repository does not exist. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    while (path) {
      const current: string = path;
      const page = await this.withRetry(`listing the tags of ${this.registry}/${repository}`, async () => {
        const r = await this.request(current, { method: 'GET' });
        if (r.status === 404) return { tags: [] as string[], next: undefined };
        if (!r.ok) throw new HttpError(r.status, `the registry answered ${r.status}`, r.headers.get('retry-after'));
        const body = (await r.json()) as { tags?: string[] | null };
        const link = r.headers.get('link');
        const next = link ? /<([^>]+)>/.exec(link)?.[1] : undefined;
        return { tags: body.tags ?? [], next };
      });
      tags.push(...page.tags);
      path = page.next;
    }
    return tags;
  }
}

/** The client and repository path for a full image name (`host:port/path`). */
export function clientFor(image: string, options: RegistryClientOptions = {}): { client: RegistryClient; repository: string } {
  return { client: new RegistryClient(registryOf(image), options), repository: repositoryPathOf(image) };
}
