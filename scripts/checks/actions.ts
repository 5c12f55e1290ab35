/**
 * action.yml checks: `runs.using: node24`, the main/pre/post files exist, every input and
 * output has a description, and the inputs equal the action's input spec (the `spec` export of
 * `actions/NAME/src/inputs.ts`) in both directions, through kit's compareInputSpec.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ActionYmlInput, compareInputSpec, type InputSpec } from '@tripo04os/kit';
import { parse } from 'yaml';
import type { Problem } from './problem.ts';

export const RUNTIME = 'node24';

/** The root entry points: top-level folders holding an action.yml (`kubectl-deploy/action.yml`, ...). */
export async function findRootActions(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules') continue;
    if (existsSync(join(root, e.name, 'action.yml')) || existsSync(join(root, e.name, 'action.yaml'))) dirs.push(join(root, e.name));
  }
  return dirs.sort();
}

interface ActionYml {
  name?: unknown;
  description?: unknown;
  inputs?: Record<string, ActionYmlInput | null> | null;
  outputs?: Record<string, { description?: unknown } | null> | null;
  runs?: { using?: unknown; main?: unknown; pre?: unknown; post?: unknown } | null;
}

export interface CheckActionOptions {
  /** The module exporting the input spec as `spec` (default: `<root>/actions/<folder name>/src/inputs.ts`). */
  specFile?: string;
  /** Repository root, for the default specFile. */
  root?: string;
}

/** Every problem of one action folder's action.yml. */
export async function checkAction(dir: string, options: CheckActionOptions = {}): Promise<Problem[]> {
  const file = existsSync(join(dir, 'action.yml')) ? join(dir, 'action.yml') : join(dir, 'action.yaml');
  const problems: Problem[] = [];
  const add = (message: string, rule = 'action') => problems.push({ file, rule, message });
  let yml: ActionYml;
  try {
    yml = (parse(await readFile(file, 'utf8')) ?? {}) as ActionYml;
  } catch (err) {
    add(`cannot read: ${(err as Error).message}`);
    return problems;
  }
  for (const key of ['name', 'description'] as const) {
    if (typeof yml[key] !== 'string' || (yml[key] as string).trim() === '') add(`no ${key}`);
  }

  const runs = yml.runs ?? {};
  if (runs.using !== RUNTIME) add(`runs.using is ${JSON.stringify(runs.using ?? null)}; it must be ${RUNTIME}`, 'runtime');
  if (typeof runs.main !== 'string') add('runs.main is missing', 'entry');
  for (const key of ['main', 'pre', 'post'] as const) {
    const entry = runs[key];
    if (entry === undefined) continue;
    if (typeof entry !== 'string' || !existsSync(resolve(dir, entry))) {
      add(`runs.${key} ${JSON.stringify(entry)} does not exist (build it with npm run build and commit dist/)`, 'entry');
    }
  }

  for (const [name, output] of Object.entries(yml.outputs ?? {})) {
    if (!output || typeof output.description !== 'string' || output.description.trim() === '') {
      add(`output '${name}' has no description`, 'description');
    }
  }

  const inputs = Object.fromEntries(Object.entries(yml.inputs ?? {}).map(([k, v]) => [k, v ?? {}])) as Record<string, ActionYmlInput>;
  const folder = resolve(dir).split('/').pop() as string;
  const specFile = options.specFile ?? join(options.root ?? resolve(dir, '..'), 'actions', folder, 'src', 'inputs.ts');
  if (!existsSync(specFile)) {
    add(`no input spec: ${specFile} is missing (it must export the input spec as \`spec\`)`, 'spec');
    for (const [name, input] of Object.entries(inputs)) {
      if (typeof input.description !== 'string' || input.description.trim() === '')
        add(`input '${name}' has no description`, 'description');
    }
    return problems;
  }
  const mod = (await import(pathToFileURL(specFile).href)) as { spec?: InputSpec };
  if (!mod.spec || typeof mod.spec !== 'object') {
    add(`${specFile} does not export the input spec as \`spec\``, 'spec');
    return problems;
  }
  for (const p of compareInputSpec(mod.spec, inputs)) add(p, /has no description/.test(p) ? 'description' : 'spec');
  return problems;
}

/** The action check over the repository's root entry points. */
export async function checkActions(root: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const dir of await findRootActions(root)) problems.push(...(await checkAction(dir, { root })));
  return problems;
}
