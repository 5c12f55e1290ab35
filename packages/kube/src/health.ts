import { errorMessage, type Logger, retry } from '@tripo04os/common';

export interface HealthCheckOptions {
  url: string;
  /** Attempts in all (the spec's loop: 30). */
  retries: number;
  /** Wait between attempts (the spec's `sleep 10`). */
  intervalMs: number;
  /** Accepted status range, inclusive. */
  expect: [number, number];
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

/** Parses `200`, `200-399` into an inclusive range; undefined when malformed. */
export function parseStatusRange(text: string): [number, number] | undefined {
  const m = /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d))?\s*$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  return lo <= hi ? [lo, hi] : undefined;
}

class Unhealthy extends Error {
  status?: number;
}

/** GETs the URL until it answers a status in range, at a fixed interval, through the shared retry helper. */
export async function healthCheck(o: HealthCheckOptions): Promise<HealthResult> {
  const [lo, hi] = o.expect;
  try {
    const { value, attempts } = await retry(
      async (attempt) => {
        let res: Response;
        try {
          res = await fetch(o.url, { redirect: 'manual', signal: AbortSignal.timeout(o.attemptTimeoutMs ?? 10_000) });
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
    return { ok: true, attempts, status: value, message: `${o.url} answered ${value}` };
  } catch (err) {
    const last = (err as { cause?: unknown }).cause ?? err;
    const attempts = (err as { attempts?: number }).attempts ?? o.retries;
    return {
      ok: false,
      attempts,
      status: (last as Unhealthy).status,
      message: `health check ${o.url} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${errorMessage(last)} (expected ${lo}-${hi})`,
    };
  }
}
