/**
 * One job on this machine: environment approval, concurrency and permissions shown, services,
 * steps (run, JavaScript actions with pre/main/post and state, composite actions, stand-ins),
 * the runner's files and commands, outputs, timeout and continue-on-error.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_id
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Job } from '@actions/workflow-parser/model/workflow-template';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { condition, evalToken, find, type Json, type Status, str, toData } from './expr.ts';
import { readKeyValueFile, readPathFile } from './files.ts';
import { interpolate } from './interpolate.ts';
import type { WorkflowDoc } from './load.ts';
import { JobLog } from './log.ts';
import { runProcess } from './proc.ts';
import type { JobOutcome, RunShared } from './run.ts';
import { type ServiceHandle, startServices } from './services.ts';
import { STANDINS, standInName } from './standins.ts';
import type { Result, StepRecord } from './types.ts';

export interface JobScope {
  doc: WorkflowDoc;
  job: Job;
  key: string;
  name: string;
  path: string;
  chain: string[];
  needKeys: string[];
  matrix: Record<string, Json> | null;
  strategy: Record<string, Json>;
  needs: Record<string, unknown>;
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  workflowEnv: Record<string, string>;
  signal: AbortSignal;
}

/** A value from a workflow (parser token) or from an action.yml (plain YAML with `${{ }}` in strings). */
type Val = { token: TemplateToken | undefined } | { raw: unknown };

interface StepDef {
  id: string;
  explicitId: boolean;
  name: Val | null;
  if: string;
  env: Val;
  run?: Val;
  uses?: string;
  with: Val;
  shell?: Val;
  workingDirectory?: Val;
  timeoutMinutes?: Val;
  continueOnError?: Val;
}

interface StepCtx {
  outputs: Record<string, string>;
  outcome: Result;
  conclusion: Result;
}

/** Steps run in a frame: the job's, or a composite action's (its own steps and inputs contexts). */
interface Frame {
  steps: Record<string, StepCtx>;
  inputs: Record<string, Json>;
  actionPath?: string;
  /** Status of the frame: failure once a step failed without continue-on-error. */
  failed: boolean;
  /** Workspace-relative `./` actions resolve against the workspace; composites resolve theirs too. */
  depth: number;
}

interface JobState {
  shared: RunShared;
  scope: JobScope;
  log: JobLog;
  workspace: string;
  runnerTemp: string;
  env: Record<string, string>;
  globalEnv: Record<string, string>;
  extraPath: string[];
  defaults: { shell?: string; 'working-directory'?: string };
  posts: (() => Promise<void>)[];
  summary: string[];
  stepRecords: StepRecord[];
  services: Record<string, unknown>;
  serviceEnv: Record<string, string>;
  counter: number;
  cancelled: () => boolean;
  jobEnv: Record<string, string>;
  timedOut: boolean;
  /** A step of the job failed (without continue-on-error): job.status is 'failure'. */
  failed: boolean;
}

function now(): string {
  return new Date().toISOString();
}

