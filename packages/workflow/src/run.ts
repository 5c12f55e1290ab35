/**
 * The run: validates, checks events and filters, then runs the job graph (needs, if, matrix,
 * reusable workflows) with GitHub's semantics and writes the run folder (run.json, logs/,
 * summaries/, summary.md, artifacts/).
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ReusableWorkflowJob, WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { EVENTS, type EventName, eventPayload, filterReason, repositoryName } from './events.ts';
import { condition, evalToken, find, type Json, pairs, type Status, str, toData } from './expr.ts';
import { type JobScope, runJob } from './job.ts';
import { InvalidError, isReusable, type Loaded, loadWorkflow, type WorkflowDoc } from './load.ts';
import type { Terminal } from './log.ts';
import { Masker } from './mask.ts';
import { expandMatrix } from './matrix.ts';
import { preflight } from './preflight.ts';
import { Progress } from './progress.ts';
import { RepoResolver, type Source } from './source.ts';
import type { JobRecord, Result, RunRecord } from './types.ts';

export interface RunOptions {
  /** The workflow file. */
  file: string;
  /** The caller's repository (default: the current directory). */
  repo?: string;
  event: EventName;
  /** Default refs/heads/main. */
  ref?: string;
  /** Default: `git rev-parse HEAD` of repo. */
  sha?: string;
  /** workflow_dispatch inputs (strings, validated against on.workflow_dispatch.inputs). */
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  /** Environment variables of the runner machine (every step inherits them), on top of process.env. */
  env?: Record<string, string>;
  /** OWNER/NAME → DIR (tripo04os/actions → this checkout unless mapped). */
  repoMap?: Record<string, string>;
  /** Environments approved for this run ('all' approves every one). */
  approve?: string[];
  /** The run folder (default: a new temporary folder). */
  out?: string;
  /** Jobs running at once (default 8). */
  maxParallel?: number;
  /** Where progress goes (default: process.stdout). */
  terminal?: Terminal;
  /** Cancels the run (Ctrl-C): steps are killed, services stopped, `always()` jobs still run. */
  signal?: AbortSignal;
  /** OWNER/NAME of the caller (default: from its origin remote, else local/DIRNAME). */
  repository?: string;
  /** Write report.html at the end (default true when @tripo04os/report is available). */
  report?: boolean;
}

export interface RunOutcome {
  exitCode: 0 | 1;
  out: string;
  record: RunRecord;
}

/** Shared by every job of the run. */
export interface RunShared {
  opts: RunOptions;
  out: string;
  temp: string;
  masker: Masker;
  resolver: RepoResolver;
  progress: Progress;
  github: Record<string, Json>;
  vars: Record<string, string>;
  runnerEnv: Record<string, string>;
  callerSource: Source;
  repoDir: string;
  records: JobRecord[];
  keys: Set<string>;
  slots: Semaphore;
  signal: AbortSignal;
  cancelled: () => boolean;
  approve: Set<string>;
  loaded: Loaded;
}

