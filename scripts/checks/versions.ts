/**
 * One fixed version for the whole repository (users pin `@v1`, so every action and workflow
 * moves together): every workspace package.json has lerna.json's version, and every
 * dependency on another workspace asks for exactly that version.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Problem } from './problem.ts';

interface PackageJson {
  name?: string;
  version?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** The package.json files of the workspaces named in the root package.json (`dir/*` or `dir`). */
export async function workspacePackages(root: string): Promise<string[]> {
  const rootPkg = await readJson<PackageJson>(join(root, 'package.json'));
  const found: string[] = [];
  for (const pattern of rootPkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const dir = join(root, pattern.slice(0, -2));
      if (!existsSync(dir)) continue;
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory() && existsSync(join(dir, e.name, 'package.json'))) found.push(join(dir, e.name, 'package.json'));
      }
    } else if (!pattern.includes('*') && existsSync(join(root, pattern, 'package.json'))) {
      found.push(join(root, pattern, 'package.json'));
    } else {
      throw new Error(`workspace pattern ${pattern} is not supported by the version check (use dir/* or dir)`);
    }
  }
  return found.sort();
}

export async function checkVersions(root: string): Promise<Problem[]> {
  const lernaFile = join(root, 'lerna.json');
  const problems: Problem[] = [];
  const lerna = await readJson<{ version?: string }>(lernaFile);
  const version = lerna.version;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    problems.push({ file: lernaFile, rule: 'version', message: `version ${JSON.stringify(version)} must be one fixed semver version` });
    return problems;
  }
  const files = await workspacePackages(root);
  const packages = await Promise.all(files.map(async (file) => ({ file, pkg: await readJson<PackageJson>(file) })));
  const names = new Set(packages.map((p) => p.pkg.name).filter((n): n is string => typeof n === 'string'));
  for (const { file, pkg } of packages) {
    if (pkg.version !== version) {
      problems.push({
        file,
        rule: 'version',
        message: `${pkg.name ?? file} has version ${pkg.version ?? '(none)'}; lerna.json says ${version}`,
      });
    }
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies'] as const) {
      for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
        if (names.has(dep) && range !== version) {
          problems.push({
            file,
            rule: 'version',
            message: `${pkg.name} asks for ${dep}@${range} in ${field}; the one version is ${version}`,
          });
        }
      }
    }
  }
  return problems;
}
