/** Shell scripts pass shellcheck: the repository's do; the fixture does not. */
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { checkShellScript, checkShellScripts, findShellScripts, formatProblem } from '../../scripts/checks/index.ts';

test('the setup script, the dist check and .ci/run are checked, and pass', async () => {
  const found = await findShellScripts(repoRoot);
  expect(found).toEqual(
    expect.arrayContaining([join(repoRoot, 'scripts/setup.sh'), join(repoRoot, 'scripts/check-dist.sh'), join(repoRoot, '.ci/run')]),
  );
  expect((await checkShellScripts(repoRoot)).map((p) => formatProblem(p, repoRoot))).toEqual([]);
});

test('a script with a shellcheck finding fails, with its line', () => {
  const problems = checkShellScript(join(repoRoot, 'test/fixtures/shell/bad.sh'));
  expect(problems.map((p) => [p.line, p.message.slice(0, 6)])).toEqual([[4, 'SC2086']]);
});
