/**
 * Expressions with GitHub's own evaluator (@actions/expressions): the host supplies the status
 * functions and hashFiles(), as the runner does.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Contexts = Record<string, unknown>;

/** What the status functions look at: the job's status for steps, the needs' results for jobs. */
export interface Status {
  /** 'success' | 'failure' | 'cancelled' */
  status: () => string;
  /** hashFiles(): the workspace to search. */
  workspace?: string;
}

type FunctionDefinition = { name: string; minArgs: number; maxArgs: number; call: (...args: data.ExpressionData[]) => data.ExpressionData };

const CONTEXT_NAMES = ['github', 'env', 'vars', 'secrets', 'inputs', 'matrix', 'strategy', 'needs', 'steps', 'job', 'jobs', 'runner'];

function hostFunctions(st: Status): Map<string, FunctionDefinition> {
  const fns: FunctionDefinition[] = [
    { name: 'success', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(st.status() === 'success') },
    { name: 'failure', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(st.status() === 'failure') },
    { name: 'cancelled', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(st.status() === 'cancelled') },
    { name: 'always', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(true) },
    {
      name: 'hashfiles',
      minArgs: 1,
      maxArgs: 255,
      call: (...args) =>
        new data.StringData(
          hashFiles(
            st.workspace ?? process.cwd(),
            args.map((a) => a.coerceString()),
          ),
        ),
    },
  ];
  return new Map(fns.map((f) => [f.name, f]));
}

const parsed = new Map<string, ReturnType<Parser['parse']>>();
const FUNC_INFO = ['success', 'failure', 'cancelled', 'always', 'hashFiles'].map((name) => ({
  name,
  minArgs: 0,
  maxArgs: name === 'hashFiles' ? 255 : 0,
}));

function parse(expression: string): ReturnType<Parser['parse']> {
  let tree = parsed.get(expression);
  if (!tree) {
    const tokens = new Lexer(expression).lex().tokens;
    tree = new Parser(tokens, CONTEXT_NAMES, FUNC_INFO).parse();
    parsed.set(expression, tree);
  }
  return tree;
}

export function toData(value: unknown): data.Dictionary {
  return JSON.parse(JSON.stringify(value ?? {}), data.reviver) as data.Dictionary;
}

export function fromData(value: data.ExpressionData): Json {
  return JSON.parse(JSON.stringify(value, data.replacer) ?? 'null') as Json;
}

/** Evaluates one expression (without `${{ }}`) to plain JSON. */
export function evaluate(expression: string, ctx: data.Dictionary, st: Status): Json {
  const result = new Evaluator(parse(expression), ctx, hostFunctions(st)).evaluate();
  return fromData(result);
}

export function evaluateData(expression: string, ctx: data.Dictionary, st: Status): data.ExpressionData {
  return new Evaluator(parse(expression), ctx, hostFunctions(st)).evaluate();
}

/** An if condition: truthy by GitHub's coercion. */
export function condition(expression: string, ctx: data.Dictionary, st: Status): boolean {
  const v = evaluateData(expression, ctx, st);
  return truthy(v);
}

function truthy(v: data.ExpressionData): boolean {
  switch (v.kind) {
    case data.Kind.Null:
      return false;
    case data.Kind.Boolean:
      return (v as data.BooleanData).value;
    case data.Kind.Number: {
      const n = (v as data.NumberData).value;
      return n !== 0 && !Number.isNaN(n);
    }
    case data.Kind.String:
      return (v as data.StringData).value !== '';
    default:
      return true;
  }
}

/** GitHub's string coercion for env values, inputs and outputs. */
export function str(v: Json | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return JSON.stringify(v, null, 2);
}

// Template tokens (the parser's output): evaluated recursively.
interface TokenLike {
  templateTokenType: number;
}
const T = { String: 0, Sequence: 1, Mapping: 2, BasicExpression: 3, InsertExpression: 4, Boolean: 5, Number: 6, Null: 7 };

export function evalToken(token: TemplateToken | undefined, ctx: data.Dictionary, st: Status): Json {
  if (!token) return null;
  const t = token as unknown as TokenLike & Record<string, unknown>;
  switch (t.templateTokenType) {
    case T.String:
      return t.value as string;
    case T.Boolean:
      return t.value as boolean;
    case T.Number:
      return t.value as number;
    case T.Null:
      return null;
    case T.BasicExpression:
      return evaluate(t.expression as string, ctx, st);
    case T.Sequence: {
      const out: Json[] = [];
      for (const item of token as unknown as Iterable<TemplateToken>) {
        const v = evalToken(item, ctx, st);
        out.push(v);
      }
      return out;
    }
    case T.Mapping: {
      const out: Record<string, Json> = {};
      for (const pair of token as unknown as Iterable<{ key: TemplateToken; value: TemplateToken }>) {
        out[str(evalToken(pair.key, ctx, st))] = evalToken(pair.value, ctx, st);
      }
      return out;
    }
    default:
      throw new Error(`unsupported template token type ${t.templateTokenType}`);
  }
}

/** The keys of a mapping token, with their (unevaluated) values. */
export function pairs(token: TemplateToken | undefined): [string, TemplateToken][] {
  if (!token || (token as unknown as TokenLike).templateTokenType !== T.Mapping) return [];
  const out: [string, TemplateToken][] = [];
  for (const pair of token as unknown as Iterable<{ key: { value: string }; value: TemplateToken }>) out.push([pair.key.value, pair.value]);
  return out;
}

export function find(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return pairs(token).find(([k]) => k === key)?.[1];
}

export function literal(token: TemplateToken | undefined): Json | undefined {
  if (!token) return undefined;
  const t = token as unknown as TokenLike & { value?: Json };
  if (t.templateTokenType === T.String || t.templateTokenType === T.Boolean || t.templateTokenType === T.Number) return t.value ?? null;
  return undefined;
}

/** hashFiles(patterns): SHA-256 of the SHA-256 of each matching file, as the runner computes it; '' when none match. */
export function hashFiles(workspace: string, patterns: string[]): string {
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const files = new Set<string>();
  for (const p of include) {
    for (const f of globSync(p, workspace)) files.add(f);
  }
  const matches = [...files].filter((f) => !exclude.some((e) => matchGlob(e, f))).sort();
  if (!matches.length) return '';
  const outer = createHash('sha256');
  for (const f of matches) {
    const full = join(workspace, f);
    if (!statSync(full).isFile()) continue;
    outer.update(createHash('sha256').update(readFileSync(full)).digest());
  }
  return outer.digest('hex');
}

function globSync(pattern: string, cwd: string): string[] {
  // node:fs globSync (Node 22+), relative paths.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  return fs.globSync(pattern, { cwd }).map((f) => relative(cwd, join(cwd, f)));
}

function matchGlob(pattern: string, file: string): boolean {
  const path = process.getBuiltinModule('node:path') as typeof import('node:path');
  return path.matchesGlob(file, pattern);
}