export async function runJob(shared: RunShared, scope: JobScope): Promise<JobOutcome> {
  const started = now();
  const { key, job } = scope;
  const rawJob = find(find(scope.doc.root, 'jobs'), job.id.value);
  const log = new JobLog(join(shared.out, 'logs', `${key}.log`), `[${scope.path}]`, shared.progress.term, shared.masker);
  shared.progress.jobStarted(scope.path);
  const workspace = join(shared.temp, 'ws', key);
  const runnerTemp = join(shared.temp, 'tmp', key);
  mkdirSync(workspace, { recursive: true });
  mkdirSync(runnerTemp, { recursive: true });
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  scope.signal.addEventListener('abort', onAbort, { once: true });
  shared.signal.addEventListener('abort', onAbort, { once: true });
  const st: JobState = {
    shared,
    scope,
    log,
    workspace,
    runnerTemp,
    env: {},
    globalEnv: {},
    extraPath: [],
    defaults: {},
    posts: [],
    summary: [],
    stepRecords: [],
    services: {},
    serviceEnv: {},
    counter: 0,
    cancelled: () => abort.signal.aborted,
    jobEnv: {},
    timedOut: false,
    failed: false,
  };
  (st as JobState & { abort: AbortController }).abort = abort;
  let result: Result = 'success';
  let outputs: Record<string, string> = {};
  let services: ServiceHandle | null = null;
  const record = {
    environment: null as { name: string; url?: string } | null,
    concurrency: null as string | null,
    permissions: null as unknown,
    coe: false,
  };
  const status: Status = { status: () => (st.cancelled() ? 'cancelled' : 'success'), workspace };
  const baseCtx = () => jobCtx(st, {});
  let timer: NodeJS.Timeout | undefined;
  try {
    log.startStep('Set up job');
    // timeout-minutes and continue-on-error (job level)
    const timeoutMin = Number(evalToken(find(rawJob, 'timeout-minutes'), baseCtx(), status) ?? 360);
    record.coe = evalToken(find(rawJob, 'continue-on-error'), baseCtx(), status) === true;
    timer = setTimeout(
      () => {
        st.timedOut = true;
        log.error(`The job running on runner local has exceeded the maximum execution time of ${timeoutMin} minutes.`);
        abort.abort();
      },
      Math.max(1, timeoutMin * 60_000),
    );
    // permissions (shown, not enforced), concurrency (evaluated, shown), environment (approval)
    record.permissions = evalToken(find(rawJob, 'permissions') ?? find(scope.doc.root, 'permissions'), baseCtx(), status);
    if (record.permissions !== null) log.info(`permissions (not enforced here): ${JSON.stringify(record.permissions)}`);
    const conc = evalToken(job.concurrency ?? find(scope.doc.root, 'concurrency'), baseCtx(), status);
    if (conc !== null) {
      record.concurrency = typeof conc === 'object' && !Array.isArray(conc) ? str((conc as Record<string, Json>).group) : str(conc);
      log.info(`concurrency group: ${record.concurrency}`);
    }
    const envJson = evalToken(job.environment, baseCtx(), status);
    if (envJson !== null) {
      const e = typeof envJson === 'string' ? { name: envJson } : (envJson as { name?: string; url?: string });
      record.environment = { name: str(e.name ?? '') };
      const approved = shared.approve.has('all') || shared.approve.has(record.environment.name);
      log.info(`environment: ${record.environment.name}${approved ? ' (approved with --approve)' : ''}`);
      if (!approved) {
        log.error(
          `environment ${record.environment.name}: not approved (the job waits for a reviewer on GitHub; approve it here with --approve ${record.environment.name})`,
        );
        throw new JobFailed();
      }
    }
    // job env (workflow env < job env) and defaults.run
    st.jobEnv = { ...scope.workflowEnv };
    for (const [k, v] of Object.entries((evalToken(job.env, jobCtx(st, {}), status) ?? {}) as Record<string, Json>)) st.jobEnv[k] = str(v);
    const wfDefaults = (evalToken(find(find(scope.doc.root, 'defaults'), 'run'), baseCtx(), status) ?? {}) as Record<string, Json>;
    const jobDefaults = (evalToken(find(find(rawJob, 'defaults'), 'run'), baseCtx(), status) ?? {}) as Record<string, Json>;
    st.defaults = { ...wfDefaults, ...jobDefaults } as JobState['defaults'];
    // services
    const servicesSpec = evalToken(job.services, baseCtx(), status) as Record<string, Record<string, Json>> | null;
    if (servicesSpec && Object.keys(servicesSpec).length) {
      services = await startServices(servicesSpec, {
        log: (l) => log.info(l),
        signal: abort.signal,
      });
      st.services = services.context;
      st.serviceEnv = services.env;
    }
    // steps
    const steps = workflowSteps(job, rawJob);
    const frame: Frame = { steps: {}, inputs: scope.inputs, failed: false, depth: 0 };
    await runPres(st, frame, steps);
    for (const step of steps) await runStep(st, frame, step);
    if (frame.failed) result = 'failure';
  } catch (e) {
    if (!(e instanceof JobFailed)) log.error((e as Error).message);
    result = 'failure';
  } finally {
    // post steps (reverse order), then services
    for (const post of st.posts.reverse()) {
      try {
        await post();
      } catch (e) {
        log.error((e as Error).message);
      }
    }
    if (services) {
      log.startStep('Stop services');
      await services.stop();
    }
    clearTimeout(timer);
    scope.signal.removeEventListener('abort', onAbort);
    shared.signal.removeEventListener('abort', onAbort);
  }
  if (st.stepRecords.some((s) => s.conclusion === 'failure')) result = 'failure';
  if (st.timedOut) result = 'failure';
  else if (st.cancelled() && result !== 'failure') result = 'cancelled';
  // outputs (evaluated at job end with the steps context); a value holding a secret is dropped, as GitHub does
  const finalFrameCtx = jobCtx(st, { steps: (st as JobState & { lastSteps?: Record<string, StepCtx> }).lastSteps ?? {} });
  outputs = {};
  for (const [name, t] of pairsOf(job.outputs)) {
    try {
      const v = str(evalToken(t, finalFrameCtx, status));
      if (shared.masker.mask(v) !== v) log.warning(`Skip output '${name}' since it may contain secret.`);
      else outputs[name] = v;
    } catch (e) {
      log.error(`outputs.${name}: ${(e as Error).message}`);
    }
  }
  const ended = now();
  log.flush();
  let summaryPath: string | null = null;
  if (st.summary.length) {
    summaryPath = `summaries/${key}.md`;
    writeFileSync(join(shared.out, summaryPath), shared.masker.mask(st.summary.join('\n')));
  }
  const finalResult: Result = result === 'failure' && record.coe ? 'failure' : result;
  shared.records.push({
    key,
    id: job.id.value,
    path: scope.path,
    name: scope.name,
    workflow: scope.chain,
    needs: scope.needKeys,
    result: finalResult,
    matrix: scope.matrix,
    outputs,
    started,
    ended,
    log: `logs/${key}.log`,
    summary: summaryPath,
    annotations: log.annotations,
    steps: st.stepRecords,
    environment: record.environment,
    concurrency: record.concurrency,
    permissions: record.permissions,
    ...(record.coe ? { 'continue-on-error': true } : {}),
  });
  shared.progress.jobEnded(scope.path, finalResult, started, ended);
  // A job with continue-on-error does not fail the run or its dependents.
  return { result: finalResult === 'failure' && record.coe ? 'success' : finalResult, outputs, keys: [key] };
}

