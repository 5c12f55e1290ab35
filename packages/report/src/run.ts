/**
 * Reads a run folder in the shape of the run folder contract (run.json, logs/KEY.log,
 * summaries/KEY.md) into plain typed values. Every field the page needs is checked here, once:
 * a malformed run.json fails with one line naming the field, the value and what is accepted.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { UserError } from '@tripo04os/common';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  file?: string;
  line?: number;
  step?: string;
}

export interface Step {
  id: string;
  name: string;
  outcome: string;
  conclusion: string;
  started?: string;
  ended?: string;
}

export interface Job {
  key: string;
  id: string;
  path: string;
  name: string;
  workflow: string[];
  needs: string[];
  result: string;
  matrix: Record<string, unknown> | null;
  outputs: Record<string, unknown>;
  started?: string;
  ended?: string;
  log?: string;
  summary: string | null;
  annotations: Annotation[];
  steps: Step[];
}

export interface Artifact {
  name: string;
  size: number;
  files: number;
}

export interface Run {
  conclusion: string;
  workflow: string;
  file: string;
  event: string;
  ref: string;
  sha: string;
  started?: string;
  ended?: string;
  artifacts: Artifact[];
  jobs: Job[];
}

type Obj = Record<string, unknown>;

function fail(field: string, value: unknown, accepted: string): never {
  let shown = JSON.stringify(value) ?? String(value);
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  throw new UserError(`run.json: '${field}' is ${shown}: ${accepted}`);
}

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, v, 'expected an object');
  return v as Obj;
}

function str(o: Obj, k: string, field: string, fallback?: string): string {
  const v = o[k];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    fail(`${field}.${k}`, v, 'expected a string');
  }
  if (typeof v !== 'string') fail(`${field}.${k}`, v, 'expected a string');
  return v;
}

function optStr(o: Obj, k: string, field: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${field}.${k}`, v, 'expected a string or nothing');
  return v;
}

function optTime(o: Obj, k: string, field: string): string | undefined {
  const v = optStr(o, k, field);
  if (v !== undefined && Number.isNaN(Date.parse(v))) fail(`${field}.${k}`, v, 'expected an ISO 8601 time');
  return v;
}

function arr(o: Obj, k: string, field: string): unknown[] {
  const v = o[k];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`${field}.${k}`, v, 'expected an array');
  return v;
}

function strArr(o: Obj, k: string, field: string): string[] {
  return arr(o, k, field).map((v, i) => {
    if (typeof v !== 'string') fail(`${field}.${k}[${i}]`, v, 'expected a string');
    return v;
  });
}

const LEVELS = new Set<string>(['error', 'warning', 'notice']);

function annotation(v: unknown, field: string): Annotation {
  const o = obj(v, field);
  const level = str(o, 'level', field);
  if (!LEVELS.has(level)) fail(`${field}.level`, level, 'expected error, warning or notice');
  const a: Annotation = { level: level as AnnotationLevel, message: str(o, 'message', field, '') };
  const file = optStr(o, 'file', field);
  if (file !== undefined) a.file = file;
  if (o.line !== undefined && o.line !== null) {
    if (typeof o.line !== 'number') fail(`${field}.line`, o.line, 'expected a number');
    a.line = o.line;
  }
  const step = optStr(o, 'step', field);
  if (step !== undefined) a.step = step;
  return a;
}

function step(v: unknown, field: string): Step {
  const o = obj(v, field);
  const s: Step = {
    id: str(o, 'id', field, ''),
    name: str(o, 'name', field, ''),
    outcome: str(o, 'outcome', field, ''),
    conclusion: str(o, 'conclusion', field, ''),
  };
  const started = optTime(o, 'started', field);
  const ended = optTime(o, 'ended', field);
  if (started) s.started = started;
  if (ended) s.ended = ended;
  if (!s.conclusion) s.conclusion = s.outcome;
  return s;
}

/** A path from run.json must stay inside the run folder (it is joined to it and read). */
function relPath(o: Obj, k: string, field: string): string | undefined {
  const v = optStr(o, k, field);
  if (v === undefined) return undefined;
  const n = normalize(v);
  if (isAbsolute(n) || n === '..' || n.startsWith(`..${sep}`)) fail(`${field}.${k}`, v, 'expected a path inside the run folder');
  return n;
}

