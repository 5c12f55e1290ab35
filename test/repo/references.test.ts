/** This repository's own actions and workflows are referred to in one way: @vN of lerna.json's major. */
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { checkOwnReferences, formatProblem } from '../../scripts/checks/index.ts';

test('the repository refers to its own actions and workflows at one version', async () => {
  expect((await checkOwnReferences(repoRoot)).map((p) => formatProblem(p, repoRoot))).toEqual([]);
});

test('a stray @main and a mixed major fail, with file and line; @v1 and ./ pass', async () => {
  const root = join(repoRoot, 'test/fixtures/references');
  const problems = (await checkOwnReferences(root)).map((p) => formatProblem(p, root));
  expect(problems).toHaveLength(2);
  expect(problems[0]).toMatch(
    /^examples\/svc\/\.github\/workflows\/pipeline\.yml:4: \[reference\] job 'pipeline': .*@main names @main; .* @v1 \(lerna\.json 1\.4\.2\)$/,
  );
  expect(problems[1]).toMatch(/^examples\/svc\/\.github\/workflows\/pipeline\.yml:8: \[reference\] .*kubectl-deploy@v2 names @v2/);
});
