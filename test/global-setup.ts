// Starts ONE sandbox for the whole jest run; workers find it through SANDBOX_DIR
// (use sandboxEnv() / sandboxControl() from '@tripo04os/sandbox/testing').
// When SANDBOX_DIR already names a running sandbox (`npm run sandbox -- up --dir DIR`), it is reused.
// A run none of whose suites uses the shared sandbox (`npm test -- packages/common`) starts none.
import { glob, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '@jest/types';
import { sandboxStatus, startSandbox } from '@tripo04os/sandbox';

const root = resolve(import.meta.dirname, '..');
const SUITES = ['{packages,actions}/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const USES_SANDBOX = /@tripo04os\/sandbox\/testing|packages\/sandbox\/src\/testing/;

/** Whether a file, or a file it imports by relative path (helpers), uses the shared sandbox. */
async function usesSandbox(file: string, seen = new Set<string>()): Promise<boolean> {
  if (seen.has(file)) return false;
  seen.add(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return false;
  }
  if (USES_SANDBOX.test(text)) return true;
  for (const m of text.matchAll(/from '(\.\.?\/[^']+\.ts)'/g)) {
    if (await usesSandbox(resolve(dirname(file), m[1] as string), seen)) return true;
  }
  return false;
}

/** Whether any suite this run selects (by its path patterns) needs the sandbox. */
export async function runNeedsSandbox(globalConfig: Pick<Config.GlobalConfig, 'testPathPatterns' | 'rootDir'>): Promise<boolean> {
  const patterns = globalConfig.testPathPatterns;
  const executor = patterns?.isSet() ? patterns.toExecutor({ rootDir: globalConfig.rootDir ?? root }) : undefined;
  for await (const rel of glob(SUITES, { cwd: root, exclude: (p) => p.includes('node_modules') || p.includes('fixtures') })) {
    const file = join(root, rel);
    if (executor && !executor.isMatch(file)) continue;
    if (await usesSandbox(file)) return true;
  }
  return false;
}

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  const existing = process.env.SANDBOX_DIR;
  if (existing && (await sandboxStatus(existing)).running) {
    process.env.SANDBOX_REUSED = '1';
    return;
  }
  // --findRelatedTests and --onlyChanged choose suites by other means: start it then.
  const related = globalConfig.findRelatedTests || globalConfig.onlyChanged;
  if (!related && !(await runNeedsSandbox(globalConfig))) return;
  const dir = await mkdtemp(join(tmpdir(), 'tripo04os-sandbox-'));
  process.env.SANDBOX_STARTED_BY_JEST = dir;
  try {
    // ownerPid: the sandbox stops by itself should this jest process be killed before teardown.
    await startSandbox({ dir, ownerPid: process.pid });
    process.env.SANDBOX_DIR = dir;
  } catch (err) {
    // Unit tests still run; every test that asks for the sandbox (sandboxEnv()) fails with this reason.
    const reason = err instanceof Error ? err.message : String(err);
    process.env.SANDBOX_ERROR = reason;
    process.stderr.write(`\nThe sandbox did not start: ${reason}\n`);
  }
}
