/**
 * The examples (callers, as a service repository writes them) refer to this repository's actions
 * and reusable workflows on one release line: `tripo04os/actions/...@vN`, N the major version of
 * lerna.json. A stray `@main`, a branch, a SHA or another major (a mixed version) fails. The
 * reusable workflows themselves name the exact release (`@vX.Y.Z`, own-refs.ts), so that a
 * workflow at a version runs that version's actions.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { OWN_REPOSITORY, usesNodes } from './pins.ts';
import type { Problem } from './problem.ts';
import { findWorkflows } from './workflows.ts';
import { loadYaml } from './yaml.ts';

export async function checkOwnReferences(root: string): Promise<Problem[]> {
  const lernaFile = join(root, 'lerna.json');
  const version = JSON.parse(await readFile(lernaFile, 'utf8')).version as string;
  const major = semver.parse(version)?.major;
  if (major === undefined) return [{ file: lernaFile, rule: 'reference', message: `lerna.json's version ${version} is not semver` }];
  const want = `v${major}`;
  const problems: Problem[] = [];
  const own = join(root, '.github', 'workflows');
  for (const path of await findWorkflows(root)) {
    if (path.startsWith(own)) continue; // own-refs.ts: the exact version
    const file = await loadYaml(path);
    for (const u of usesNodes(file)) {
      const m = /^([^/@\s]+\/[^/@\s]+)(\/[^@\s]*)?@(\S+)$/.exec(u.value.trim());
      if (!m || m[1]?.toLowerCase() !== OWN_REPOSITORY) continue;
      if (m[3] !== want) {
        problems.push({
          file: path,
          line: file.lineOf(u.node),
          rule: 'reference',
          message: `${u.where}: ${u.value} names @${m[3]}; this repository's actions and workflows are referred to as @${want} (lerna.json ${version})`,
        });
      }
    }
  }
  return problems;
}
