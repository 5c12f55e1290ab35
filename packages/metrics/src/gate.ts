/**
 * The metric gate: runs the checks of one phase in parallel, each measuring every `interval`
 * (the first measurement one interval after the start, so Prometheus has scraped what changed),
 * `count` times (or as many as fit in `durationMs`). It fails closed: a measurement outside the
 * bounds, an error (transport, HTTP status, Prometheus error, more than one series, NaN) or an
 * empty result counts as a failure unless `on-error` / `on-empty` say otherwise; more failures
 * than `failure-limit` fail the check at once and stop the others. An inconclusive measurement
 * stops the gate too: the caller must not go on (no switch).
 */
import type { Logger } from '@tripo04os/common';
import { boundText, type MetricCheck, type Phase, renderQuery } from './checks.ts';
import type { PrometheusClient } from './prometheus.ts';

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface Measurement {
  check: string;
  phase: Phase;
  /** ISO time of the answer. */
  at: string;
  query: string;
  value: number | null;
  bound: string;
  /** What the answer was: in bounds, out of bounds, empty, or an error. */
  outcome: 'in bounds' | 'out of bounds' | 'empty' | 'error';
  /** How it counts under on-empty / on-error. */
  verdict: Verdict;
  message: string;
}

export interface CheckResult {
  name: string;
  phase: Phase;
  query: string;
  bound: string;
  verdict: Verdict;
  /** One line: why. */
  message: string;
  measurements: Measurement[];
}

export interface GateResult {
  phase: Phase;
  verdict: Verdict;
  message: string;
  checks: CheckResult[];
}

export interface GateOptions {
  client: PrometheusClient;
  checks: readonly MetricCheck[];
  phase: Phase;
  /** Values for {{color}} {{namespace}} {{deployment}} {{service}}. */
  vars: Record<string, string>;
  logger: Logger;
  /** Post phase: measure for this long (checks without `count` measure floor(duration / interval) times). */
  durationMs?: number;
  signal?: AbortSignal;
  /** Called with each measurement as it is taken (for timelines). */
  onMeasurement?: (m: Measurement) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000);
}

/** How many measurements a check takes in a phase. */
export function measurementsOf(c: MetricCheck, durationMs?: number): number {
  if (c.count !== undefined) return c.count;
  return durationMs ? Math.max(1, Math.floor(durationMs / c.intervalMs)) : 1;
}

/** Runs the checks of one phase. No check in the phase: passes at once. */
export async function runGate(o: GateOptions): Promise<GateResult> {
  const checks = o.checks.filter((c) => c.phase === o.phase);
  if (checks.length === 0) return { phase: o.phase, verdict: 'pass', message: `no ${o.phase} metric checks`, checks: [] };
  const stop = new AbortController();
  const onOuter = () => stop.abort();
  o.signal?.addEventListener('abort', onOuter, { once: true });
  if (o.signal?.aborted) stop.abort();
  try {
    const results = await Promise.all(checks.map((c) => runCheck(o, c, stop)));
    const failed = results.filter((r) => r.verdict === 'fail');
    const inconclusive = results.filter((r) => r.verdict === 'inconclusive' && !r.message.startsWith('stopped'));
    const verdict: Verdict = failed.length
      ? 'fail'
      : inconclusive.length || results.some((r) => r.verdict !== 'pass')
        ? 'inconclusive'
        : 'pass';
    const bad = failed.length ? failed : inconclusive.length ? inconclusive : results.filter((r) => r.verdict !== 'pass');
    const message =
      verdict === 'pass'
        ? `${results.length} ${o.phase} metric check${results.length === 1 ? '' : 's'} passed`
        : bad.map((r) => `metric check '${r.name}' ${r.verdict === 'fail' ? 'failed' : 'was inconclusive'}: ${r.message}`).join('; ');
    return { phase: o.phase, verdict, message, checks: results };
  } finally {
    o.signal?.removeEventListener('abort', onOuter);
  }
}

async function runCheck(o: GateOptions, c: MetricCheck, stop: AbortController): Promise<CheckResult> {
  const query = renderQuery(c.query, o.vars);
  const bound = boundText(c);
  const total = measurementsOf(c, o.durationMs);
  const r: CheckResult = { name: c.name, phase: c.phase, query, bound, verdict: 'pass', message: '', measurements: [] };
  o.logger.info(`[${c.phase}] ${c.name}: ${query} (${bound}, ${total} × every ${c.intervalMs / 1000}s, failure limit ${c.failureLimit})`);
  let failures = 0;
  for (let i = 1; i <= total; i++) {
    if (!(await sleep(c.intervalMs, stop.signal))) {
      r.verdict = 'inconclusive';
      r.message = `stopped after ${i - 1} of ${total} measurements`;
      return r;
    }
    const answer = await o.client.query(query, stop.signal);
    if (stop.signal.aborted) {
      r.verdict = 'inconclusive';
      r.message = `stopped after ${i - 1} of ${total} measurements`;
      return r;
    }
    const m: Measurement = {
      check: c.name,
      phase: c.phase,
      at: new Date().toISOString(),
      query,
      value: null,
      bound,
      outcome: 'error',
      verdict: 'fail',
      message: '',
    };
    if (answer.kind === 'value') {
      m.value = answer.value;
      const ok = (c.min === undefined || answer.value >= c.min) && (c.max === undefined || answer.value <= c.max);
      m.outcome = ok ? 'in bounds' : 'out of bounds';
      m.verdict = ok ? 'pass' : 'fail';
      m.message = `${fmt(answer.value)} ${ok ? 'within' : 'outside'} ${bound}`;
    } else if (answer.kind === 'empty') {
      m.outcome = 'empty';
      m.verdict = c.onEmpty;
      m.message = `empty result (on-empty: ${c.onEmpty})`;
    } else {
      m.outcome = 'error';
      m.verdict = c.onError;
      m.message = `${answer.message} (on-error: ${c.onError})`;
    }
    r.measurements.push(m);
    o.onMeasurement?.(m);
    const line = `[${c.phase}] ${c.name} ${i}/${total}: ${m.message} → ${m.verdict}`;
    if (m.verdict === 'pass') o.logger.info(line);
    else o.logger.warning(line);
    if (m.verdict === 'inconclusive') {
      r.verdict = 'inconclusive';
      r.message = `measurement ${i}/${total}: ${m.message}`;
      stop.abort();
      return r;
    }
    if (m.verdict === 'fail') failures++;
    if (failures > c.failureLimit) {
      r.verdict = 'fail';
      r.message = `${failures} failed measurement${failures === 1 ? '' : 's'} (limit ${c.failureLimit}); last: ${m.message}`;
      stop.abort();
      return r;
    }
  }
  r.message = `${total - failures}/${total} measurements passed (${bound})`;
  return r;
}
