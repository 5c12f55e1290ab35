/**
 * action.yml checks: the root entry points pass; each fixture under test/fixtures/actions/
 * fails on exactly the rule it breaks.
 */
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { checkAction, checkActions, findRootActions, formatProblem } from '../../scripts/checks/index.ts';

const fixtures = join(repoRoot, 'test/fixtures/actions');
const check = (name: string, specFile = join(fixtures, name, 'src/inputs.ts')) => checkAction(join(fixtures, name), { specFile });

describe('the repository', () => {
  test('root entry points are top-level folders holding action.yml', async () => {
    const found = await findRootActions(repoRoot);
    for (const dir of found) expect(dir.startsWith(`${repoRoot}/`) && !dir.slice(repoRoot.length + 1).includes('/')).toBe(true);
    expect(found).not.toContain(join(repoRoot, 'test'));
  });
  test('every root action.yml runs on node24, has its files and descriptions, and matches its input spec', async () => {
    const problems = await checkActions(repoRoot);
    expect(problems.map((p) => formatProblem(p, repoRoot))).toEqual([]);
  });
});

describe('fixtures', () => {
  test('good passes', async () => {
    expect(await check('good')).toEqual([]);
  });

  test('runtime: runs.using other than node24 fails', async () => {
    const problems = await check('runtime');
    expect(problems.map((p) => [p.rule, p.message])).toEqual([['runtime', 'runs.using is "node20"; it must be node24']]);
  });

  test('entry: main and post files that do not exist fail', async () => {
    const problems = await check('entry');
    expect(problems.map((p) => p.rule)).toEqual(['entry', 'entry']);
    expect(problems[0]?.message).toBe('runs.main "dist/index.js" does not exist (build it with npm run build and commit dist/)');
    expect(problems[1]?.message).toMatch(/^runs.post "dist\/post.js" does not exist/);
  });

  test('description: an input and an output without a description fail', async () => {
    const problems = await check('description');
    expect(problems.map((p) => [p.rule, p.message])).toEqual([
      ['description', "output 'revision' has no description"],
      ['description', "input 'timeout' has no description in action.yml"],
    ]);
  });

  test('spec: action.yml and the input spec differ in both directions', async () => {
    const problems = await check('spec');
    expect(problems.every((p) => p.rule === 'spec')).toBe(true);
    expect(problems.map((p) => p.message).sort()).toEqual(
      [
        "input 'service': action.yml says required: false, the spec says true",
        'input \'timeout\': action.yml default "10m", the spec\'s "5m"',
        "input 'replicas' is in the input spec but not in action.yml",
        "input 'namespace' is in action.yml but not in the input spec",
      ].sort(),
    );
  });

  test('a missing input spec fails', async () => {
    const problems = await check('good', join(fixtures, 'good/src/nope.ts'));
    expect(problems.map((p) => p.rule)).toEqual(['spec']);
    expect(problems[0]?.message).toMatch(/^no input spec: .*nope\.ts is missing/);
  });

  test('by default the spec of a root action is actions/NAME/src/inputs.ts', async () => {
    const problems = await checkAction(join(fixtures, 'good'), { root: fixtures });
    expect(problems.map((p) => p.message)).toEqual([
      `no input spec: ${join(fixtures, 'actions/good/src/inputs.ts')} is missing (it must export the input spec as \`spec\`)`,
    ]);
  });
});
