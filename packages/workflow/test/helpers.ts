/** Test repositories (temporary git repos) and a runner call that captures the terminal. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from '@jest/globals';
import { InvalidError, type JobRecord, type RunOptions, type RunOutcome, runWorkflow } from '@tripo04os/workflow';

export function gitRepo(files: Record<string, string>, init?: string): string {
  const dir = init ?? mkdtempSync(join(tmpdir(), 'wf-repo-'));
  if (!init) execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  execFileSync('git', ['-C', dir, 'add', '-A']);
  execFileSync('git', [
    '-C',
    dir,
    '-c',
    'user.name=Test',
    '-c',
    'user.email=test@example.com',
    'commit',
    '-qm',
    'test commit',
    '--allow-empty',
  ]);
  return dir;
}

export interface Run extends RunOutcome {
  output: string;
  repo: string;
  job(key: string): JobRecord;
  log(key: string): string;
}

/** Runs `workflow` (the text of .github/workflows/test.yml) in a new repository with `files`. */
export async function run(
  workflow: string,
  o: Partial<RunOptions> & { files?: Record<string, string>; repoDir?: string } = {},
): Promise<Run> {
  const repo = o.repoDir ?? gitRepo({ '.github/workflows/test.yml': workflow, ...(o.files ?? {}) });
  let output = '';
  const out = mkdtempSync(join(tmpdir(), 'wf-out-'));
  const r = await runWorkflow({
    file: join(repo, '.github/workflows/test.yml'),
    repo,
    event: 'push',
    out,
    report: false,
    terminal: { write: (t) => void (output += t) },
    ...o,
  });
  return {
    ...r,
    output,
    repo,
    job(key) {
      const j = r.record.jobs.find((x) => x.key === key);
      if (!j) throw new Error(`no job ${key} in ${r.record.jobs.map((x) => x.key).join(', ')}\n${output}`);
      return j;
    },
    log(key) {
      return readFileSync(join(r.out, 'logs', `${key}.log`), 'utf8');
    },
  };
}

/** Expects the run to be refused as invalid (exit 2): returns the message. */
export async function invalid(workflow: string, o: Partial<RunOptions> & { files?: Record<string, string> } = {}): Promise<string> {
  let output = '';
  try {
    await run(workflow, { ...o, terminal: { write: (t) => void (output += t) } });
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidError);
    expect(output).not.toMatch(/▶/); // no job started
    return (e as Error).message;
  }
  throw new Error(`the run was not refused:\n${output}`);
}
