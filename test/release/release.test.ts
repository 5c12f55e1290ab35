/**
 * scripts/release.ts with real git against a local bare repository as the remote, on a small
 * repository laid out like this one (lerna.json, workspaces, a dist/ that its own check-dist
 * rebuilds from src/ and compares, as scripts/check-dist.sh does for the bundles).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { areaOf, majorTag, notesOf, ReleaseError, release, verifyTag } from '../../scripts/release.ts';

let base: string;
let remote: string;
let repo: string;

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const write = (file: string, text: string) => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
};
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const commit = (message: string, files: Record<string, string>) => {
  for (const [f, t] of Object.entries(files)) write(join(repo, f), t);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
};
const remoteRef = (ref: string) => {
  try {
    return git(remote, 'rev-parse', `${ref}^{commit}`);
  } catch {
    return undefined;
  }
};
const quiet = { log: () => {}, date: new Date('2026-11-30T00:00:00Z') };

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'release-'));
  remote = join(base, 'remote.git');
  repo = join(base, 'repo');
  git(base, 'init', '-q', '--bare', remote);
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.email', 'dev@example.com');
  git(repo, 'config', 'user.name', 'Dev');
  git(repo, 'remote', 'add', 'origin', remote);
  commit('foundation', {
    'lerna.json': JSON.stringify({ version: '1.0.0', packages: ['packages/*'] }),
    'package.json': JSON.stringify({
      name: 'fixture-root',
      version: '1.0.0',
      private: true,
      workspaces: ['packages/*'],
      scripts: { 'check-dist': 'sh scripts/check-dist.sh' },
    }),
    'packages/a/package.json': JSON.stringify({ name: '@fx/a', version: '1.0.0' }),
    'packages/b/package.json': JSON.stringify({ name: '@fx/b', version: '1.0.0', dependencies: { '@fx/a': '1.0.0', semver: '^7.0.0' } }),
    'package-lock.json': JSON.stringify({
      name: 'fixture-root',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: {
        '': { name: 'fixture-root', version: '1.0.0' },
        'packages/a': { name: '@fx/a', version: '1.0.0' },
        'packages/b': { name: '@fx/b', version: '1.0.0', dependencies: { '@fx/a': '1.0.0' } },
        'node_modules/semver': { version: '7.7.3' },
      },
    }),
    'src/a.txt': 'one\n',
    'actions/a/dist/a.txt': 'one\n',
    'scripts/check-dist.sh':
      'set -e\ncp src/a.txt actions/a/dist/a.txt\nif [ -n "$(git status --porcelain -- actions)" ]; then echo "dist/ is stale" >&2; exit 1; fi\n',
  });
  git(repo, 'tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
  git(repo, 'tag', 'v1', 'v1.0.0^{commit}');
  git(repo, 'push', '-q', 'origin', 'main', 'v1.0.0', 'v1');
  commit('kube: refuse a paused Deployment', { 'packages/a/x.txt': '1' });
  commit('docs: versioning', { 'docs/versioning.md': '# v' });
  commit('a change without an area', { 'packages/b/y.txt': '2' });
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

test('a release creates vX.Y.Z, moves vX and pushes the branch and both tags to the remote', async () => {
  const r = await release('1.1.0', { ...quiet, root: repo, push: 'origin' });
  expect(r).toMatchObject({ tag: 'v1.1.0', major: 'v1', pushed: true });
  expect(git(repo, 'cat-file', '-t', 'v1.1.0')).toBe('tag'); // annotated
  expect(remoteRef('v1.1.0')).toBe(r.commit);
  expect(remoteRef('v1')).toBe(r.commit);
  expect(remoteRef('main')).toBe(r.commit);
  expect(json(join(repo, 'lerna.json')).version).toBe('1.1.0');
  expect(json(join(repo, 'packages/b/package.json'))).toMatchObject({
    version: '1.1.0',
    dependencies: { '@fx/a': '1.1.0', semver: '^7.0.0' },
  });
  const lock = json(join(repo, 'package-lock.json'));
  expect([lock.version, lock.packages['packages/b'].version, lock.packages['packages/b'].dependencies['@fx/a']]).toEqual([
    '1.1.0',
    '1.1.0',
    '1.1.0',
  ]);
  expect(lock.packages['node_modules/semver'].version).toBe('7.7.3');
  expect(git(repo, 'status', '--porcelain')).toBe('');
});

test('the changelog section lists the commits since the previous tag, grouped by area', async () => {
  await release('1.1.0', { ...quiet, root: repo });
  const notes = notesOf(repo, 'v1.1.0');
  expect(notes.split('\n')[0]).toBe('## v1.1.0 (2026-11-30)');
  expect(notes).toMatch(/### kube\n\n- refuse a paused Deployment|### kube\n\n- kube: refuse a paused Deployment/);
  expect(notes).toContain('### docs');
  expect(notes).toMatch(/### b\n\n- a change without an area/);
  expect(notes).not.toContain('foundation'); // released in v1.0.0
  commit('image: push by digest', { 'packages/a/z.txt': '3' });
  await release('1.2.0', { ...quiet, root: repo });
  expect(notesOf(repo, 'v1.2.0')).toContain('push by digest');
  expect(notesOf(repo, 'v1.2.0')).not.toContain('paused');
  expect(notesOf(repo, 'v1.1.0')).toContain('paused'); // the older section stays
});

test('a second release of the same version is refused before anything changes', async () => {
  await release('1.1.0', { ...quiet, root: repo, push: 'origin' });
  const head = git(repo, 'rev-parse', 'HEAD');
  await expect(release('1.1.0', { ...quiet, root: repo, push: 'origin' })).rejects.toThrow(/v1\.1\.0 exists already/);
  await expect(release('1.0.5', { ...quiet, root: repo })).rejects.toThrow(/not greater than the last release v1\.1\.0/);
  expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
});

test('an existing vX.Y.Z on the remote is never moved', async () => {
  // Someone else released 1.1.0 from another commit; this clone has not fetched the tag.
  const other = join(base, 'other');
  git(base, 'clone', '-q', remote, other);
  git(other, 'config', 'user.email', 'o@example.com');
  git(other, 'config', 'user.name', 'O');
  write(join(other, 'o.txt'), 'o');
  git(other, 'add', '-A');
  git(other, 'commit', '-q', '-m', 'other');
  git(other, 'tag', '-a', 'v1.1.0', '-m', 'v1.1.0');
  git(other, 'push', '-q', 'origin', 'v1.1.0');
  const theirs = remoteRef('v1.1.0');
  await expect(release('1.1.0', { ...quiet, root: repo, push: 'origin' })).rejects.toThrow(/exists already on origin/);
  expect(remoteRef('v1.1.0')).toBe(theirs);
  expect(remoteRef('v1')).toBe(remoteRef('v1.0.0'));
  expect(git(repo, 'tag', '--list', 'v1.1.0')).toBe('');
});

test('a pre-release leaves vX where it was', async () => {
  const before = remoteRef('v1');
  const r = await release('1.1.0-rc.1', { ...quiet, root: repo, push: 'origin' });
  expect(r.major).toBeUndefined();
  expect(remoteRef('v1.1.0-rc.1')).toBe(r.commit);
  expect(remoteRef('v1')).toBe(before);
  expect(git(repo, 'rev-parse', 'v1^{commit}')).toBe(before);
});

test('a stale dist/ stops the release before any tag exists, and leaves the tree as it was', async () => {
  commit('src changed, dist not rebuilt', { 'src/a.txt': 'two\n' });
  const head = git(repo, 'rev-parse', 'HEAD');
  await expect(release('1.1.0', { ...quiet, root: repo, push: 'origin' })).rejects.toThrow(/dist\/ is stale/);
  expect(git(repo, 'tag', '--list', 'v1.1*')).toBe('');
  expect(remoteRef('v1.1.0')).toBeUndefined();
  expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
  expect(git(repo, 'status', '--porcelain')).toBe('');
});

test('a dirty tree or a bad version stops the release before any tag exists', async () => {
  write(join(repo, 'packages/a/x.txt'), 'changed');
  await expect(release('1.1.0', { ...quiet, root: repo })).rejects.toThrow(/work tree is not clean/);
  git(repo, 'checkout', '--', '.');
  await expect(release('1.1', { ...quiet, root: repo })).rejects.toThrow(ReleaseError);
  await expect(release('01.1.0', { ...quiet, root: repo })).rejects.toThrow(/not X\.Y\.Z/);
  expect(git(repo, 'tag', '--list', 'v1.1*')).toBe('');
});

test('verify-tag: the tag must equal lerna.json', () => {
  expect(verifyTag(repo, 'v1.0.0')).toBe('1.0.0');
  expect(() => verifyTag(repo, 'v1.0.1')).toThrow(/does not match lerna\.json's version 1\.0\.0/);
  expect(() => verifyTag(repo, 'release-1')).toThrow(/not a release tag/);
});

test('helpers: the major tag and the area of a commit', () => {
  expect([majorTag('2.3.4'), majorTag('v2.3.4'), majorTag('2.0.0-rc.1')]).toEqual(['v2', 'v2', undefined]);
  expect(areaOf('kubectl-deploy: blue-green', [])).toBe('kubectl-deploy');
  expect(areaOf('Make it faster', ['packages/kube/src/a.ts', 'packages/kube/src/b.ts', 'README.md'])).toBe('kube');
  expect(areaOf('Pin actions', ['.github/workflows/ci.yml'])).toBe('workflows');
});

test('the release commit names the new version in the reusable workflows (own-refs)', async () => {
  commit('workflows: a reusable workflow', {
    '.github/workflows/deploy.yml':
      'on: workflow_call\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: tripo04os/actions/kubectl-deploy@v1.0.0\n',
  });
  await release('1.1.0', { ...quiet, root: repo });
  expect(readFileSync(join(repo, '.github/workflows/deploy.yml'), 'utf8')).toContain('tripo04os/actions/kubectl-deploy@v1.1.0');
  expect(git(repo, 'show', '--stat', '--format=', 'v1.1.0')).toContain('.github/workflows/deploy.yml');
});
