/** One fixed version: the repository passes; the fixture with drifted versions fails. */
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { checkVersions, formatProblem, workspacePackages } from '../../scripts/checks/index.ts';

test('every workspace of the repository has lerna.json version', async () => {
  expect((await workspacePackages(repoRoot)).length).toBeGreaterThanOrEqual(2);
  const problems = await checkVersions(repoRoot);
  expect(problems.map((p) => formatProblem(p, repoRoot))).toEqual([]);
});

test('a drifted version and a loose workspace dependency fail', async () => {
  const root = join(repoRoot, 'test/fixtures/versions/bad');
  const problems = await checkVersions(root);
  expect(problems.map((p) => formatProblem(p, root))).toEqual([
    'actions/c/package.json: [version] @fixture/c asks for @fixture/a@^1.0.0 in dependencies; the one version is 1.2.0',
    'packages/b/package.json: [version] @fixture/b has version 1.1.0; lerna.json says 1.2.0',
  ]);
});
