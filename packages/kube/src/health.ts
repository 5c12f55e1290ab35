import { errorMessage, InputError, type Logger, redactUrl, retry } from '@tripo04os/common';

/** An inclusive range of HTTP status codes, low end first. */
export type StatusRange = readonly [low: number, high: number];

export interface HealthCheckOptions {
  /** The URL checked; never printed with userinfo (credentials go in `headers`). */
  url: string;
  /** Request headers, e.g. `Authorization` built from a URL's userinfo. Never printed. */
  headers?: Record<string, string>;
  /** Attempts in all (the spec's loop: 30). */
  retries: number;
  /** Wait between attempts (the spec's `sleep 10`). */
  intervalMs: number;
  /** Accepted status range, inclusive. */
  expect: StatusRange;
  /** Per-attempt timeout (default 10 s). */
  attemptTimeoutMs?: number;
  logger: Logger;
  signal?: AbortSignal;
}

export interface HealthResult {
  ok: boolean;
  attempts: number;
  status?: number;
  message: string;
}

/**
 * Parses `200` or `200-399` into an inclusive range. Anything else, an inverted range such as
 * `300-200` included, is an InputError naming the input: there is no "undefined" to cast away.
 */
export function parseStatusRange(text: string, input = 'health-check-expect'): StatusRange {
  const match = /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d))?\s*$/.exec(text);
  if (!match) throw new InputError(input, text, 'expected a status code such as 200 or a range such as 200-399');
  const low = Number(match[1]);
  const high = match[2] ? Number(match[2]) : low;
  if (low > high) throw new InputError(input, text, `expected a range with the low end first, such as ${high}-${low}`);
  return [low, high];
}

class Unhealthy extends Error {
  status?: number;
}

/** GETs the URL until it answers a status in range, at a fixed interval, through the shared retry helper. */
export async function healthCheck(o: HealthCheckOptions): Promise<HealthResult> {
  const [lo, hi] = o.expect;
  const shown = redactUrl(o.url);
  try {
    const { value, attempts } = await retry(
      async (attempt) => {
        let res: Response;
        try {
          res = await fetch(o.url, {
            redirect: 'manual',
            headers: o.headers,
            signal: AbortSignal.timeout(o.attemptTimeoutMs ?? 10_000),
          });
          await res.body?.cancel();
        } catch (err) {
          const e = new Unhealthy(`${errorMessage((err as { cause?: unknown }).cause ?? err)}`);
          o.logger.info(`Health check attempt ${attempt}/${o.retries} failed: ${e.message}`);
          throw e;
        }
        if (res.status < lo || res.status > hi) {
          const e = new Unhealthy(`HTTP ${res.status}`);
          e.status = res.status;
          o.logger.info(`Health check attempt ${attempt}/${o.retries} failed: HTTP ${res.status} (expected ${lo}-${hi})`);
          throw e;
        }
        return res.status;
      },
      {
        attempts: o.retries,
        baseDelayMs: o.intervalMs,
        maxDelayMs: o.intervalMs,
        random: () => 1, // a fixed interval, as the spec's loop
        signal: o.signal,
      },
    );
    return { ok: true, attempts, status: value, message: `${shown} answered ${value}` };
  } catch (err) {
    const last = (err as { cause?: unknown }).cause ?? err;
    const attempts = (err as { attempts?: number }).attempts ?? o.retries;
    return {
      ok: false,
      attempts,
      status: (last as Unhealthy).status,
      message: `health check ${shown} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${errorMessage(last)} (expected ${lo}-${hi})`,
    };
  }
}
