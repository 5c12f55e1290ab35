import { parseRetryAfter, RetryError, retry } from '../src/retry.ts';

/** A fake clock: sleep advances time instead of waiting, and records each delay. */
function fakeClock(start = 1_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

class HttpError extends Error {
  readonly status: number;
  readonly retryAfter: string | undefined;
  constructor(status: number, retryAfter?: string) {
    super(`HTTP ${status}`);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Fails with the given errors in order, then returns 'ok'. */
function failing(...errors: unknown[]) {
  const calls: number[] = [];
  const fn = async (attempt: number) => {
    calls.push(attempt);
    const e = errors[attempt - 1];
    if (e !== undefined) throw e;
    return 'ok';
  };
  return { fn, calls };
}

describe('retry', () => {
  test('returns the first success and how many attempts it took', async () => {
    const clock = fakeClock();
    const { fn, calls } = failing(new Error('a'), new Error('b'));
    const r = await retry(fn, { sleep: clock.sleep, now: clock.now, random: () => 0.5 });
    expect(r).toEqual({ value: 'ok', attempts: 3 });
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toHaveLength(2);
  });

  test.each([
    [0, [50, 100, 200, 400, 800]],
    [0.999999, [100, 200, 400, 800, 1600]],
  ])('doubles the backoff, with jitter drawn from the upper half of each step (random() = %p)', async (rnd, expected) => {
    const clock = fakeClock();
    const { fn } = failing(...Array.from({ length: 5 }, () => new Error('x')));
    await retry(fn, { attempts: 6, baseDelayMs: 100, sleep: clock.sleep, now: clock.now, random: () => rnd });
    expect(clock.sleeps).toEqual(expected);
    const steps = [100, 200, 400, 800, 1600];
    expect(clock.sleeps.map((d, i) => d >= (steps[i] as number) / 2 && d <= (steps[i] as number))).toEqual([true, true, true, true, true]);
  });

  test('caps one delay at maxDelayMs', async () => {
    const clock = fakeClock();
    const { fn } = failing(...Array.from({ length: 6 }, () => new Error('x')));
    await retry(fn, { attempts: 7, baseDelayMs: 1000, maxDelayMs: 3000, sleep: clock.sleep, now: clock.now, random: () => 0.999999 });
    expect(Math.max(...clock.sleeps)).toBe(3000);
    expect(clock.sleeps.slice(-3)).toEqual([3000, 3000, 3000]);
  });

  test('gives up after the attempts with a RetryError carrying the last error', async () => {
    const clock = fakeClock();
    const last = new Error('still down');
    const { fn, calls } = failing(new Error('down'), new Error('down'), last, new Error('never reached'));
    const err = await retry(fn, { attempts: 3, sleep: clock.sleep, now: clock.now }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect((err as RetryError).attempts).toBe(3);
    expect((err as RetryError).cause).toBe(last);
    expect((err as RetryError).message).toBe('still down (gave up after 3 attempts)');
    expect(calls).toEqual([1, 2, 3]);
  });

  test('throws a non-retryable error as it is, without waiting', async () => {
    const clock = fakeClock();
    const fatal = new HttpError(403);
    const { fn, calls } = failing(new HttpError(503), fatal);
    const err = await retry(fn, {
      isRetryable: (e) => e instanceof HttpError && e.status >= 500,
      sleep: clock.sleep,
      now: clock.now,
    }).catch((e: unknown) => e);
    expect(err).toBe(fatal);
    expect(calls).toEqual([1, 2]);
    expect(clock.sleeps).toHaveLength(1);
  });

  test('honours Retry-After instead of the backoff', async () => {
    const clock = fakeClock();
    const { fn } = failing(new HttpError(429, '7'), new HttpError(429, '2'));
    const r = await retry(fn, {
      baseDelayMs: 100,
      retryAfterMs: (e) => parseRetryAfter((e as HttpError).retryAfter, clock.now()),
      sleep: clock.sleep,
      now: clock.now,
    });
    expect(r.attempts).toBe(3);
    expect(clock.sleeps).toEqual([7000, 2000]);
  });

  test('a Retry-After beyond maxDelayMs is still honoured (the server knows best)', async () => {
    const clock = fakeClock();
    const { fn } = failing(new HttpError(429, '60'));
    await retry(fn, { maxDelayMs: 1000, retryAfterMs: () => 60_000, sleep: clock.sleep, now: clock.now });
    expect(clock.sleeps).toEqual([60_000]);
  });

  test('falls back to the backoff when the error carries no Retry-After', async () => {
    const clock = fakeClock();
    const { fn } = failing(new HttpError(503));
    await retry(fn, { baseDelayMs: 400, random: () => 0, retryAfterMs: () => undefined, sleep: clock.sleep, now: clock.now });
    expect(clock.sleeps).toEqual([200]);
  });

  test('stops at the deadline: the last wait is cut to what is left, then no new attempt starts', async () => {
    const clock = fakeClock();
    const calls: number[] = [];
    const err = await retry(
      async (attempt) => {
        calls.push(attempt);
        clock.advance(100); // each attempt takes 100 ms
        throw new Error('timeout');
      },
      { attempts: 100, deadlineMs: 2000, baseDelayMs: 400, random: () => 0.999999, sleep: clock.sleep, now: clock.now },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect((err as RetryError).message).toMatch(/^timeout \(deadline reached after \d+ attempts\)$/);
    // 100 + 400 + 100 + 800 + 100 = 1500; the next backoff (1600) is cut to the 500 left; the
    // attempt that starts at the deadline is the last one.
    expect(clock.sleeps).toEqual([400, 800, 500]);
    expect(calls).toEqual([1, 2, 3, 4]);
  });

  test('a Retry-After longer than the time left ends at once', async () => {
    const clock = fakeClock();
    const { fn, calls } = failing(new HttpError(429, '120'));
    const err = await retry(fn, { deadlineMs: 10_000, retryAfterMs: () => 120_000, sleep: clock.sleep, now: clock.now }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RetryError);
    expect((err as Error).message).toBe('HTTP 429 (deadline reached after 1 attempt)');
    expect(clock.sleeps).toEqual([]);
    expect(calls).toEqual([1]);
  });

  test('reports each wait through onRetry', async () => {
    const clock = fakeClock();
    const seen: [number, number, string][] = [];
    const { fn } = failing(new Error('one'), new Error('two'));
    await retry(fn, {
      baseDelayMs: 10,
      random: () => 0,
      sleep: clock.sleep,
      now: clock.now,
      onRetry: ({ attempt, delayMs, error }) => seen.push([attempt, delayMs, (error as Error).message]),
    });
    expect(seen).toEqual([
      [1, 5, 'one'],
      [2, 10, 'two'],
    ]);
  });

  test('an abort signal stops further attempts', async () => {
    const ac = new AbortController();
    const calls: number[] = [];
    const err = await retry(
      async (attempt) => {
        calls.push(attempt);
        ac.abort(new Error('cancelled'));
        throw new Error('x');
      },
      { sleep: async () => {}, signal: ac.signal },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('cancelled');
    expect(calls).toEqual([1]);
  });

  test('the default sleep really waits and can be aborted', async () => {
    const t0 = Date.now();
    const r = await retry(async (a) => (a < 2 ? Promise.reject(new Error('x')) : 'ok'), { baseDelayMs: 40, random: () => 0.999999 });
    expect(r.value).toBe('ok');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(35);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 20);
    const err = await retry(() => Promise.reject(new Error('x')), { baseDelayMs: 60_000, signal: ac.signal }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('stop');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test.each([
    ['120', 120_000],
    [' 3 ', 3000],
    ['0', 0],
    ['1.5', 1500],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
  ])('%j is %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
  test.each([null, undefined, '', '  ', 'soon', '-5'])('%j gives undefined', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