export class Semaphore {
  private queue: (() => void)[] = [];
  private free: number;
  constructor(free: number) {
    this.free = free;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.queue.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** A scope of jobs: the top-level workflow or one called reusable workflow. */
interface GraphScope {
  doc: WorkflowDoc;
  jobs: WorkflowJob[];
  /** Call chain of reusable-workflow job ids ([] at top level). */
  chain: string[];
  /** Display path prefix ("pipeline / "). */
  pathPrefix: string;
  keyPrefix: string;
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  /** The workflow's `env:` (evaluated), not crossing reusable-workflow boundaries. */
  env: Record<string, string>;
  /** Keys of jobs outside this scope that the whole scope waited on (the caller job's needs). */
  outerNeeds: string[];
}

export interface JobOutcome {
  result: Result;
  outputs: Record<string, string>;
  keys: string[];
}

function now(): string {
  return new Date().toISOString();
}

export function safeKey(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'job';
}

export async function runWorkflow(opts: RunOptions): Promise<RunOutcome> {
  const started = now();
  const terminal = opts.terminal ?? { write: (t: string) => process.stdout.write(t) };
  const repoDir = resolve(opts.repo ?? process.cwd());
  if (!EVENTS.includes(opts.event)) throw new InvalidError(`--event ${opts.event}: expected one of ${EVENTS.join(', ')}`);
  let sha = opts.sha;
  if (!sha) {
    try {
      sha = execFileSync('git', ['-C', repoDir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      throw new InvalidError(`--repo ${repoDir}: not a git repository with a commit (needed for the default --sha)`);
    }
  }
  const ref = opts.ref ?? 'refs/heads/main';
  const repository = opts.repository ?? repositoryName(repoDir);
  const resolver = new RepoResolver(opts.repoMap ?? {}, (line) => terminal.write(`${line}\n`));
  const callerSource: Source = resolver.has(repository)
    ? { repo: repository, dir: repoDir, commit: null }
    : { repo: '', dir: repoDir, commit: null };
  const loaded = await loadWorkflow(opts.file, callerSource, resolver);
  const top = loaded.top;
  const workflowName = str(evalLiteral(find(top.root, 'name'))) || top.file;

  // Inputs of workflow_dispatch, validated before anything runs.
  const inputs = dispatchInputs(top, opts);
  preflight(loaded, resolver);

  const out = resolve(opts.out ?? mkdtempSync(join(tmpdir(), 'workflow-run-')));
  mkdirSync(join(out, 'logs'), { recursive: true });
  mkdirSync(join(out, 'summaries'), { recursive: true });
  mkdirSync(join(out, 'artifacts'), { recursive: true });
  const temp = mkdtempSync(join(tmpdir(), 'workflow-tmp-'));
  const masker = new Masker();
  const secrets: Record<string, string> = { ...(opts.secrets ?? {}) };
  secrets.GITHUB_TOKEN ??= `ghs_local${randomBytes(16).toString('hex')}`;
  for (const v of Object.values(secrets)) masker.add(v);
  const progress = new Progress(terminal, masker);
  progress.line(`run ${workflowName} (${top.file}) on ${opts.event} ${ref} ${sha.slice(0, 12)} → ${out}`);

  const spec = { repoDir, repository, event: opts.event, ref, sha, inputs, actor: process.env.USER || 'local' };
  const reason = filterReason(top.template.events as Record<string, unknown>, spec);
  const runRecordBase = { workflow: workflowName, file: top.file, event: opts.event, ref, sha, started };
  if (reason) {
    progress.line(`not run: ${reason}`);
    const record: RunRecord = { conclusion: 'skipped', ...runRecordBase, ended: now(), reason, artifacts: [], jobs: [] };
    writeFileSync(join(out, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
    writeFileSync(join(out, 'summary.md'), '');
    rmSync(temp, { recursive: true, force: true });
    return { exitCode: 0, out, record };
  }
  const ev = eventPayload(spec);
  if (opts.event === 'schedule') ev.payload.schedule = top.template.events.schedule?.[0]?.cron ?? '';
  const eventPath = join(temp, 'event.json');
  writeFileSync(eventPath, JSON.stringify(ev.payload, null, 2));
  const runId = String(Date.now());
  const github: Record<string, Json> = {
    token: secrets.GITHUB_TOKEN,
    event_name: opts.event,
    event: ev.payload as Json,
    event_path: eventPath,
    ref: ev.ref,
    ref_name: ev.ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\/pull\/(\d+)\/merge$/, '$1/merge'),
    ref_type: ev.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: false,
    head_ref: ev.headRef,
    base_ref: ev.baseRef,
    sha,
    repository,
    repository_owner: repository.split('/')[0] as string,
    repositoryUrl: `git://github.com/${repository}.git`,
    run_id: runId,
    run_number: '1',
    run_attempt: '1',
    retention_days: '90',
    actor: spec.actor,
    triggering_actor: spec.actor,
    workflow: workflowName,
    workflow_ref: `${repository}/${top.file}@${ev.ref}`,
    workflow_sha: sha,
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
    graphql_url: 'https://api.github.com/graphql',
    secret_source: 'Actions',
  };

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const runnerEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) runnerEnv[k] = v;
  Object.assign(runnerEnv, opts.env ?? {});
  const approve = new Set(opts.approve ?? []);
  const shared: RunShared = {
    opts,
    out,
    temp,
    masker,
    resolver,
    progress,
    github,
    vars: opts.vars ?? {},
    runnerEnv,
    callerSource,
    repoDir,
    records: [],
    keys: new Set(),
    slots: new Semaphore(Math.max(1, opts.maxParallel ?? 8)),
    signal: controller.signal,
    cancelled: () => controller.signal.aborted,
    approve,
    loaded,
  };

  const rootScope: GraphScope = {
    doc: top,
    jobs: top.template.jobs ?? [],
    chain: [],
    pathPrefix: '',
    keyPrefix: '',
    inputs: inputs as Record<string, Json>,
    secrets,
    env: {},
    outerNeeds: [],
  };
  try {
    rootScope.env = evalEnv(find(top.root, 'env'), ctxFor(shared, rootScope, {}), shared);
    await runGraph(shared, rootScope);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  // In the order the jobs started (skipped ones where they were decided).
  const jobs = [...shared.records].sort((a, b) => Date.parse(a.started) - Date.parse(b.started));
  const failed = jobs.some((j) => j.result === 'failure' && !j['continue-on-error']);
  const conclusion = shared.cancelled() ? 'cancelled' : failed ? 'failure' : 'success';
  const record: RunRecord = { conclusion, ...runRecordBase, ended: now(), artifacts: listArtifacts(join(out, 'artifacts')), jobs };
  const masked = masker.maskDeep(record);
  writeFileSync(join(out, 'run.json'), `${JSON.stringify(masked, null, 2)}\n`);
  writeSummary(out, masked);
  progress.table(masked);
  rmSync(temp, { recursive: true, force: true });
  if (opts.report !== false) await writeReportHook(out, progress);
  progress.line(`${conclusion} → ${out}`);
  return { exitCode: conclusion === 'success' ? 0 : 1, out, record: masked };
}

/**
 * HOOK (report): @tripo04os/report's `writeReport(outDir)` writes report.html from the run folder.
 * It lives on branch `report`; until it is merged, the page is not written.
 */
export async function writeReportHook(out: string, progress: Progress): Promise<string | null> {
  try {
    const name = '@tripo04os/report';
    const mod = (await import(name)) as { writeReport?: (dir: string) => Promise<string> };
    if (typeof mod.writeReport !== 'function') return null;
    const page = await mod.writeReport(out);
    progress.line(`report: ${page}`);
    return page;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
    progress.line(`warning: the report page was not written: ${(e as Error).message}`);
    return null;
  }
}

function writeSummary(out: string, record: RunRecord): void {
  const parts: string[] = [];
  for (const j of record.jobs) {
    if (!j.summary) continue;
    try {
      parts.push(readText(join(out, j.summary)));
    } catch {}
  }
  writeFileSync(join(out, 'summary.md'), parts.join('\n'));
}

function readText(f: string): string {
  return (process.getBuiltinModule('node:fs') as typeof import('node:fs')).readFileSync(f, 'utf8');
}

function listArtifacts(dir: string): RunRecord['artifacts'] {
  const out: RunRecord['artifacts'] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {}
  for (const name of names.sort()) {
    let size = 0;
    let files = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else {
          files++;
          size += statSync(p).size;
        }
      }
    };
    walk(join(dir, name));
    out.push({ name, size, files });
  }
  return out;
}

function evalLiteral(t: TemplateToken | undefined): Json {
  const v = t as unknown as { value?: Json } | undefined;
  return v?.value ?? null;
}

function evalLiteralTree(t: TemplateToken | undefined): Json {
  return t ? evalToken(t, toData({}), { status: () => 'success' }) : null;
}

function dispatchInputs(doc: WorkflowDoc, opts: RunOptions): Record<string, Json> {
  const given = opts.inputs ?? {};
  if (opts.event !== 'workflow_dispatch') {
    const names = Object.keys(given);
    if (names.length) throw new InvalidError(`--input ${names[0]}: inputs are given only with --event workflow_dispatch`);
    return {};
  }
  // From the YAML itself: the parser's model has no `number` input type.
  const defs = (evalLiteralTree(find(find(find(doc.root, 'on'), 'workflow_dispatch'), 'inputs')) ?? {}) as Record<
    string,
    { type?: string; required?: boolean; default?: Json; options?: string[] }
  >;
  const out: Record<string, Json> = {};
  for (const name of Object.keys(given)) {
    if (!(name in defs))
      throw new InvalidError(
        `--input ${name}=${given[name]}: the workflow has no input '${name}' (inputs: ${Object.keys(defs).join(', ') || 'none'})`,
      );
  }
  for (const [name, d] of Object.entries(defs)) {
    const raw = given[name];
    const type = d.type ?? 'string';
    if (raw === undefined) {
      if (d.required && d.default === undefined) throw new InvalidError(`--input ${name}: required by the workflow and not given`);
      out[name] =
        type === 'boolean' ? d.default === true || d.default === 'true' : type === 'number' ? Number(d.default ?? 0) : str(d.default ?? '');
      continue;
    }
    if (type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new InvalidError(`--input ${name}=${raw}: expected true or false`);
      out[name] = raw === 'true';
    } else if (type === 'number') {
      if (raw.trim() === '' || Number.isNaN(Number(raw))) throw new InvalidError(`--input ${name}=${raw}: expected a number`);
      out[name] = Number(raw);
    } else if (type === 'choice') {
      if (!d.options?.includes(raw)) throw new InvalidError(`--input ${name}=${raw}: expected one of ${(d.options ?? []).join(', ')}`);
      out[name] = raw;
    } else out[name] = raw;
  }
  return out;
}

/** Contexts available at the job level (github, needs, vars, inputs, matrix, strategy). */
export function ctxFor(shared: RunShared, scope: Pick<GraphScope, 'inputs' | 'secrets'>, extra: Record<string, unknown>) {
  return toData({ github: shared.github, vars: shared.vars, inputs: scope.inputs, secrets: scope.secrets, ...extra });
}

function evalEnv(token: TemplateToken | undefined, ctx: ReturnType<typeof toData>, shared: RunShared): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs(token)) out[k] = str(evalToken(v, ctx, { status: () => (shared.cancelled() ? 'cancelled' : 'success') }));
  return out;
}

async function runGraph(shared: RunShared, scope: GraphScope): Promise<Map<string, JobOutcome>> {
  const outcomes = new Map<string, Promise<JobOutcome>>();
  const settled = new Map<string, JobOutcome>();
  const byId = new Map(scope.jobs.map((j) => [j.id.value, j]));
  const start = (job: WorkflowJob): Promise<JobOutcome> => {
    let p = outcomes.get(job.id.value);
    if (!p) {
      p = (async () => {
        const needs = (job.needs ?? []).map((n) => n.value);
        const needOutcomes: Record<string, JobOutcome> = {};
        for (const n of needs) needOutcomes[n] = await start(byId.get(n) as WorkflowJob);
        const o = await runNode(shared, scope, job, needOutcomes, ancestorsFailed(job));
        settled.set(job.id.value, o);
        return o;
      })();
      outcomes.set(job.id.value, p);
    }
    return p;
  };
  const ancestorsFailed = (job: WorkflowJob): boolean => {
    const seen = new Set<string>();
    const walk = (j: WorkflowJob): boolean =>
      (j.needs ?? []).some((n) => {
        if (seen.has(n.value)) return false;
        seen.add(n.value);
        const o = settled.get(n.value);
        return o?.result === 'failure' || walk(byId.get(n.value) as WorkflowJob);
      });
    return walk(job);
  };
  await Promise.all(scope.jobs.map(start));
  return settled;
}

async function runNode(
  shared: RunShared,
  scope: GraphScope,
  job: WorkflowJob,
  needs: Record<string, JobOutcome>,
  anyAncestorFailed: boolean,
): Promise<JobOutcome> {
  const id = job.id.value;
  const needKeys = [...scope.outerNeeds, ...Object.values(needs).flatMap((n) => n.keys)];
  const needsCtx = Object.fromEntries(Object.entries(needs).map(([k, v]) => [k, { result: v.result, outputs: v.outputs }]));
  const allSucceeded = Object.values(needs).every((n) => n.result === 'success');
  const status: Status = {
    status: () =>
      shared.cancelled() ? 'cancelled' : anyAncestorFailed || !allSucceeded ? (anyAncestorFailed ? 'failure' : 'skipped') : 'success',
  };
  const ctx = ctxFor(shared, scope, { needs: needsCtx });
  const displayName = (matrix: Record<string, Json> | null, c = ctx) => {
    const nameToken = job.name as unknown as TemplateToken | undefined;
    let name = nameToken ? str(evalToken(nameToken, c, status)) : id;
    const isExpr = (nameToken as unknown as { templateTokenType?: number } | undefined)?.templateTokenType === 3;
    if (matrix && Object.keys(matrix).length && !isExpr) name += ` (${Object.values(matrix).map(matrixValue).join(', ')})`;
    return name;
  };
  /** Records a job (or matrix leg) that did not run: an empty log, no steps, one progress line. */
  const recordNotRun = (keyBase: string, name: string, matrix: Record<string, Json> | null, result: Result, why: string): JobOutcome => {
    const key = uniqueKey(shared, keyBase);
    const t = now();
    const path = scope.pathPrefix + name;
    writeFileSync(join(shared.out, 'logs', `${key}.log`), '');
    shared.records.push({
      key,
      id,
      path,
      name,
      workflow: scope.chain,
      needs: needKeys,
      result,
      matrix,
      outputs: {},
      started: t,
      ended: t,
      log: `logs/${key}.log`,
      summary: null,
      annotations: [],
      steps: [],
    });
    shared.progress.jobSkipped(path, result, why);
    return { result, outputs: {}, keys: [key] };
  };
  const skip = (result: Result, why: string): JobOutcome => recordNotRun(`${scope.keyPrefix}${id}`, displayName(null), null, result, why);

  let run: boolean;
  try {
    run = condition(job.if.expression, ctx, status);
  } catch (e) {
    return skip('failure', `if: ${(e as Error).message}`);
  }
  if (!run) return skip(shared.cancelled() ? 'cancelled' : 'skipped', `if: ${job.if.expression} is false`);

  // strategy: matrix legs
  let strategy: Record<string, Json> = {};
  try {
    strategy = (evalToken(job.strategy, ctx, status) ?? {}) as Record<string, Json>;
  } catch (e) {
    return skip('failure', `strategy: ${(e as Error).message}`);
  }
  const matrixDef = strategy.matrix as Record<string, Json> | undefined;
  let legs: (Record<string, Json> | null)[] = [null];
  if (matrixDef) {
    try {
      legs = expandMatrix(matrixDef);
    } catch (e) {
      return skip('failure', `strategy.matrix: ${(e as Error).message}`);
    }
    if (legs.length > 256) return skip('failure', `strategy.matrix: ${legs.length} jobs, GitHub allows 256 at most`);
    if (!legs.length) return skip('failure', 'strategy.matrix: the matrix has no combination');
  }
  const failFast = strategy['fail-fast'] !== false;
  const maxParallel = Number(strategy['max-parallel'] ?? legs.length) || legs.length;
  const legSlots = new Semaphore(maxParallel);
  const legAbort = new AbortController();
  const onRunAbort = () => legAbort.abort();
  shared.signal.addEventListener('abort', onRunAbort, { once: true });

  const runLeg = async (matrix: Record<string, Json> | null, index: number): Promise<JobOutcome> => {
    const release = await legSlots.acquire();
    try {
      const strategyCtx = { 'fail-fast': failFast, 'job-index': index, 'job-total': legs.length, 'max-parallel': maxParallel };
      const legCtx = ctxFor(shared, scope, { needs: needsCtx, matrix: matrix ?? {}, strategy: strategyCtx });
      const name = displayName(matrix, legCtx);
      const keyBase = `${scope.keyPrefix}${id}${matrix ? `.${Object.values(matrix).map(matrixValue).join('.')}` : ''}`;
      if (isReusable(job)) {
        return await runCall(shared, scope, job, { name, keyBase, matrix, strategyCtx, needsCtx, needKeys, legCtx });
      }
      if (legAbort.signal.aborted && !shared.cancelled()) {
        // fail-fast cancelled this leg before it started
        return recordNotRun(keyBase, name, matrix, 'cancelled', 'fail-fast: another leg of the matrix failed');
      }
      const jobScope: JobScope = {
        doc: scope.doc,
        job,
        key: uniqueKey(shared, keyBase),
        name,
        path: scope.pathPrefix + name,
        chain: scope.chain,
        needKeys,
        matrix,
        strategy: strategyCtx,
        needs: needsCtx,
        inputs: scope.inputs,
        secrets: scope.secrets,
        workflowEnv: scope.env,
        signal: legAbort.signal,
      };
      const release2 = await shared.slots.acquire();
      try {
        const o = await runJob(shared, jobScope);
        if (o.result === 'failure' && failFast && legs.length > 1) legAbort.abort();
        return o;
      } finally {
        release2();
      }
    } finally {
      release();
    }
  };
  const results = await Promise.all(legs.map((m, i) => runLeg(m, i)));
  shared.signal.removeEventListener('abort', onRunAbort);
  // Matrix outputs: the last successful leg that sets a value wins (in completion order).
  const outputs: Record<string, string> = {};
  for (const r of results) if (r.result === 'success') for (const [k, v] of Object.entries(r.outputs)) if (v !== '') outputs[k] = v;
  const result: Result = results.some((r) => r.result === 'failure')
    ? 'failure'
    : results.some((r) => r.result === 'cancelled')
      ? 'cancelled'
      : results.every((r) => r.result === 'skipped')
        ? 'skipped'
        : 'success';
  return { result, outputs, keys: results.flatMap((r) => r.keys) };
}

function matrixValue(v: Json): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

export function uniqueKey(shared: RunShared, base: string): string {
  const k = safeKey(base);
  let key = k;
  for (let i = 2; shared.keys.has(key); i++) key = `${k}-${i}`;
  shared.keys.add(key);
  return key;
}

/** A job that calls a reusable workflow: its inputs, secrets, then the callee's job graph and outputs. */
async function runCall(
  shared: RunShared,
  scope: GraphScope,
  job: ReusableWorkflowJob,
  leg: {
    name: string;
    keyBase: string;
    matrix: Record<string, Json> | null;
    strategyCtx: Record<string, Json>;
    needsCtx: Record<string, unknown>;
    needKeys: string[];
    legCtx: ReturnType<typeof toData>;
  },
): Promise<JobOutcome> {
  const callee = shared.loaded.callees.get(job) as WorkflowDoc;
  const status: Status = { status: () => (shared.cancelled() ? 'cancelled' : 'success') };
  const path = scope.pathPrefix + leg.name;
  const fail = (why: string): JobOutcome => {
    const key = uniqueKey(shared, leg.keyBase);
    const t = now();
    writeFileSync(join(shared.out, 'logs', `${key}.log`), `##[error]${shared.masker.mask(why)}\n`);
    shared.records.push({
      key,
      id: job.id.value,
      path,
      name: leg.name,
      workflow: scope.chain,
      needs: leg.needKeys,
      result: 'failure',
      matrix: leg.matrix,
      outputs: {},
      started: t,
      ended: t,
      log: `logs/${key}.log`,
      summary: null,
      annotations: [{ level: 'error', message: shared.masker.mask(why) }],
      steps: [],
    });
    shared.progress.jobSkipped(path, 'failure', why);
    return { result: 'failure', outputs: {}, keys: [key] };
  };
  // inputs: types, defaults, required (the parser already checked that required ones are given)
  const inputs: Record<string, Json> = {};
  try {
    const given = evalToken(job['input-values'], leg.legCtx, status) as Record<string, Json> | null;
    const givenLower = new Map(Object.entries(given ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [name, defToken] of pairs(job['input-definitions'])) {
      const def = (evalToken(defToken, leg.legCtx, status) ?? {}) as { type?: string; default?: Json; required?: boolean };
      const has = givenLower.has(name.toLowerCase());
      let v = has ? (givenLower.get(name.toLowerCase()) as Json) : (def.default ?? null);
      const type = def.type ?? 'string';
      if (v === null && !has) v = type === 'boolean' ? false : type === 'number' ? 0 : '';
      if (type === 'boolean' && typeof v !== 'boolean') {
        if (v === 'true' || v === 'false') v = v === 'true';
        else throw new Error(`Unexpected value for input '${name}': expected a boolean, got ${JSON.stringify(v)}`);
      }
      if (type === 'number' && typeof v !== 'number') {
        if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) v = Number(v);
        else throw new Error(`Unexpected value for input '${name}': expected a number, got ${JSON.stringify(v)}`);
      }
      if (type === 'string' && typeof v !== 'string') v = str(v);
      inputs[name] = v;
    }
  } catch (e) {
    return fail(`${job.ref.value}: ${(e as Error).message}`);
  }
  // secrets: explicit or inherit
  let secrets: Record<string, string> = { GITHUB_TOKEN: scope.secrets.GITHUB_TOKEN as string };
  if (job['inherit-secrets']) secrets = { ...scope.secrets };
  else {
    const given = (evalToken(job['secret-values'], leg.legCtx, status) ?? {}) as Record<string, Json>;
    for (const [k, v] of Object.entries(given)) secrets[k] = str(v);
    for (const [name, defToken] of pairs(job['secret-definitions'])) {
      const def = (evalToken(defToken, leg.legCtx, status) ?? {}) as { required?: boolean };
      if (def?.required && !secrets[name]) return fail(`${job.ref.value}: secret ${name} is required, but not provided while calling`);
    }
  }
  for (const v of Object.values(secrets)) shared.masker.add(v);
  const keyPrefix = `${safeKey(leg.keyBase)}.`;
  const calleeScope: GraphScope = {
    doc: callee,
    jobs: job.jobs ?? [],
    chain: [...scope.chain, job.id.value],
    pathPrefix: `${path} / `,
    keyPrefix,
    inputs,
    secrets,
    env: {},
    outerNeeds: leg.needKeys,
  };
  try {
    calleeScope.env = evalEnv(find(callee.root, 'env'), ctxFor(shared, calleeScope, {}), shared);
  } catch (e) {
    return fail(`${callee.file}: env: ${(e as Error).message}`);
  }
  shared.progress.line(`${path}: calls ${job.ref.value} (${callee.file})`);
  const inner = await runGraph(shared, calleeScope);
  const jobsCtx = Object.fromEntries([...inner].map(([k, v]) => [k, { result: v.result, outputs: v.outputs }]));
  const outputs: Record<string, string> = {};
  const outCtx = ctxFor(shared, calleeScope, { jobs: jobsCtx });
  for (const [name, defToken] of pairs(job.outputs)) {
    try {
      const valueToken = find(defToken, 'value');
      outputs[name] = str(evalToken(valueToken, outCtx, status));
    } catch (e) {
      shared.progress.line(`${path}: output ${name}: ${(e as Error).message}`);
    }
  }
  const results = [...inner.values()];
  const result: Result = shared.cancelled()
    ? 'cancelled'
    : results.some((r) => r.result === 'failure')
      ? 'failure'
      : results.some((r) => r.result === 'cancelled')
        ? 'cancelled'
        : 'success';
  return { result, outputs, keys: results.flatMap((r) => r.keys) };
}
