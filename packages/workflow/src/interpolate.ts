/** `${{ }}` inside plain YAML strings (action.yml files are not parsed by the workflow parser). */
import type { data } from '@actions/expressions';
import { evaluate, type Json, type Status, str } from './expr.ts';

export function interpolate(value: unknown, ctx: data.Dictionary, st: Status): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return interpolateString(value, ctx, st);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, ctx, st));
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, ctx, st);
    return out;
  }
  return value as Json;
}

function interpolateString(s: string, ctx: data.Dictionary, st: Status): Json {
  const parts: (string | Json)[] = [];
  let i = 0;
  let whole: Json | undefined;
  while (i < s.length) {
    const open = s.indexOf('${{', i);
    if (open < 0) {
      parts.push(s.slice(i));
      break;
    }
    parts.push(s.slice(i, open));
    // find the closing }} outside string literals
    let j = open + 3;
    let inStr = false;
    for (; j < s.length - 1; j++) {
      const c = s[j];
      if (c === "'") inStr = !inStr;
      else if (!inStr && c === '}' && s[j + 1] === '}') break;
    }
    if (j >= s.length - 1) throw new Error(`unclosed expression in '${s}'`);
    const v = evaluate(s.slice(open + 3, j).trim(), ctx, st);
    if (open === 0 && j + 2 === s.length) whole = v;
    parts.push(str(v));
    i = j + 2;
  }
  if (whole !== undefined) return whole;
  return parts.join('');
}
