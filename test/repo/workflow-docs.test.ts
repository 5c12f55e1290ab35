/**
 * The workflow-docs check: the repository's pages agree with their workflows; a page whose table
 * disagrees with its workflow (or that is missing, or has no workflow) fails.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { checkWorkflowDocs, formatProblem, reusableWorkflows, tableRows, writeWorkflowDocs } from '../../scripts/checks/index.ts';

const fixture = join(repoRoot, 'test/fixtures/workflow-docs');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'workflow-docs-'));
  await cp(fixture, dir, { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('every reusable workflow of the repository has a page whose tables agree with it', async () => {
  const names = (await reusableWorkflows(repoRoot)).map((w) => w.name);
  expect(names).toEqual(['build', 'ci', 'deploy', 'integration-tests', 'pipeline', 'rollback', 'security-scan']);
  expect((await checkWorkflowDocs(repoRoot)).map((p) => formatProblem(p, repoRoot))).toEqual([]);
});

test('a missing page fails; the generator writes one with a caller example and the tables, which then passes', async () => {
  expect((await checkWorkflowDocs(dir)).map((p) => p.message)).toEqual([expect.stringMatching(/^greet.yml has no page/)]);
  await writeWorkflowDocs(dir);
  const page = await readFile(join(dir, 'docs/workflows/greet.md'), 'utf8');
  expect(page).toContain('uses: tripo04os/actions/.github/workflows/greet.yml@v1');
  expect(page).toContain('      contents: read');
  expect(tableRows(page)).toEqual([
    'name | type | required | default | description',
    '`who` | string | yes |  | Whom to greet \\| with a pipe.',
    '`times` | number | no | `1` | How many times.',
    'name | required | description',
    '`TOKEN` | no | A token.',
    'name | description',
    '`said` | What was said.',
  ]);
  expect(await checkWorkflowDocs(dir)).toEqual([]);
});

test.each([
  [
    'a changed default',
    (y: string) => y.replace('default: 1', 'default: 2'),
    /the page says "`times` \| number \| no \| `1` \| How many times\."/,
  ],
  [
    'a new input',
    (y: string) => y.replace('    secrets:', '      loud:\n        description: Shout.\n        type: boolean\n    secrets:'),
    /the workflow says "`loud` \| boolean/,
  ],
  [
    'a removed output',
    (y: string) => y.replace(/ {4}outputs:\n {6}said:\n.*\n.*\n/, ''),
    /the workflow says "\(nothing\)"|the page says "name \| description"/,
  ],
  [
    'a secret made required',
    (y: string) => y.replace('        required: false', '        required: true'),
    /"`TOKEN` \| yes \| A token\."/,
  ],
])('a table that disagrees with its workflow fails: %s', async (_, change, message) => {
  await writeWorkflowDocs(dir);
  const wf = join(dir, '.github/workflows/greet.yml');
  await writeFile(wf, change(await readFile(wf, 'utf8')));
  const problems = await checkWorkflowDocs(dir);
  expect(problems).toHaveLength(1);
  expect(problems[0]?.rule).toBe('workflow-docs');
  expect(problems[0]?.message).toMatch(message);
  // The generator brings the page back in line, keeping what was written by hand.
  const page = join(dir, 'docs/workflows/greet.md');
  await writeFile(page, (await readFile(page, 'utf8')).replace('## Usage', '## Usage\n\nHand-written.'));
  await writeWorkflowDocs(dir);
  expect(await checkWorkflowDocs(dir)).toEqual([]);
  expect(await readFile(page, 'utf8')).toContain('Hand-written.');
});

test('re-aligned tables (a formatter changing the padding) still pass; a page without a workflow fails', async () => {
  await writeWorkflowDocs(dir);
  const page = join(dir, 'docs/workflows/greet.md');
  await writeFile(page, (await readFile(page, 'utf8')).replace(/ {2,}\|/g, ' |').replace(/-{4,}/g, '---'));
  expect(await checkWorkflowDocs(dir)).toEqual([]);
  await writeFile(join(dir, 'docs/workflows/gone.md'), '# gone\n');
  expect((await checkWorkflowDocs(dir)).map((p) => p.message)).toEqual(['no reusable workflow .github/workflows/gone.yml for this page']);
});
