/**
 * The reusable workflows run this repository's actions (and call its other workflows) at the
 * release they belong to: every `tripo04os/actions/...@REF` in `.github/workflows/` names
 * `v<lerna.json version>`. The release commit sets lerna.json's version and these refs together
 * (`node scripts/own-refs.ts --write`) and is tagged `vX.Y.Z`, so a workflow read at tag
 * `vX.Y.Z` (directly or through the moving `vX`) runs actions from that very commit, never from
 * another version. Callers (examples/) may use the moving major `@vN`; that is their choice.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OWN_REPOSITORY, usesNodes } from './pins.ts';
import type { Problem } from './problem.ts';
import { loadYaml } from './yaml.ts';

const OWN_USES = new RegExp(`^(${OWN_REPOSITORY.replace('/', '\\/')}(?:\\/[^@\\s]+)?)@(\\S+)$`, 'i');

/** The one version of the repository (lerna.json). */
export async function repoVersion(root: string): Promise<string> {
  const { version } = JSON.parse(await readFile(join(root, 'lerna.json'), 'utf8')) as { version?: string };
  if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version))
    throw new Error(`lerna.json: version ${JSON.stringify(version)} is not X.Y.Z[-PRERELEASE]`);
  return version;
}

/** The workflows of `.github/workflows/` (this repository's, not the examples'). */
export async function ownWorkflows(root: string): Promise<string[]> {
  const dir = join(root, '.github', 'workflows');
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Every own-repository `uses:` of a workflow file, with its line and ref. */
export async function ownRefs(path: string): Promise<{ line?: number; target: string; ref: string; where: string }[]> {
  const file = await loadYaml(path);
  return usesNodes(file).flatMap((u) => {
    const m = OWN_USES.exec(u.value.trim());
    return m ? [{ line: file.lineOf(u.node), target: m[1] as string, ref: m[2] as string, where: u.where }] : [];
  });
}

export async function checkOwnRefs(root: string): Promise<Problem[]> {
  const version = await repoVersion(root);
  const problems: Problem[] = [];
  for (const path of await ownWorkflows(root)) {
    for (const r of await ownRefs(path)) {
      if (r.ref !== `v${version}`) {
        problems.push({
          file: path,
          line: r.line,
          rule: 'own-ref',
          message: `${r.where}: ${r.target}@${r.ref} must be @v${version} (lerna.json's version), so the workflow runs the actions of its own release; run node scripts/own-refs.ts --write`,
        });
      }
    }
  }
  return problems;
}

/** Rewrites every own-repository ref in `.github/workflows/` to `v<version>`; returns the files changed. */
export async function writeOwnRefs(root: string): Promise<string[]> {
  const version = await repoVersion(root);
  const changed: string[] = [];
  for (const path of await ownWorkflows(root)) {
    const text = await readFile(path, 'utf8');
    const next = text.replace(
      new RegExp(`(uses:\\s*['"]?${OWN_REPOSITORY.replace('/', '\\/')}(?:\\/[^@\\s'"]+)?)@[^\\s'"#]+`, 'gi'),
      `$1@v${version}`,
    );
    if (next !== text) {
      await writeFile(path, next);
      changed.push(path);
    }
  }
  return changed;
}
