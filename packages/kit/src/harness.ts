/**
 * The runner harness: runs a bundled JavaScript action the way the GitHub runner does, for
 * end-to-end tests. Inputs go in as INPUT_<NAME> (defaults filled from action.yml), the file
 * commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY, GITHUB_PATH) are real
 * files that are read back, stdout workflow commands are parsed, masks are applied to the log
 * as the runner applies them, and the `post:` script runs afterwards with STATE_* set.
 * No @actions/* import here: it reads the protocol from the outside.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export interface RunOptions {
  /** Folder holding action.yml (main/post paths are relative to it). */
  action: string;
  inputs?: Record<string, string | number | boolean>;
  /** Extra environment for the step (like a step's `env:`). */
  env?: Record<string, string | undefined>;
  /** Event name and payload written to GITHUB_EVENT_PATH. */
  event?: { name: string; payload?: unknown };
  /** Overrides of the context variables (GITHUB_SHA, GITHUB_REF, ...). */
  context?: Record<string, string>;
  /** Working directory of the step (GITHUB_WORKSPACE). */
  cwd?: string;
  /** Run the post script too (default: when action.yml has one). */
  post?: boolean;
  timeoutMs?: number;
  /** Node binary (default: the one running the tests, Node 24 under npm scripts). */
  node?: string;
  /** Keep the temporary files (for debugging). */
  keep?: boolean;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface PhaseResult {
  exitCode: number;
  /** Everything the step printed, with masks applied as the runner applies them. */
  log: string;
  /** stdout and stderr as the process wrote them (for leak checks: a secret printed before it was masked shows in `log` too). */
  rawLog: string;
  annotations: Annotation[];
  errors: string[];
  warnings: string[];
  masked: string[];
  durationMs: number;
}

export interface RunResult extends PhaseResult {
  outputs: Record<string, string>;
  /** Markdown written to GITHUB_STEP_SUMMARY (main and post). */
  summary: string;
  /** Variables written to GITHUB_ENV. */
  exportedEnv: Record<string, string>;
  /** Lines written to GITHUB_PATH. */
  path: string[];
  state: Record<string, string>;
  post?: PhaseResult;
}

interface ActionYml {
  inputs?: Record<string, { default?: unknown }>;
  runs: { using: string; main: string; pre?: string; post?: string };
}

/** Parses a file written with the `name<<DELIM` / `name=value` file command format. */
export function parseFileCommand(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line === '') continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    const eq = line.indexOf('=');
    if (heredoc && (eq === -1 || line.indexOf('<<') < eq)) {
      const [, name, delim] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && (lines[i] as string).replace(/\r$/, '') !== delim; i++) value.push(lines[i] as string);
      out[name] = value.join('\n');
    } else if (eq > 0) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