class JobFailed extends Error {}

function pairsOf(token: TemplateToken | undefined): [string, TemplateToken][] {
  const out: [string, TemplateToken][] = [];
  if (!token) return out;
  for (const p of token as unknown as Iterable<{ key: { value: string }; value: TemplateToken }>) out.push([p.key.value, p.value]);
  return out;
}

function workflowSteps(job: Job, rawJob: TemplateToken | undefined): StepDef[] {
  const rawSteps = find(rawJob, 'steps') as unknown as { get(i: number): TemplateToken } | undefined;
  return job.steps.map((s, i) => {
    const raw = rawSteps?.get(i);
    const t = (k: string): Val => ({ token: find(raw, k) });
    const step = s as unknown as {
      id: string;
      name?: TemplateToken;
      if?: { expression: string };
      env?: TemplateToken;
      run?: TemplateToken;
      uses?: { value: string };
    };
    const def: StepDef = {
      id: step.id,
      explicitId: !step.id.startsWith('__'),
      name: step.name ? { token: step.name } : null,
      if: step.if?.expression ?? 'success()',
      env: { token: step.env },
      with: t('with'),
      shell: t('shell'),
      workingDirectory: t('working-directory'),
      timeoutMinutes: t('timeout-minutes'),
      continueOnError: t('continue-on-error'),
    };
    if (step.run) def.run = { token: step.run };
    if (step.uses) def.uses = step.uses.value;
    return def;
  });
}

/** Contexts of the job (github with job fields, env, needs, matrix, strategy, job, runner, steps, inputs, secrets, vars). */
function jobCtx(
  st: JobState,
  extra: { steps?: Record<string, StepCtx>; env?: Record<string, string>; inputs?: Record<string, Json>; actionPath?: string },
) {
  const { shared, scope } = st;
  return toData({
    github: {
      ...shared.github,
      job: scope.job.id.value,
      workspace: st.workspace,
      action_path: extra.actionPath ?? '',
      ...(extra.env
        ? {
            env: extra.env.GITHUB_ENV,
            output: extra.env.GITHUB_OUTPUT,
            path: extra.env.GITHUB_PATH,
            step_summary: extra.env.GITHUB_STEP_SUMMARY,
          }
        : {}),
    },
    env: extra.env ?? { ...st.globalEnv, ...st.jobEnv },
    vars: shared.vars,
    secrets: scope.secrets,
    inputs: extra.inputs ?? scope.inputs,
    matrix: scope.matrix ?? {},
    strategy: scope.strategy,
    needs: scope.needs,
    steps: extra.steps ?? {},
    job: {
      status: st.cancelled() ? 'cancelled' : st.failed ? 'failure' : 'success',
      services: st.services,
      container: { id: '', network: '' },
    },
    runner: {
      os: 'Linux',
      arch: runnerArch(),
      name: 'local',
      temp: st.runnerTemp,
      tool_cache: join(shared.temp, 'tool-cache'),
      environment: 'self-hosted',
      debug: '',
    },
  });
}

function runnerArch(): string {
  const a = arch();
  return a === 'x64' ? 'X64' : a === 'arm64' ? 'ARM64' : a === 'arm' ? 'ARM' : a.toUpperCase();
}

/** Evaluates a Val with the step's contexts. */
function ev(v: Val | null | undefined, ctx: ReturnType<typeof toData>, status: Status): Json {
  if (!v) return null;
  if ('token' in v) return evalToken(v.token, ctx, status);
  return interpolate(v.raw, ctx, status);
}

