/** Label selectors (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) and field selectors (`metadata.name=x`). */
import { badRequest } from './errors.ts';
import type { KObject, LabelSelector } from './types.ts';

export interface Requirement {
  key: string;
  op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

export function parseLabelSelector(s: string): Requirement[] {
  const reqs: Requirement[] = [];
  let i = 0;
  const src = s.trim();
  const skipWs = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const word = () => {
    skipWs();
    const start = i;
    while (i < src.length && !/[\s,!=()]/.test(src[i]!)) i++;
    return src.slice(start, i);
  };
  while (i < src.length) {
    skipWs();
    if (src[i] === '!') {
      i++;
      const key = word();
      if (!key) throw badRequest(`unable to parse requirement: found '!', expected: identifier in "${s}"`);
      reqs.push({ key, op: '!exists', values: [] });
    } else {
      const key = word();
      if (!key) throw badRequest(`unable to parse requirement: expected identifier in "${s}"`);
      skipWs();
      if (i >= src.length || src[i] === ',') {
        reqs.push({ key, op: 'exists', values: [] });
      } else if (src.startsWith('!=', i)) {
        i += 2;
        reqs.push({ key, op: 'neq', values: [word()] });
      } else if (src.startsWith('==', i)) {
        i += 2;
        reqs.push({ key, op: 'eq', values: [word()] });
      } else if (src[i] === '=') {
        i += 1;
        reqs.push({ key, op: 'eq', values: [word()] });
      } else {
        const op = word();
        if (op !== 'in' && op !== 'notin')
          throw badRequest(`unable to parse requirement: found '${op}', expected: in, notin, =, ==, !=, gt, lt in "${s}"`);
        skipWs();
        if (src[i] !== '(') throw badRequest(`unable to parse requirement: found '${src[i] ?? ''}', expected: '(' in "${s}"`);
        const close = src.indexOf(')', i);
        if (close < 0) throw badRequest(`unable to parse requirement: expected ')' in "${s}"`);
        const values = src
          .slice(i + 1, close)
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        i = close + 1;
        reqs.push({ key, op, values });
      }
    }
    skipWs();
    if (i < src.length) {
      if (src[i] !== ',') throw badRequest(`unable to parse requirement: found '${src[i]}', expected: ',' in "${s}"`);
      i++;
    }
  }
  return reqs;
}

export function matchRequirements(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        if (!has || v !== r.values[0]) return false;
        break;
      case 'neq':
        if (has && v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as requirements. */
export function selectorRequirements(sel: LabelSelector | undefined): Requirement[] {
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key: k, op: 'eq', values: [v] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator as 'In'];
    if (op) reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

/** `app=web,tier in (a,b)`: how kubectl and the API show a LabelSelector. */
export function selectorString(sel: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export interface FieldRequirement {
  path: string;
  op: 'eq' | 'neq';
  value: string;
}

export function parseFieldSelector(s: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const part of s.split(',')) {
    const t = part.trim();
    if (!t) continue;
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(t);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${t}'`);
    out.push({ path: m[1]!.trim(), op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() });
  }
  return out;
}

function fieldValue(obj: KObject, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || cur === null) return '';
  return String(cur);
}

export function matchFields(reqs: FieldRequirement[], obj: KObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.path);
    if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
