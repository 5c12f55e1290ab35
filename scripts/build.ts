/**
 * npm run build: type-checks every workspace, then bundles each action under actions/ with
 * @vercel/ncc into actions/NAME/dist/ (minified ESM, licenses file, dist/package.json).
 * `node scripts/build.ts --no-typecheck NAME...` bundles only the named actions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const typecheck = !args.includes('--no-typecheck');
const only = args.filter((a) => !a.startsWith('--'));

function step(title: string, command: string, commandArgs: string[]): void {
  console.log(`> ${title}`);
  const r = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build failed: ${title}`);
    process.exit(r.status ?? 1);
  }
}

const bin = (name: string) => join(root, 'node_modules', '.bin', name);

if (typecheck) step('type-check (tsc -p tsconfig.json)', bin('tsc'), ['-p', 'tsconfig.json']);

/** Bundles one entry point into a dist folder, as the published actions are bundled. */
function bundle(entry: string, outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  step(`bundle ${entry}`, process.execPath, [
    join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
    'build',
    entry,
    '-o',
    outDir,
    '--minify',
    '--license',
    'licenses.txt',
    '--quiet',
  ]);
}

const actions = readdirSync(join(root, 'actions')).filter((name) => existsSync(join(root, 'actions', name, 'src', 'main.ts')));
for (const name of actions) {
  if (only.length > 0 && !only.includes(name)) continue;
  bundle(join('actions', name, 'src', 'main.ts'), join('actions', name, 'dist'));
}