function stepStatus(st: JobState, frame: Frame): Status {
  return { status: () => (st.cancelled() ? 'cancelled' : frame.failed ? 'failure' : 'success'), workspace: st.workspace };
}

/** The process environment of a step, and the files the runner gives it. */
function stepEnv(st: JobState, stepEnvVals: Record<string, string>, actionPath?: string) {
  const { shared, scope } = st;
  const n = ++st.counter;
  const dir = join(st.runnerTemp, '_runner_file_commands');
  mkdirSync(dir, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(dir, `set_output_${n}`),
    GITHUB_ENV: join(dir, `set_env_${n}`),
    GITHUB_PATH: join(dir, `add_path_${n}`),
    GITHUB_STATE: join(dir, `save_state_${n}`),
    GITHUB_STEP_SUMMARY: join(dir, `step_summary_${n}`),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const g = shared.github;
  const env: Record<string, string> = {
    ...shared.runnerEnv,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: st.workspace,
    GITHUB_SHA: str(g.sha),
    GITHUB_REF: str(g.ref),
    GITHUB_REF_NAME: str(g.ref_name),
    GITHUB_REF_TYPE: str(g.ref_type),
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_HEAD_REF: str(g.head_ref),
    GITHUB_BASE_REF: str(g.base_ref),
    GITHUB_REPOSITORY: str(g.repository),
    GITHUB_REPOSITORY_OWNER: str(g.repository_owner),
    GITHUB_EVENT_NAME: str(g.event_name),
    GITHUB_EVENT_PATH: str(g.event_path),
    GITHUB_RUN_ID: str(g.run_id),
    GITHUB_RUN_NUMBER: str(g.run_number),
    GITHUB_RUN_ATTEMPT: str(g.run_attempt),
    GITHUB_RETENTION_DAYS: '90',
    GITHUB_SERVER_URL: str(g.server_url),
    GITHUB_API_URL: str(g.api_url),
    GITHUB_GRAPHQL_URL: str(g.graphql_url),
    GITHUB_ACTOR: str(g.actor),
    GITHUB_TRIGGERING_ACTOR: str(g.triggering_actor),
    GITHUB_WORKFLOW: str(g.workflow),
    GITHUB_WORKFLOW_REF: str(g.workflow_ref),
    GITHUB_WORKFLOW_SHA: str(g.workflow_sha),
    GITHUB_JOB: scope.job.id.value,
    GITHUB_ACTION: `__run_${n}`,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: runnerArch(),
    RUNNER_NAME: 'local',
    RUNNER_ENVIRONMENT: 'self-hosted',
    RUNNER_TEMP: st.runnerTemp,
    RUNNER_TOOL_CACHE: join(shared.temp, 'tool-cache'),
    RUNNER_WORKSPACE: join(st.workspace, '..'),
    ...st.serviceEnv,
    ...st.globalEnv,
    ...st.jobEnv,
    ...stepEnvVals,
    ...files,
  };
  if (actionPath) env.GITHUB_ACTION_PATH = actionPath;
  if (st.extraPath.length) env.PATH = [...st.extraPath].reverse().join(delimiter) + delimiter + (env.PATH ?? '');
  return { env, files };
}

/** After a step: GITHUB_ENV, GITHUB_PATH, summary; returns the outputs and state it wrote. */
function collect(
  st: JobState,
  files: ReturnType<typeof stepEnv>['files'],
): { outputs: Record<string, string>; state: Record<string, string> } {
  for (const [k, v] of Object.entries(readKeyValueFile(files.GITHUB_ENV))) {
    if (/^(GITHUB_|RUNNER_)/.test(k) && k !== 'GITHUB_TOKEN') continue;
    st.globalEnv[k] = v;
    if (k in st.jobEnv) st.jobEnv[k] = v;
  }
  st.extraPath.push(...readPathFile(files.GITHUB_PATH));
  const summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
  if (summary.trim()) st.summary.push(summary);
  return { outputs: readKeyValueFile(files.GITHUB_OUTPUT), state: readKeyValueFile(files.GITHUB_STATE) };
}

async function runStep(st: JobState, frame: Frame, step: StepDef): Promise<void> {
  const { log, shared } = st;
  const status = stepStatus(st, frame);
  const prelimCtx = jobCtx(st, { steps: frame.steps, inputs: frame.inputs, actionPath: frame.actionPath });
  let name: string;
  try {
    name = step.name
      ? str(ev(step.name, prelimCtx, status))
      : step.run
        ? `Run ${firstLine(str(ev(step.run, prelimCtx, status)))}`
        : `Run ${step.uses}`;
  } catch {
    name = step.uses ? `Run ${step.uses}` : step.id;
  }
  const started = now();
  const record = (outcome: Result, conclusion: Result) => {
    const ended = now();
    if (frame.depth === 0) {
      st.stepRecords.push({ id: step.id, name: shared.masker.mask(name), outcome, conclusion, started, ended });
      shared.progress.step(st.scope.path, name, outcome, conclusion, started, ended);
    }
    if (step.explicitId || frame.depth > 0) frame.steps[step.id] = { outputs: frame.steps[step.id]?.outputs ?? {}, outcome, conclusion };
    (st as JobState & { lastSteps?: Record<string, StepCtx> }).lastSteps =
      frame.depth === 0 ? frame.steps : (st as JobState & { lastSteps?: Record<string, StepCtx> }).lastSteps;
  };
  let run: boolean;
  try {
    run = condition(step.if, prelimCtx, status);
  } catch (e) {
    log.startStep(name);
    log.error(`if: ${(e as Error).message}`);
    frame.failed = true;
    record('failure', 'failure');
    return;
  }
  if (!run) {
    if (frame.depth === 0) log.quiet(`##[step]${name}`);
    record('skipped', 'skipped');
    return;
  }
  log.startStep(name);
  let outcome: Result = 'success';
  let coe = false;
  try {
    // env of the step (evaluated with the env context of the job)
    const stepEnvVals: Record<string, string> = {};
    for (const [k, v] of Object.entries((ev(step.env, prelimCtx, status) ?? {}) as Record<string, Json>)) stepEnvVals[k] = str(v);
    coe = ev(step.continueOnError ?? null, prelimCtx, status) === true;
    const timeoutMin = Number(ev(step.timeoutMinutes ?? null, prelimCtx, status) ?? 0);
    const timeoutMs = timeoutMin > 0 ? timeoutMin * 60_000 : undefined;
    const envCtx = { ...st.globalEnv, ...st.jobEnv, ...stepEnvVals };
    const ctx = jobCtx(st, { steps: frame.steps, inputs: frame.inputs, env: envCtx, actionPath: frame.actionPath });
    let outputs: Record<string, string> = {};
    if (step.run) {
      outputs = await runScript(st, frame, step, ctx, status, stepEnvVals, timeoutMs);
    } else if (step.uses) {
      outputs = await runUses(st, frame, step, ctx, status, stepEnvVals, timeoutMs);
    }
    frame.steps[step.id] = { outputs, outcome: 'success', conclusion: 'success' };
  } catch (e) {
    outcome = 'failure';
    if (!(e instanceof StepFailed)) log.error((e as Error).message);
  }
  if (st.cancelled() && outcome === 'success' && st.timedOut) outcome = 'failure';
  const conclusion: Result = outcome === 'failure' && coe ? 'success' : outcome;
  if (conclusion === 'failure') {
    frame.failed = true;
    if (frame.depth === 0) st.failed = true;
  }
  record(outcome, conclusion);
}

class StepFailed extends Error {}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

const SHELLS: Record<string, { cmd: string; ext: string }> = {
  bash: { cmd: 'bash --noprofile --norc -eo pipefail {0}', ext: '.sh' },
  sh: { cmd: 'sh -e {0}', ext: '.sh' },
  python: { cmd: 'python {0}', ext: '.py' },
};

/** What running one step (a script or an action) is given. */
type StepCall = [
  st: JobState,
  frame: Frame,
  step: StepDef,
  ctx: ReturnType<typeof toData>,
  status: Status,
  stepEnvVals: Record<string, string>,
  timeoutMs: number | undefined,
];

async function runScript(...[st, frame, step, ctx, status, stepEnvVals, timeoutMs]: StepCall): Promise<Record<string, string>> {
  const script = str(ev(step.run, ctx, status));
  const shellVal = str(ev(step.shell ?? null, ctx, status)) || (frame.depth === 0 ? (st.defaults.shell ?? '') : '');
  if (frame.depth > 0 && !shellVal) throw new Error('Required property is missing: shell (composite action steps must set it)');
  const wd = str(ev(step.workingDirectory ?? null, ctx, status)) || (frame.depth === 0 ? (st.defaults['working-directory'] ?? '') : '');
  let template: string;
  let ext = '.sh';
  if (!shellVal) template = 'bash -e {0}';
  else if (SHELLS[shellVal]) {
    template = (SHELLS[shellVal] as { cmd: string }).cmd;
    ext = (SHELLS[shellVal] as { ext: string }).ext;
  } else if (shellVal.includes('{0}')) template = shellVal;
  else if (shellVal === 'pwsh' || shellVal === 'powershell' || shellVal === 'cmd')
    throw new Error(`shell: ${shellVal} is not supported here (bash, sh, python or a custom '… {0}' template)`);
  else throw new Error(`shell: ${shellVal}: expected bash, sh, python or a command template with {0}`);
  const file = join(st.runnerTemp, `${randomName()}${ext}`);
  writeFileSync(file, script);
  const parts = splitArgs(template);
  let cmd = parts[0] as string;
  if (cmd === 'python' && !hasProgram('python', st)) cmd = 'python3';
  const args = parts.slice(1).map((p) => p.replace('{0}', file));
  const { env, files } = stepEnv(st, stepEnvVals, frame.actionPath);
  const cwd = wd ? (isAbsolute(wd) ? wd : resolve(st.workspace, wd)) : st.workspace;
  if (!existsSync(cwd)) throw new Error(`working-directory: ${wd}: no such directory in the workspace`);
  const r = await runProcess(cmd, args, {
    cwd,
    env,
    log: st.log,
    timeoutMs,
    signal: (st as unknown as { abort: AbortController }).abort.signal,
  });
  const out = collect(st, files);
  if (r.timedOut) throw new Error(`The action has timed out (timeout-minutes: ${(timeoutMs ?? 0) / 60_000}).`);
  if (r.cancelled) throw new Error('The operation was canceled.');
  if (r.code !== 0) {
    st.log.error(`Process completed with exit code ${r.code}.`);
    throw new StepFailed();
  }
  return out.outputs;
}

/** Splits a shell template into words, honouring single and double quotes. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | null = null;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

const programCache = new Map<string, boolean>();
function hasProgram(name: string, st: JobState): boolean {
  let v = programCache.get(name);
  if (v === undefined) {
    v = (st.shared.runnerEnv.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, name)));
    programCache.set(name, v);
  }
  return v;
}

function randomName(): string {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

// ---- uses: -------------------------------------------------------------------------------------

interface ActionYaml {
  name?: string;
  inputs?: Record<string, { default?: unknown; required?: boolean; description?: string }>;
  outputs?: Record<string, { value?: string; description?: string }>;
  runs?: {
    using?: string;
    main?: string;
    pre?: string;
    post?: string;
    'pre-if'?: string;
    'post-if'?: string;
    steps?: Record<string, unknown>[];
    image?: string;
  };
}

/** Where an action's files are: a stand-in, a folder in the workspace, or a mapped repository. */
export function resolveActionDir(st: { shared: RunShared; workspace: string }, uses: string): { standIn: string } | { dir: string } {
  if (uses.startsWith('docker://')) throw new Error(`uses: ${uses}: Docker actions are not supported here`);
  if (uses.startsWith('./') || uses.startsWith('../')) {
    const dir = resolve(st.workspace, uses);
    return { dir };
  }
  const m = /^([^/@]+)\/([^/@]+)(\/[^@]*)?@(.+)$/.exec(uses);
  if (!m) throw new Error(`uses: ${uses}: expected ./PATH, OWNER/REPO[/PATH]@REF or docker://IMAGE`);
  const repo = `${m[1]}/${m[2]}`;
  const stand = standInName(uses);
  if (stand) return { standIn: stand };
  const src = st.shared.resolver.source(repo, m[4] as string);
  if (!src) throw new Error(unknownActionMessage(uses));
  return { dir: join(st.shared.resolver.tree(src), (m[3] ?? '').replace(/^\//, '')) };
}

export function unknownActionMessage(uses: string): string {
  return `uses: ${uses}: third-party actions cannot be fetched here and this one has no local stand-in (stand-ins: ${Object.keys(STANDINS).join(', ')}; map a repository with --repo-map OWNER/NAME=DIR)`;
}

/** yaml is loaded on first use (start-up time: most workflows run no action.yml). */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
}

function readActionYaml(dir: string, uses: string): ActionYaml {
  for (const f of ['action.yml', 'action.yaml']) {
    const p = join(dir, f);
    if (existsSync(p)) return parseYaml(readFileSync(p, 'utf8')) as ActionYaml;
  }
  throw new Error(
    `Can't find 'action.yml' or 'action.yaml' under '${dir}' for uses: ${uses}. Did you forget to run actions/checkout before running your local action?`,
  );
}

function actionInputs(
  st: JobState,
  action: ActionYaml,
  given: Record<string, Json>,
  ctx: ReturnType<typeof toData>,
  status: Status,
  uses: string,
) {
  const inputs: Record<string, string> = {};
  const defs = action.inputs ?? {};
  const unexpected = Object.keys(given).filter((k) => !(k in defs));
  if (unexpected.length)
    st.log.warning(`Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(defs).join("', '")}'] (${uses})`);
  for (const [k, d] of Object.entries(defs)) {
    if (d?.default !== undefined) inputs[k] = str(interpolate(d.default, ctx, status));
  }
  for (const [k, v] of Object.entries(given)) inputs[k] = str(v);
  return inputs;
}

function inputEnv(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  return env;
}

function nodeFor(using: string, st: JobState): string {
  if (using === 'node24') return process.execPath.includes('node') && process.versions.node.startsWith('24.') ? process.execPath : 'node';
  if (using === 'node20' && hasProgram('node', st)) return 'node';
  return process.execPath;
}

async function runPres(st: JobState, frame: Frame, steps: StepDef[]): Promise<void> {
  for (const step of steps) {
    if (!step.uses || step.uses.startsWith('./')) continue;
    let where: ReturnType<typeof resolveActionDir>;
    try {
      where = resolveActionDir(st, step.uses);
    } catch {
      continue;
    }
    if (!('dir' in where)) continue;
    let action: ActionYaml;
    try {
      action = readActionYaml(where.dir, step.uses);
    } catch {
      continue;
    }
    const runs = action.runs ?? {};
    if (!runs.pre || !/^node\d+$/.test(runs.using ?? '')) continue;
    const status = stepStatus(st, frame);
    const ctx = jobCtx(st, { steps: frame.steps });
    const preIf = runs['pre-if'] ?? 'always()';
    if (!condition(ensureStatus(stripExpr(preIf)), ctx, status)) continue;
    const name = `Pre ${step.uses}`;
    st.log.startStep(name);
    const started = now();
    const given = (ev(step.with, ctx, status) ?? {}) as Record<string, Json>;
    const inputs = actionInputs(st, action, given, ctx, status, step.uses);
    const { env, files } = stepEnv(st, inputEnv(inputs), where.dir);
    const r = await runProcess(nodeFor(runs.using as string, st), [join(where.dir, runs.pre)], {
      cwd: st.workspace,
      env,
      log: st.log,
      signal: (st as unknown as { abort: AbortController }).abort.signal,
    });
    const out = collect(st, files);
    (st as JobState & { preState?: Map<StepDef, Record<string, string>> }).preState ??= new Map();
    (st as JobState & { preState: Map<StepDef, Record<string, string>> }).preState.set(step, out.state);
    const ok = r.code === 0;
    if (!ok) {
      st.log.error(`Process completed with exit code ${r.code}.`);
      frame.failed = true;
    }
    st.stepRecords.push({
      id: `pre-${step.id}`,
      name,
      outcome: ok ? 'success' : 'failure',
      conclusion: ok ? 'success' : 'failure',
      started,
      ended: now(),
    });
  }
}

function stripExpr(s: string): string {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(s);
  return m ? (m[1] as string).trim() : s;
}

export function ensureStatus(expr: string): string {
  return /\b(success|failure|always|cancelled)\s*\(/.test(expr) ? expr : `success() && (${expr})`;
}

async function runUses(...[st, frame, step, ctx, status, stepEnvVals, timeoutMs]: StepCall): Promise<Record<string, string>> {
  const uses = step.uses as string;
  const where = resolveActionDir(st, uses);
  const given = (ev(step.with, ctx, status) ?? {}) as Record<string, Json>;
  if ('standIn' in where) {
    const s = STANDINS[where.standIn]!;
    const { env } = stepEnv(st, stepEnvVals);
    const r = await s.run({
      inputs: Object.fromEntries(Object.entries(given).map(([k, v]) => [k, str(v)])),
      workspace: st.workspace,
      out: st.shared.out,
      temp: st.shared.temp,
      env,
      repoDir: st.shared.repoDir,
      sha: str(st.shared.github.sha),
      log: st.log,
      mask: (v) => st.shared.masker.add(v),
      signal: (st as unknown as { abort: AbortController }).abort.signal,
    });
    for (const [k, v] of Object.entries(r.env ?? {})) {
      st.globalEnv[k] = v;
      if (k in st.jobEnv) st.jobEnv[k] = v;
    }
    if (r.path) st.extraPath.push(...r.path);
    if (r.post) {
      const post = r.post;
      st.posts.push(async () => {
        st.log.startStep(`Post ${uses}`);
        post();
      });
    }
    return r.outputs ?? {};
  }
  const action = readActionYaml(where.dir, uses);
  const runs = action.runs ?? {};
  const using = runs.using ?? '';
  const inputs = actionInputs(st, action, given, ctx, status, uses);
  if (/^node\d+$/.test(using)) {
    if (!runs.main) throw new Error(`${uses}: runs.main is missing in action.yml`);
    const { env, files } = stepEnv(st, { ...stepEnvVals, ...inputEnv(inputs) }, where.dir);
    const preState = (st as JobState & { preState?: Map<StepDef, Record<string, string>> }).preState?.get(step) ?? {};
    for (const [k, v] of Object.entries(preState)) env[`STATE_${k}`] = v;
    const r = await runProcess(nodeFor(using, st), [join(where.dir, runs.main)], {
      cwd: st.workspace,
      env,
      log: st.log,
      timeoutMs,
      signal: (st as unknown as { abort: AbortController }).abort.signal,
    });
    const out = collect(st, files);
    const state = { ...preState, ...out.state };
    if (runs.post) {
      const postIf = runs['post-if'] ?? 'always()';
      const postName = `Post ${step.name ? str(ev(step.name, ctx, status)) : `Run ${uses}`}`;
      st.posts.push(async () => {
        const pst = stepStatus(st, frame);
        // post-if sees the job status: failure when any step failed.
        const c = jobCtx(st, { steps: frame.steps });
        if (!condition(ensureStatus(stripExpr(postIf)), c, pst)) return;
        st.log.startStep(postName);
        const started = now();
        const p = stepEnv(st, { ...stepEnvVals, ...inputEnv(inputs) }, where.dir);
        for (const [k, v] of Object.entries(state)) p.env[`STATE_${k}`] = v;
        const pr = await runProcess(nodeFor(using, st), [join(where.dir, runs.post as string)], {
          cwd: st.workspace,
          env: p.env,
          log: st.log,
        });
        collect(st, p.files);
        const ok = pr.code === 0;
        if (!ok) st.log.error(`Process completed with exit code ${pr.code}.`);
        st.stepRecords.push({
          id: `post-${step.id}`,
          name: postName,
          outcome: ok ? 'success' : 'failure',
          conclusion: ok ? 'success' : 'failure',
          started,
          ended: now(),
        });
        st.shared.progress.step(st.scope.path, postName, ok ? 'success' : 'failure', ok ? 'success' : 'failure', started, now());
      });
    }
    if (r.timedOut) throw new Error(`The action has timed out (timeout-minutes: ${(timeoutMs ?? 0) / 60_000}).`);
    if (r.cancelled) throw new Error('The operation was canceled.');
    if (r.code !== 0) {
      st.log.error(`Process completed with exit code ${r.code}.`);
      throw new StepFailed();
    }
    return out.outputs;
  }
  if (using === 'composite') {
    if (frame.depth >= 9) throw new Error(`${uses}: composite actions are nested too deep`);
    const inner: Frame = { steps: {}, inputs, actionPath: where.dir, failed: false, depth: frame.depth + 1 };
    const stepDefs: StepDef[] = (runs.steps ?? []).map((s, i) => {
      const r = (k: string): Val => ({ raw: s[k] });
      const d: StepDef = {
        id: typeof s.id === 'string' ? s.id : `__composite_${i}`,
        explicitId: typeof s.id === 'string',
        name: s.name !== undefined ? r('name') : null,
        if: s.if !== undefined ? ensureStatus(stripExpr(String(s.if))) : 'success()',
        env: r('env'),
        with: r('with'),
        shell: r('shell'),
        workingDirectory: r('working-directory'),
        continueOnError: r('continue-on-error'),
      };
      if (typeof s.run === 'string') d.run = r('run');
      if (typeof s.uses === 'string') d.uses = s.uses.startsWith('./') ? s.uses : s.uses;
      return d;
    });
    const savedJobEnv = st.jobEnv;
    st.jobEnv = { ...st.jobEnv, ...stepEnvVals };
    try {
      for (const d of stepDefs) {
        if (d.name) {
          const n = str(ev(d.name, jobCtx(st, { steps: inner.steps, inputs }), stepStatus(st, inner)));
          st.log.info(`##[group]${n}`);
          await runStep(st, inner, d);
          st.log.info('##[endgroup]');
        } else await runStep(st, inner, d);
      }
    } finally {
      st.jobEnv = savedJobEnv;
    }
    const outputs: Record<string, string> = {};
    const octx = jobCtx(st, { steps: inner.steps, inputs, actionPath: where.dir });
    for (const [k, o] of Object.entries(action.outputs ?? {})) outputs[k] = str(interpolate(o?.value ?? '', octx, stepStatus(st, inner)));
    if (inner.failed) throw new StepFailed();
    return outputs;
  }
  if (using === 'docker') throw new Error(`${uses}: Docker container actions are not supported here`);
  throw new Error(`${uses}: runs.using '${using}' is not supported (node20, node24, composite)`);
}
