/**
 * npm run build: type-checks every workspace, then bundles each action under actions/ with
 * @vercel/ncc into actions/NAME/dist/ (minified ESM, licenses file, dist/package.json).
 * `node scripts/build.ts --no-typecheck NAME...` bundles only the named actions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot as root } from '@tripo04os/kit/harness';
import { bundle } from './bundle.ts';

const args = process.argv.slice(2);
const typecheck = !args.includes('--no-typecheck');
const only = args.filter((a) => !a.startsWith('--'));

function fail(message: string, code = 1): never {
  console.error(`build failed: ${message}`);
  process.exit(code);
}

if (typecheck) {
  console.log('> type-check (tsc -p tsconfig.json)');
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('type-check', r.status ?? 1);
}

const actions = readdirSync(join(root, 'actions')).filter((name) => existsSync(join(root, 'actions', name, 'src', 'main.ts')));
for (const name of only) if (!actions.includes(name)) fail(`no action ${name} (actions/${name}/src/main.ts)`);
for (const name of actions) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`> bundle actions/${name}`);
  try {
    await bundle(join('actions', name, 'src', 'main.ts'), join('actions', name, 'dist'));
  } catch (err) {
    fail((err as Error).message);
  }
}