function job(v: unknown, field: string): Job {
  const o = obj(v, field);
  const key = str(o, 'key', field);
  const id = str(o, 'id', field, key);
  let matrix: Record<string, unknown> | null = null;
  if (o.matrix !== undefined && o.matrix !== null) matrix = obj(o.matrix, `${field}.matrix`);
  const j: Job = {
    key,
    id,
    path: str(o, 'path', field, key),
    name: str(o, 'name', field, id),
    workflow: strArr(o, 'workflow', field),
    needs: strArr(o, 'needs', field),
    result: str(o, 'result', field),
    matrix,
    outputs: o.outputs === undefined || o.outputs === null ? {} : obj(o.outputs, `${field}.outputs`),
    summary: relPath(o, 'summary', field) ?? null,
    annotations: arr(o, 'annotations', field).map((a, i) => annotation(a, `${field}.annotations[${i}]`)),
    steps: arr(o, 'steps', field).map((s, i) => step(s, `${field}.steps[${i}]`)),
  };
  const started = optTime(o, 'started', field);
  const ended = optTime(o, 'ended', field);
  const log = relPath(o, 'log', field);
  if (started) j.started = started;
  if (ended) j.ended = ended;
  if (log) j.log = log;
  return j;
}

function artifact(v: unknown, field: string): Artifact {
  const o = obj(v, field);
  const size = o.size ?? 0;
  const files = o.files ?? 0;
  if (typeof size !== 'number' || size < 0) fail(`${field}.size`, size, 'expected a number of bytes');
  if (typeof files !== 'number' || files < 0) fail(`${field}.files`, files, 'expected a number of files');
  return { name: str(o, 'name', field), size, files };
}

/** Checks a parsed run.json and returns it typed. */
export function parseRun(value: unknown): Run {
  const o = obj(value, 'run');
  const jobs = arr(o, 'jobs', 'run').map((j, i) => job(j, `jobs[${i}]`));
  const seen = new Set<string>();
  for (const [i, j] of jobs.entries()) {
    if (seen.has(j.key)) fail(`jobs[${i}].key`, j.key, 'expected a key no other job has');
    seen.add(j.key);
  }
  const run: Run = {
    conclusion: str(o, 'conclusion', 'run', 'unknown'),
    workflow: str(o, 'workflow', 'run', ''),
    file: str(o, 'file', 'run', ''),
    event: str(o, 'event', 'run', ''),
    ref: str(o, 'ref', 'run', ''),
    sha: str(o, 'sha', 'run', ''),
    artifacts: arr(o, 'artifacts', 'run').map((a, i) => artifact(a, `artifacts[${i}]`)),
    jobs,
  };
  const started = optTime(o, 'started', 'run');
  const ended = optTime(o, 'ended', 'run');
  if (started) run.started = started;
  if (ended) run.ended = ended;
  return run;
}

/** Reads OUT/run.json; a missing or unparsable file fails with one line naming it. */
export async function readRun(outDir: string): Promise<Run> {
  const file = join(outDir, 'run.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`No run folder at '${outDir}': ${file} cannot be read (${code ?? String(err)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file} is not JSON: ${(err as Error).message}`);
  }
  return parseRun(value);
}

/** Reads a text file of the run folder (a log, a summary); undefined when it is not there. */
export async function readRunText(outDir: string, rel: string | undefined | null): Promise<string | undefined> {
  if (!rel) return undefined;
  try {
    return await readFile(join(outDir, rel), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Milliseconds between two ISO times, or undefined when either is missing. */
export function elapsed(started?: string, ended?: string): number | undefined {
  if (!started || !ended) return undefined;
  const ms = Date.parse(ended) - Date.parse(started);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
