import { errorMessage, formatDuration, type Logger, parseRetryAfter, RetryError, retry } from '@tripo04os/common';

/**
 * Delivery: one HTTP POST per attempt, errors classified the same way for every channel, and
 * the shared retry helper for the waiting. 429 honours Retry-After; 5xx and network errors back
 * off; other 4xx fail at once with the text the service gave.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { status?: number; retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A channel that could not be delivered to, after `attempts` attempts. */
export class ChannelError extends Error {
  override name = 'ChannelError';
  readonly attempts: number;
  constructor(message: string, attempts: number, cause?: unknown) {
    super(message, { cause });
    this.attempts = attempts;
  }
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface DeliveryOptions {
  /** Retries after the first attempt (attempts = retries + 1). */
  retries: number;
  /** No new attempt starts after this many ms from the first one. */
  deadlineMs: number;
  /** First backoff delay (doubled each time, with jitter). Default 1 s. */
  baseDelayMs?: number;
  /** Timeout of one request. Default 30 s. */
  timeoutMs?: number;
  logger: Logger;
  signal?: AbortSignal;
}

/** POSTs a body; answers every HTTP status (the caller classifies), throws a retryable DeliveryError on network errors and timeouts. */
export async function post(url: string, body: string, headers: Record<string, string>, timeoutMs = 30_000): Promise<HttpResponse> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'tripo04os-notification', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new DeliveryError(networkErrorText(err, timeoutMs), { retryable: true, cause: err });
  }
  let text = '';
  try {
    text = await response.text();
  } catch (err) {
    throw new DeliveryError(`HTTP ${response.status}, then the connection broke: ${networkErrorText(err, timeoutMs)}`, {
      status: response.status,
      retryable: true,
      cause: err,
    });
  }
  return { status: response.status, headers: response.headers, text };
}

/** A network error as one line that names no URL: `connection refused (ECONNREFUSED)`. */
export function networkErrorText(err: unknown, timeoutMs?: number): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') {
    return `no answer within ${timeoutMs !== undefined ? formatDuration(timeoutMs) : 'the timeout'}`;
  }
  const code = e?.cause?.code ?? e?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_SOCKET: 'connection closed',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  };
  if (code) return `network error: ${words[code] ?? 'request failed'} (${code})`;
  const why = e?.cause?.message ?? errorMessage(err);
  return `network error: ${why.replace(/https?:\/\/\S+/g, '<url>')}`;
}

/**
 * Turns an HTTP answer into success or a DeliveryError. `errorText` extracts the service's own
 * error words from the body (Slack: `invalid_payload`; Discord/Teams: a JSON message).
 */
export function checkResponse(res: HttpResponse, errorText: (res: HttpResponse) => string = plainErrorText): void {
  if (res.status >= 200 && res.status < 300) return;
  const words = errorText(res);
  const message = `HTTP ${res.status}${words ? `: ${words}` : ''}`;
  if (res.status === 429) {
    throw new DeliveryError(message, {
      status: 429,
      retryable: true,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) ?? bodyRetryAfter(res.text),
    });
  }
  if (res.status >= 500 || res.status === 408) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    throw new DeliveryError(message, { status: res.status, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  throw new DeliveryError(message, { status: res.status, retryable: false });
}

/** Discord answers 429 with `{"retry_after": 0.5}` (seconds) in the body as well. */
function bodyRetryAfter(text: string): number | undefined {
  try {
    const v = (JSON.parse(text) as { retry_after?: unknown }).retry_after;
    return typeof v === 'number' && v >= 0 ? Math.ceil(v * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** The first line of a body, short, without HTML pages. */
export function plainErrorText(res: HttpResponse): string {
  const text = res.text.trim();
  if (!text || /^<(!doctype|html)/i.test(text)) return '';
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const err = json.error as Record<string, unknown> | string | undefined;
    const candidates = [
      typeof err === 'object' && err ? err.message : undefined,
      typeof err === 'string' ? err : undefined,
      json.message,
      json.error_description,
      json.detail,
    ];
    for (const c of candidates) if (typeof c === 'string' && c.trim()) return oneLine(c);
  } catch {}
  return oneLine(text);
}

export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export interface Delivered<T> {
  value: T;
  attempts: number;
}

/**
 * Runs one channel's send function with the shared retry helper: retryable DeliveryErrors are
 * retried within `retries` and the deadline (429 waits as long as Retry-After says); anything
 * else fails at once. Throws a ChannelError with the attempts made.
 */
export async function deliver<T>(channel: string, send: (attempt: number) => Promise<T>, options: DeliveryOptions): Promise<Delivered<T>> {
  let attempts = 0;
  const isRetryable = (err: unknown) => err instanceof DeliveryError && err.retryable;
  try {
    return await retry(
      (attempt) => {
        attempts = attempt;
        return send(attempt);
      },
      {
        attempts: options.retries + 1,
        deadlineMs: options.deadlineMs,
        baseDelayMs: options.baseDelayMs ?? 1000,
        maxDelayMs: 30_000,
        isRetryable,
        retryAfterMs: (err) => (err instanceof DeliveryError ? err.retryAfterMs : undefined),
        onRetry: ({ attempt, delayMs, error }) =>
          options.logger.info(
            `${channel}: ${errorMessage(error)}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 1} of ${options.retries + 1})`,
          ),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  } catch (err) {
    if (err instanceof RetryError) throw new ChannelError(errorMessage(err), err.attempts, err.cause);
    throw new ChannelError(errorMessage(err), Math.max(1, attempts), err);
  }
}
