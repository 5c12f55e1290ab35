/**
 * The runner adapter's own costs: the cold start of a bundled action (Node 24 start, bundle
 * load, inputs, outputs, summary, post step) through the runner harness, and the repository
 * checks over the whole repository.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runAction } from '@tripo04os/kit/harness';
import { bundle } from '../scripts/bundle.ts';
import { repoChecks } from '../scripts/checks/index.ts';
import { measure } from './lib/stats.ts';

const fixture = join(repoRoot, 'test/fixtures/echo-action');
const action = await mkdtemp(join(tmpdir(), 'bench-echo-'));
try {
  await copyFile(join(fixture, 'action.yml'), join(action, 'action.yml'));
  await measure('bundle the echo fixture with ncc', 1, async () =>
    bundle(join(fixture, 'src/main.ts'), join(action, 'dist'), { quiet: true }),
  );
  await measure('echo fixture, main + post through the harness', 10, () =>
    runAction({ action, inputs: { greeting: 'hi', password: 'p4ssw0rd' } }),
  );
  await measure('echo fixture, main only', 10, () => runAction({ action, inputs: { greeting: 'hi' }, post: false }));
  for (const [name, check] of Object.entries(repoChecks)) await measure(`repository check: ${name}`, 3, () => check(repoRoot));
} finally {
  await rm(action, { recursive: true, force: true });
}
