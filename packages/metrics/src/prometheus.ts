/**
 * A small Prometheus HTTP API client: instant queries (`GET /api/v1/query`) with no auth, a bearer
 * token, basic auth, or SigV4 (Amazon Managed Service for Prometheus, service `aps`, signed with
 * @smithy/signature-v4 and the caller's AWS credentials). Every failure is one line that keeps
 * Prometheus's own `errorType` and `error` as they are.
 */
import { errorMessage, redactUrl } from '@tripo04os/common';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type PrometheusAuth =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'sigv4'; region: string; credentials: () => Promise<AwsCredentials>; service?: string };

export const AUTH_KINDS = ['none', 'bearer', 'basic', 'sigv4'] as const;

/** What an instant query answered. */
export type QueryAnswer =
  | { kind: 'value'; value: number; series: number }
  | { kind: 'empty' }
  /** An error: transport, HTTP status, Prometheus error body, or an answer that is not one number. */
  | { kind: 'error'; message: string };

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export class PrometheusClient {
  readonly url: URL;
  private readonly auth: PrometheusAuth;
  private readonly timeoutMs: number;
  /** Queries sent, for logs and tests. */
  queries = 0;

  constructor(o: { url: URL | string; auth?: PrometheusAuth; timeoutMs?: number }) {
    this.url = new URL(o.url);
    this.auth = o.auth ?? { kind: 'none' };
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  private endpoint(query: string): URL {
    const u = new URL(this.url);
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v1/query`;
    u.search = new URLSearchParams({ query }).toString();
    return u;
  }

  private async headers(u: URL): Promise<Record<string, string>> {
    const a = this.auth;
    if (a.kind === 'bearer') return { authorization: `Bearer ${a.token}` };
    if (a.kind === 'basic') return { authorization: `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` };
    if (a.kind !== 'sigv4') return {};
    const [{ SignatureV4 }, { Sha256 }, { HttpRequest }] = await Promise.all([
      import('@smithy/signature-v4'),
      import('@aws-crypto/sha256-js'),
      import('@smithy/protocol-http'),
    ]);
    const signer = new SignatureV4({ credentials: a.credentials, region: a.region, service: a.service ?? 'aps', sha256: Sha256 });
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) query[k] = v;
    const signed = await signer.sign(
      new HttpRequest({
        method: 'GET',
        protocol: u.protocol,
        hostname: u.hostname,
        port: u.port ? Number(u.port) : undefined,
        path: u.pathname,
        query,
        headers: { host: u.host },
      }),
    );
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== 'host') out[k] = String(v);
    return out;
  }

  /** One instant query; never throws. */
  async query(promql: string, signal?: AbortSignal): Promise<QueryAnswer> {
    const u = this.endpoint(promql);
    const where = redactUrl(this.url).replace(/\/$/, '');
    this.queries++;
    let res: Response;
    let text: string;
    try {
      const headers = { accept: 'application/json', ...(await this.headers(u)) };
      const timeout = AbortSignal.timeout(this.timeoutMs);
      res = await fetch(u, { headers, redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      text = await res.text();
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') return { kind: 'error', message: `Prometheus at ${where} did not answer within ${this.timeoutMs} ms` };
      return { kind: 'error', message: `cannot reach Prometheus at ${where}: ${e.cause?.code ?? e.cause?.message ?? errorMessage(err)}` };
    }
    let body: ApiBody | undefined;
    try {
      body = JSON.parse(text) as ApiBody;
    } catch {}
    if (!res.ok || body?.status !== 'success') {
      const detail =
        body?.errorType || body?.error ? `${body.errorType ?? 'error'}: ${body.error ?? ''}` : text.trim().slice(0, 300) || 'no body';
      return { kind: 'error', message: `Prometheus answered HTTP ${res.status}: ${detail}` };
    }
    const type = body.data?.resultType;
    const result = body.data?.result;
    let raw: unknown;
    let series = 1;
    if (type === 'scalar') raw = (result as [number, string])[1];
    else if (type === 'vector' && Array.isArray(result)) {
      if (result.length === 0) return { kind: 'empty' };
      if (result.length > 1)
        return {
          kind: 'error',
          message: `the query returned ${result.length} series, expected one number: aggregate it (for example sum(...) or max(...))`,
        };
      raw = (result[0] as { value?: [number, string] }).value?.[1];
      series = result.length;
    } else return { kind: 'error', message: `the query returned a ${type ?? 'malformed'} result, expected a scalar or an instant vector` };
    const value =
      raw === '+Inf'
        ? Number.POSITIVE_INFINITY
        : raw === '-Inf'
          ? Number.NEGATIVE_INFINITY
          : typeof raw === 'string'
            ? Number(raw)
            : Number.NaN;
    if (typeof raw !== 'string' || Number.isNaN(value))
      return { kind: 'error', message: `the query returned ${String(raw)}, not a number` };
    return { kind: 'value', value, series };
  }
}
