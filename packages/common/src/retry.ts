import { errorMessage } from './errors.ts';

export interface RetryOptions {
  /** Most attempts in all, the first included (default 5). */
  attempts?: number;
  /** No new attempt starts after this many ms from the first one (default: none). */
  deadlineMs?: number;
  /** Delay before the second attempt, doubled each time (default 500 ms). */
  baseDelayMs?: number;
  /** Upper bound of one delay (default 30 s). */
  maxDelayMs?: number;
  /** Whether an error is worth another attempt (default: every error). */
  isRetryable?: (err: unknown) => boolean;
  /**
   * A delay the server asked for (for example from a `Retry-After` header), in ms. When it
   * returns a number, that delay is used instead of the backoff (still capped by the deadline).
   */
  retryAfterMs?: (err: unknown) => number | undefined;
  /** Called before each wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
  /** Injected for tests; defaults to Date.now. */
  now?: () => number;
  /** Aborts waiting and further attempts. */
  signal?: AbortSignal;
}

/** Thrown when the attempts or the deadline run out; `cause` is the last error. */
export class RetryError extends Error {
  override name = 'RetryError';
  readonly attempts: number;
  constructor(attempts: number, cause: unknown, why: string) {
    super(`${errorMessage(cause)} (${why} after ${attempts} attempt${attempts === 1 ? '' : 's'})`, { cause });
    this.attempts = attempts;
  }
}

export interface RetryResult<T> {
  value: T;
  attempts: number;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The one retry helper: exponential backoff with jitter (each delay is drawn from the upper half
 * of the doubled backoff, so it never collapses to zero), attempt and deadline limits,
 * server-requested delays (Retry-After) honoured, and a predicate for what is retryable.
 * A non-retryable error is thrown as it is; running out throws a RetryError.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<RetryResult<T>> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => defaultSleep(ms, options.signal));
  const start = now();
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (error) {
      if (options.isRetryable && !options.isRetryable(error)) throw error;
      if (attempt >= attempts) throw new RetryError(attempt, error, 'gave up');
      const asked = options.retryAfterMs?.(error);
      const backoff = Math.min(max, base * 2 ** (attempt - 1));
      let delayMs = asked !== undefined ? Math.max(0, asked) : Math.round(backoff / 2 + (random() * backoff) / 2);
      if (options.deadlineMs !== undefined) {
        const left = options.deadlineMs - (now() - start);
        if (left <= 0 || (asked !== undefined && asked > left)) {
          throw new RetryError(attempt, error, 'deadline reached');
        }
        delayMs = Math.min(delayMs, left);
      }
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/**
 * Reads a Retry-After header value (seconds or an HTTP date) as ms from now.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date starts with the day name (IMF-fixdate, RFC 850 or asctime); anything else
  // (such as '-5', which Date.parse would read as a year) is not a Retry-After value.
  if (!/^[A-Za-z]{3}/.test(v)) return undefined;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