function unescapeData(s: string): string {
  return s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
}
function unescapeProperty(s: string): string {
  return unescapeData(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

/** Applies workflow commands of one phase's stdout, as the runner does, line by line. */
function processOutput(raw: string, masks: string[]): Omit<PhaseResult, 'exitCode' | 'rawLog' | 'durationMs'> {
  const log: string[] = [];
  const annotations: Annotation[] = [];
  const newMasks: string[] = [];
  const applyMasks = (line: string) => {
    let out = line;
    for (const m of [...masks].sort((a, b) => b.length - a.length)) if (m) out = out.split(m).join('***');
    return out;
  };
  for (const line of raw.split('\n')) {
    const cmd = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (cmd) {
      const [, name, props = '', data = ''] = cmd as unknown as [string, string, string | undefined, string];
      const message = unescapeData(data);
      if (name === 'add-mask') {
        if (message.trim() !== '') {
          masks.push(message);
          newMasks.push(message);
        }
        continue;
      }
      if (name === 'error' || name === 'warning' || name === 'notice') {
        const properties: Record<string, string> = {};
        for (const p of props.split(',')) {
          const i = p.indexOf('=');
          if (i > 0) properties[p.slice(0, i).trim()] = unescapeProperty(p.slice(i + 1));
        }
        annotations.push({ level: name, message: applyMasks(message), properties });
        log.push(applyMasks(`${name === 'notice' ? 'Notice' : name === 'error' ? 'Error' : 'Warning'}: ${message}`));
        continue;
      }
      if (name === 'group') {
        log.push(applyMasks(`▸ ${message}`));
        continue;
      }
      if (name === 'endgroup' || name === 'debug' || name === 'save-state' || name === 'set-output') continue;
    }
    log.push(applyMasks(line));
  }
  return {
    log: log.join('\n'),
    annotations,
    errors: annotations.filter((a) => a.level === 'error').map((a) => a.message),
    warnings: annotations.filter((a) => a.level === 'warning').map((a) => a.message),
    masked: newMasks,
  };
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

function runNode(node: string, script: string, env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number) {
  return new Promise<{ code: number; out: string }>((resolvePromise, reject) => {
    const child = spawn(node, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const timer = setTimeout(() => {
      out += `\n[harness] killed after ${timeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), out });
    });
  });
}

/** Runs a bundled action like the GitHub runner: main, then post (when it has one). */
export async function runAction(options: RunOptions): Promise<RunResult> {
  const temp = await mkdtemp(join(tmpdir(), 'runner-'));
  try {
    return await runIn(temp, options);
  } finally {
    if (!options.keep) await rm(temp, { recursive: true, force: true });
  }
}

async function runIn(temp: string, options: RunOptions): Promise<RunResult> {
  const actionDir = resolve(options.action);
  const yml = parseYaml(await readFile(join(actionDir, 'action.yml'), 'utf8')) as ActionYml;
  if (!/^node\d+$/.test(yml.runs.using))
    throw new Error(`${actionDir}/action.yml: runs.using ${yml.runs.using} is not a JavaScript runtime`);
  const files = {
    GITHUB_OUTPUT: join(temp, 'output'),
    GITHUB_ENV: join(temp, 'env'),
    GITHUB_STATE: join(temp, 'state'),
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
    GITHUB_PATH: join(temp, 'path'),
    GITHUB_EVENT_PATH: join(temp, 'event.json'),
  };
  for (const f of Object.values(files)) await writeFile(f, '');
  await writeFile(files.GITHUB_EVENT_PATH, JSON.stringify(options.event?.payload ?? {}));
  const workspace = resolve(options.cwd ?? process.cwd());
  const runnerTemp = join(temp, 'runner-temp');
  await import('node:fs/promises').then((fs) => fs.mkdir(runnerTemp, { recursive: true }));

  const base: NodeJS.ProcessEnv = {};
  // A step sees the runner's environment, not the test process's inputs or state.
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(INPUT_|STATE_|GITHUB_|RUNNER_)/.test(k)) base[k] = v;
  }
  Object.assign(base, {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTION: 'harness',
    GITHUB_ACTION_PATH: actionDir,
    GITHUB_EVENT_NAME: options.event?.name ?? 'push',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_REF_TYPE: 'branch',
    GITHUB_REPOSITORY: 'tripo04os/ai-support',
    GITHUB_REPOSITORY_OWNER: 'tripo04os',
    GITHUB_ACTOR: 'octocat',
    GITHUB_TRIGGERING_ACTOR: 'octocat',
    GITHUB_WORKFLOW: 'CI',
    GITHUB_JOB: 'build',
    GITHUB_RUN_ID: '1234567890',
    GITHUB_RUN_NUMBER: '42',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'harness',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(temp, 'tool-cache'),
    RUNNER_DEBUG: process.env.RUNNER_DEBUG,
    ...files,
    ...options.context,
  });
  // Inputs: defaults from action.yml first, then the step's `with:`; names upper-cased with
  // spaces as '_' and dashes kept, as the runner does.
  const inputEnv: Record<string, string> = {};
  for (const [name, def] of Object.entries(yml.inputs ?? {})) {
    if (def?.default === undefined || def.default === null || name in (options.inputs ?? {})) continue;
    inputEnv[inputKey(name)] = evaluateDefault(String(def.default), name, base);
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) inputEnv[inputKey(name)] = String(value);
  const env: NodeJS.ProcessEnv = { ...base, ...inputEnv };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const node = options.node ?? process.env.ACTION_NODE ?? process.execPath;
  if (node === process.execPath) {
    // The runner starts the Node its runs.using names; here that is the Node running the tests.
    const wanted = yml.runs.using.slice('node'.length);
    const major = process.versions.node.split('.')[0];
    if (major !== wanted) {
      throw new Error(
        `${actionDir}/action.yml runs on ${yml.runs.using}, but the harness runs Node ${process.versions.node}; run the tests with npm test (Node ${wanted}) or pass \`node\``,
      );
    }
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  // The runner masks the job's token from the start.
  const masks: string[] = base.GITHUB_TOKEN ? [base.GITHUB_TOKEN] : [];
  const t0 = Date.now();
  const main = await runNode(node, join(actionDir, yml.runs.main), env, workspace, timeoutMs);
  const mainPhase: PhaseResult = {
    exitCode: main.code,
    rawLog: main.out,
    durationMs: Date.now() - t0,
    ...processOutput(main.out, masks),
  };
  const state = parseFileCommand(await readIfExists(files.GITHUB_STATE));
  const result: RunResult = {
    ...mainPhase,
    outputs: parseFileCommand(await readIfExists(files.GITHUB_OUTPUT)),
    summary: '',
    exportedEnv: parseFileCommand(await readIfExists(files.GITHUB_ENV)),
    path: (await readIfExists(files.GITHUB_PATH)).split('\n').filter(Boolean),
    state,
  };
  if (yml.runs.post && options.post !== false) {
    const postEnv: NodeJS.ProcessEnv = { ...env, ...result.exportedEnv, GITHUB_STATE: join(temp, 'post-state') };
    // Later steps see GITHUB_PATH entries first, the last one added first of all.
    if (result.path.length > 0)
      postEnv.PATH = [...result.path]
        .reverse()
        .concat(env.PATH ?? [])
        .join(delimiter);
    for (const [k, v] of Object.entries(state)) postEnv[`STATE_${k}`] = v;
    const t1 = Date.now();
    const post = await runNode(node, join(actionDir, yml.runs.post), postEnv, workspace, timeoutMs);
    result.post = { exitCode: post.code, rawLog: post.out, durationMs: Date.now() - t1, ...processOutput(post.out, masks) };
  }
  result.summary = await readIfExists(files.GITHUB_STEP_SUMMARY);
  return result;
}

/**
 * Evaluates the expressions action.yml defaults use, as the runner would: `${{ github.token }}`
 * (the GITHUB_TOKEN given in `context`, else empty) and `${{ github.NAME }}` / `${{ runner.NAME }}`
 * from the context variables. Anything else cannot be evaluated here and fails loudly.
 */
function evaluateDefault(value: string, input: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    const m = /^(github|runner)\.([a-z_]+)$/.exec(expr);
    if (!m) {
      throw new Error(
        `action.yml: the default of input '${input}' is \${{ ${expr} }}, which the harness cannot evaluate; give the input a value`,
      );
    }
    return env[`${(m[1] as string).toUpperCase()}_${(m[2] as string).toUpperCase()}`] ?? '';
  });
}

function inputKey(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** The repository root (for tests that point at actions by folder). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Whether a secret shows anywhere a person or a later step could read it. */
export function leaks(result: RunResult, secret: string): string[] {
  const where: string[] = [];
  if (!secret) return where;
  if (result.log.includes(secret)) where.push('log');
  if (result.post?.log.includes(secret)) where.push('post log');
  if (result.summary.includes(secret)) where.push('summary');
  for (const [k, v] of Object.entries(result.outputs)) if (v.includes(secret)) where.push(`output ${k}`);
  for (const [k, v] of Object.entries(result.state)) if (v.includes(secret)) where.push(`state ${k}`);
  for (const [k, v] of Object.entries(result.exportedEnv)) if (v.includes(secret)) where.push(`env ${k}`);
  for (const a of result.annotations) if (a.message.includes(secret)) where.push('annotation');
  return where;
}
