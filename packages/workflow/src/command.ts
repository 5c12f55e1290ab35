/**
 * The workflow runner's command line: `main(argv)` gives the exit code (cli.ts runs it).
 * npm run -s workflow -- run WORKFLOW_FILE [--repo DIR] --event NAME [--ref REF] [--sha SHA]
 *     [--input NAME=VALUE]... [--secret NAME=VALUE]... [--secrets-file FILE]
 *     [--var NAME=VALUE]... [--env-file FILE] [--repo-map OWNER/NAME=DIR]...
 *     [--approve ENV|all] [--out DIR] [--max-parallel N]
 * npm run -s workflow -- report OUT
 * Exit: 0 success, 1 failure or cancelled, 2 invalid workflow or command line.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EventName } from './events.ts';
import { InvalidError } from './load.ts';
import type { Terminal } from './log.ts';
import { type RunOptions, runWorkflow } from './run.ts';

const USAGE = `usage: workflow run WORKFLOW_FILE [--repo DIR] --event push|pull_request|workflow_dispatch|schedule [--ref REF] [--sha SHA]
         [--input NAME=VALUE]... [--secret NAME=VALUE]... [--secrets-file FILE] [--var NAME=VALUE]... [--env-file FILE]
         [--repo-map OWNER/NAME=DIR]... [--approve ENV|all] [--out DIR] [--max-parallel N]
       workflow report OUT`;

function pair(flag: string, v: string): [string, string] {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidError(`${flag} ${v}: expected NAME=VALUE`);
  return [v.slice(0, eq), v.slice(eq + 1)];
}

function dotenvFile(flag: string, file: string): Record<string, string> {
  try {
    const dotenv = createRequire(import.meta.url)('dotenv') as typeof import('dotenv');
    return dotenv.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidError(`${flag} ${file}: ${(e as Error).message}`);
  }
}

export function parseArgs(argv: string[]): RunOptions {
  const [file, ...rest] = argv;
  if (!file || file.startsWith('--')) throw new InvalidError(`run: the workflow file is missing\n${USAGE}`);
  const o: RunOptions = { file, event: '' as EventName, inputs: {}, secrets: {}, vars: {}, env: {}, repoMap: {}, approve: [] };
  let event: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] as string;
    const v = rest[i + 1];
    if (v === undefined || v.startsWith('--')) throw new InvalidError(`${flag}: a value is missing\n${USAGE}`);
    i++;
    switch (flag) {
      case '--repo':
        o.repo = v;
        break;
      case '--event':
        event = v;
        break;
      case '--ref':
        o.ref = v;
        break;
      case '--sha':
        if (!/^[0-9a-f]{7,40}$/i.test(v)) throw new InvalidError(`--sha ${v}: expected a commit SHA (hex)`);
        o.sha = v;
        break;
      case '--input': {
        const [k, val] = pair(flag, v);
        (o.inputs as Record<string, string>)[k] = val;
        break;
      }
      case '--secret': {
        const [k, val] = pair(flag, v);
        (o.secrets as Record<string, string>)[k] = val;
        break;
      }
      case '--secrets-file':
        Object.assign(o.secrets as object, dotenvFile(flag, v));
        break;
      case '--var': {
        const [k, val] = pair(flag, v);
        (o.vars as Record<string, string>)[k] = val;
        break;
      }
      case '--env-file':
        Object.assign(o.env as object, dotenvFile(flag, v));
        break;
      case '--repo-map': {
        const [k, val] = pair(flag, v);
        if (!/^[^/]+\/[^/]+$/.test(k)) throw new InvalidError(`--repo-map ${v}: expected OWNER/NAME=DIR`);
        (o.repoMap as Record<string, string>)[k] = val;
        break;
      }
      case '--approve':
        (o.approve as string[]).push(...v.split(',').map((s) => s.trim()));
        break;
      case '--out':
        o.out = v;
        break;
      case '--max-parallel': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InvalidError(`--max-parallel ${v}: expected a whole number ≥ 1`);
        o.maxParallel = n;
        break;
      }
      default:
        throw new InvalidError(`${flag}: unknown option\n${USAGE}`);
    }
  }
  if (!event) throw new InvalidError(`--event: required (push, pull_request, workflow_dispatch or schedule)`);
  if (!['push', 'pull_request', 'workflow_dispatch', 'schedule'].includes(event))
    throw new InvalidError(`--event ${event}: expected push, pull_request, workflow_dispatch or schedule`);
  o.event = event as EventName;
  return o;
}

/** The CLI; returns the exit code. */
export async function main(argv: string[], terminal: Terminal = { write: (t) => process.stdout.write(t) }): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'report') {
      const out = rest[0];
      if (!out) throw new InvalidError(`report: the run folder is missing\n${USAGE}`);
      const { writeReportHook } = await import('./run.ts');
      const { Progress } = await import('./progress.ts');
      const { Masker } = await import('./mask.ts');
      const page = await writeReportHook(out, new Progress(terminal, new Masker()));
      if (!page) {
        err('report: @tripo04os/report is not available in this checkout (branch report)');
        return 2;
      }
      return 0;
    }
    if (cmd !== 'run') throw new InvalidError(USAGE);
    const opts = parseArgs(rest);
    const ac = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      err('cancelling the run (Ctrl-C again to quit at once)…');
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    try {
      const r = await runWorkflow({ ...opts, signal: ac.signal, terminal });
      return r.exitCode;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  } catch (e) {
    if (e instanceof InvalidError) {
      err(e.message);
      return 2;
    }
    err(`workflow: ${(e as Error).stack ?? e}`);
    return 1;
  }
}
