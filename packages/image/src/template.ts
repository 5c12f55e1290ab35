/**
 * The `{{…}}` expressions docker/metadata-action accepts in tag rules: `{{version}}`,
 * `{{major}}`, `{{branch}}`, `{{sha}}`, `{{is_default_branch}}`, `{{date 'YYYYMMDD'}}` and
 * `{{commit_date 'YYYYMMDD'}}` (with an optional `tz='Europe/Paris'`), and so on. Only these
 * forms, not all of Handlebars. As in Handlebars, a date without a quoted format (`{{date}}`, or
 * `{{date YYYYMMDD}}`, where the unquoted word is a variable that does not exist) renders in
 * moment's default format, `2020-01-10T00:30:00Z`.
 */
const EXPR = /\{\{\s*([a-z_]+)(?:\s+'([^']*)'|\s+([A-Za-z0-9_.-]+))?(?:\s+tz='([^']*)')?\s*\}\}/g;

/** Whether a text has a date expression whose format is an unquoted word (and so is ignored). */
export function hasUnquotedDateFormat(text: string): boolean {
  return [...text.matchAll(EXPR)].some((m) => DATED.has(m[1] as string) && m[3] !== undefined && !m[3].startsWith('tz='));
}

/** The expressions that take a format: the build time and the commit time. */
const DATED = new Set(['date', 'commit_date']);

export interface Expression {
  name: string;
  format?: string;
  tz?: string;
}

/** Returns the first expression of a text that is malformed or not allowed (undefined when all are fine). */
export function findBadExpression(text: string, allowed: ReadonlySet<string>): string | undefined {
  for (const m of text.matchAll(EXPR)) {
    const [whole, name, format, word, tz] = m as unknown as [string, string, string | undefined, string | undefined, string | undefined];
    if (!allowed.has(name)) return whole;
    if (!DATED.has(name) && (format !== undefined || word !== undefined || tz !== undefined)) return whole;
  }
  const rest = text.replace(EXPR, '');
  const open = rest.indexOf('{{');
  if (open >= 0) {
    const close = rest.indexOf('}}', open);
    return close >= 0 ? rest.slice(open, close + 2) : rest.slice(open);
  }
  if (rest.includes('}}')) return '}}';
  return undefined;
}

/**
 * Replaces the expressions of a text; `date` is rendered from `now`, `commit_date` from
 * `commitDate` (the build time when not given).
 */
export function expand(text: string, vars: Readonly<Record<string, string | undefined>>, now: Date, commitDate: Date = now): string {
  return text.replace(EXPR, (whole, name: string, format?: string, _word?: string, tz?: string) => {
    const fmt = format ?? (tz && tz !== 'UTC' ? 'YYYY-MM-DDTHH:mm:ssZ' : 'YYYY-MM-DDTHH:mm:ss[Z]');
    if (name === 'date') return formatDate(now, fmt, tz);
    if (name === 'commit_date') return formatDate(commitDate, fmt, tz);
    const v = vars[name];
    return v === undefined ? whole : v;
  });
}

/** Formats a date with the moment.js tokens people put in tag patterns (UTC unless tz is given). */
export function formatDate(date: Date, format: string, tz?: string): string {
  const parts = dateParts(date, tz);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const tokens: Record<string, () => string> = {
    YYYY: () => String(parts.year),
    YY: () => pad(parts.year % 100),
    MM: () => pad(parts.month),
    M: () => String(parts.month),
    DD: () => pad(parts.day),
    D: () => String(parts.day),
    HH: () => pad(parts.hour),
    H: () => String(parts.hour),
    mm: () => pad(parts.minute),
    m: () => String(parts.minute),
    ss: () => pad(parts.second),
    s: () => String(parts.second),
    SSS: () => pad(date.getUTCMilliseconds(), 3),
    X: () => String(Math.floor(date.getTime() / 1000)),
    x: () => String(date.getTime()),
    Z: () => offset(':'),
    ZZ: () => offset(''),
  };
  function offset(sep: string): string {
    const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    const minutes = Math.round((local - Math.floor(date.getTime() / 1000) * 1000) / 60000);
    const abs = Math.abs(minutes);
    return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${sep}${pad(abs % 60)}`;
  }
  return format.replace(/\[([^\]]*)\]|YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|SSS|X|x|ZZ|Z/g, (tok, literal?: string) =>
    literal !== undefined ? literal : (tokens[tok] as () => string)(),
  );
}

function dateParts(date: Date, tz?: string) {
  if (!tz) {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
    };
  }
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const get = (type: string) => Number(f.formatToParts(date).find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}
