/** Every shell script of the repository (scripts/**\/*.sh, .ci/run) passes shellcheck. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Problem } from './problem.ts';

export async function findShellScripts(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const rel of await readdir(join(root, 'scripts'), { recursive: true }))
    if (rel.endsWith('.sh')) found.push(join(root, 'scripts', rel));
  if (existsSync(join(root, '.ci', 'run'))) found.push(join(root, '.ci', 'run'));
  return found.sort();
}

export function checkShellScript(path: string): Problem[] {
  const r = spawnSync('shellcheck', ['--format=json1', '--external-sources', path], { encoding: 'utf8' });
  if (r.error) throw new Error(`shellcheck could not run (${r.error.message}); install it: bash scripts/setup.sh`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`shellcheck failed on ${path} (exit ${r.status}): ${r.stderr.trim()}`);
  const { comments } = JSON.parse(r.stdout) as { comments: { line: number; code: number; level: string; message: string }[] };
  return comments.map((c) => ({ file: path, line: c.line, rule: 'shellcheck', message: `SC${c.code} (${c.level}): ${c.message}` }));
}

export async function checkShellScripts(root: string): Promise<Problem[]> {
  return (await findShellScripts(root)).flatMap(checkShellScript);
}
