/**
 * The reusable workflows run this repository's actions at their own release: every own `uses:`
 * in .github/workflows/ names v<lerna.json version>. Proven on a real git repository: the
 * workflows read at the release tag (and through the moving major tag) resolve every action
 * they use to the commit they were read from.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { checkOwnRefs, formatProblem, ownRefs, ownWorkflows, repoVersion, writeOwnRefs } from '../../scripts/checks/index.ts';

const fixture = join(repoRoot, 'test/fixtures/own-refs');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'own-refs-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('the repository passes: every own ref in .github/workflows/ is the release', async () => {
  expect((await checkOwnRefs(repoRoot)).map((p) => formatProblem(p, repoRoot))).toEqual([]);
  const refs = (await Promise.all((await ownWorkflows(repoRoot)).map(ownRefs))).flat();
  // docker-build, kubectl-deploy, notification and the nested workflows of pipeline.yml.
  expect(refs.length).toBeGreaterThanOrEqual(10);
  expect(new Set(refs.map((r) => r.ref))).toEqual(new Set([`v${await repoVersion(repoRoot)}`]));
});

test('a ref at another version fails with its line; --write sets every ref to the release', async () => {
  await cp(fixture, dir, { recursive: true });
  const problems = await checkOwnRefs(dir);
  expect(problems.map((p) => [p.line, p.rule])).toEqual([
    [13, 'own-ref'],
    [17, 'own-ref'],
  ]);
  expect(problems[0]?.message).toContain("job 'deploy' step 2: tripo04os/actions/notification@v1 must be @v2.3.4");
  expect(problems[1]?.message).toContain('tripo04os/actions/.github/workflows/other.yml@v2.3.3 must be @v2.3.4');
  await writeOwnRefs(dir);
  expect(await checkOwnRefs(dir)).toEqual([]);
  const text = await readFile(join(dir, '.github/workflows/reusable.yml'), 'utf8');
  expect(text).toContain('uses: tripo04os/actions/notification@v2.3.4');
  expect(text).toContain('actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1');
});

test("a release of this repository's workflows runs the actions of the same commit (git, tags vX.Y.Z and vX)", async () => {
  const version = await repoVersion(repoRoot);
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  await mkdir(join(dir, '.github'), { recursive: true });
  await cp(join(repoRoot, '.github/workflows'), join(dir, '.github/workflows'), { recursive: true });
  await cp(join(repoRoot, 'lerna.json'), join(dir, 'lerna.json'));
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'release');
  git('tag', `v${version}`);
  git('tag', `v${version.split('.')[0]}`);
  // A later commit on main must not change what the tags run.
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'later');
  for (const tag of [`v${version}`, `v${version.split('.')[0]}`]) {
    const released = git('rev-parse', `${tag}^{commit}`);
    for (const file of await ownWorkflows(dir)) {
      const refs = await ownRefs(file);
      for (const r of refs)
        expect({ file, target: r.target, commit: git('rev-parse', `${r.ref}^{commit}`) }).toEqual({
          file,
          target: r.target,
          commit: released,
        });
    }
  }
  expect(git('rev-parse', 'HEAD')).not.toBe(git('rev-parse', `v${version}^{commit}`));
});
