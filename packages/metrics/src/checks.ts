/**
 * The `metric-checks` input: a YAML list of checks, each
 *   { name, query, phase: pre|post, min?, max?, interval?, count?, failure-limit?,
 *     on-empty: fail|pass|inconclusive, on-error: fail|inconclusive }
 * validated whole before anything runs; every problem is one line naming the input, the item
 * and what is accepted.
 */
import { InputError, parseDuration } from '@tripo04os/common';
import { parse } from 'yaml';

export type Phase = 'pre' | 'post';
export type OnEmpty = 'fail' | 'pass' | 'inconclusive';
export type OnError = 'fail' | 'inconclusive';

export interface MetricCheck {
  name: string;
  /** PromQL, with {{color}} {{namespace}} {{deployment}} {{service}} placeholders. */
  query: string;
  phase: Phase;
  min?: number;
  max?: number;
  /** Wait between measurements. */
  intervalMs: number;
  /** Measurements to take (post: at least this many, and as many as fit in the analysis duration). */
  count?: number;
  /** Failed measurements tolerated; one more fails the check. */
  failureLimit: number;
  onEmpty: OnEmpty;
  onError: OnError;
}

const KEYS = ['name', 'query', 'phase', 'min', 'max', 'interval', 'count', 'failure-limit', 'on-empty', 'on-error'];
export const PLACEHOLDERS = ['color', 'namespace', 'deployment', 'service'];

/** Parses and validates the `metric-checks` input (empty text: no checks). */
export function parseMetricChecks(text: string, input = 'metric-checks'): MetricCheck[] {
  if (!text.trim()) return [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new InputError(input, text, `expected a YAML list of checks (${first})`);
  }
  if (!Array.isArray(doc)) throw new InputError(input, text, 'expected a YAML list of checks, each with name, query and phase');
  const names = new Set<string>();
  return doc.map((item, i) => {
    const where = `item ${i + 1}`;
    const bad = (what: string): never => {
      throw new InputError(input, text, `${where}: ${what}`);
    };
    if (!item || typeof item !== 'object' || Array.isArray(item)) bad('expected a mapping with name, query and phase');
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!KEYS.includes(k)) bad(`unknown key '${k}' (accepted: ${KEYS.join(', ')})`);
    const str = (k: string): string | undefined => {
      const v = o[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' || !v.trim()) bad(`'${k}' must be a non-empty string`);
      return (v as string).trim();
    };
    const num = (k: string): number | undefined => {
      const v = o[k];
      if (v === undefined || v === null) return undefined;
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : Number.NaN;
      if (!Number.isFinite(n)) bad(`'${k}' must be a number, not '${String(v)}'`);
      return n;
    };
    const int = (k: string, min: number): number | undefined => {
      const n = num(k);
      if (n !== undefined && (!Number.isInteger(n) || n < min)) bad(`'${k}' must be a whole number ≥ ${min}, not ${n}`);
      return n;
    };
    const oneOf = <T extends string>(k: string, values: readonly T[], fallback: T): T => {
      const v = str(k) ?? fallback;
      if (!values.includes(v as T)) bad(`'${k}' must be one of ${values.join(', ')}, not '${v}'`);
      return v as T;
    };
    const name = str('name') ?? bad("lacks 'name'");
    const w = `check '${name}' (${where})`;
    const query = str('query') ?? bad(`lacks 'query' (${w})`);
    for (const m of query.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g))
      if (!PLACEHOLDERS.includes(m[1]!))
        bad(`${w}: unknown placeholder {{${m[1]}}} (accepted: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')})`);
    if (names.has(name)) bad(`two checks are named '${name}'`);
    names.add(name);
    if (o.phase === undefined) bad(`${w}: lacks 'phase' (pre or post)`);
    const phase = oneOf<Phase>('phase', ['pre', 'post'], 'post');
    const min = num('min');
    const max = num('max');
    if (min === undefined && max === undefined) bad(`${w}: give 'min' and/or 'max'`);
    if (min !== undefined && max !== undefined && min > max) bad(`${w}: 'min' (${min}) is greater than 'max' (${max})`);
    const intervalText = o.interval === undefined ? '10s' : String(o.interval);
    const intervalMs = parseDuration(intervalText) ?? bad(`${w}: 'interval' must be a duration such as 5s or 1m, not '${intervalText}'`);
    if (intervalMs < 100) bad(`${w}: 'interval' must be at least 100ms`);
    const check: MetricCheck = {
      name,
      query,
      phase,
      intervalMs,
      failureLimit: int('failure-limit', 0) ?? 0,
      onEmpty: oneOf<OnEmpty>('on-empty', ['fail', 'pass', 'inconclusive'], 'fail'),
      onError: oneOf<OnError>('on-error', ['fail', 'inconclusive'], 'fail'),
    };
    const count = int('count', 1);
    if (count !== undefined) check.count = count;
    if (check.count !== undefined && check.failureLimit >= check.count)
      bad(`${w}: 'failure-limit' (${check.failureLimit}) must be less than 'count' (${check.count}), or the check could never fail`);
    if (min !== undefined) check.min = min;
    if (max !== undefined) check.max = max;
    return check;
  });
}

/** Escapes a value for a PromQL double-quoted string. */
export function escapePromQL(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Substitutes {{color}} {{namespace}} {{deployment}} {{service}} (escaped for PromQL strings). */
export function renderQuery(query: string, vars: Record<string, string>): string {
  return query.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, key: string) => (key in vars ? escapePromQL(vars[key]!) : whole));
}

/** `min ≤ v ≤ max` as text. */
export function boundText(c: Pick<MetricCheck, 'min' | 'max'>): string {
  if (c.min !== undefined && c.max !== undefined) return `${c.min} ≤ v ≤ ${c.max}`;
  if (c.min !== undefined) return `v ≥ ${c.min}`;
  return `v ≤ ${c.max}`;
}
