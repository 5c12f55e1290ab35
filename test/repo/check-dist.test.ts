/**
 * scripts/check-dist.sh decides on `git status` of every file under actions/NAME/dist/; proven
 * in a scratch git repository (the build itself is skipped: it is what npm run build does).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { normalizeLineEndings } from '../../scripts/bundle.ts';

let dir: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
const checkDist = () => {
  const r = spawnSync('bash', ['scripts/check-dist.sh'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CHECK_DIST_SKIP_BUILD: '1', GITHUB_STEP_SUMMARY: join(dir, '.summary') },
  });
  return { code: r.status, out: r.stdout + r.stderr };
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-dist-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'actions/a/dist'), { recursive: true });
  copyFileSync(join(repoRoot, 'scripts/check-dist.sh'), join(dir, 'scripts/check-dist.sh'));
  copyFileSync(join(repoRoot, '.gitattributes'), join(dir, '.gitattributes'));
  writeFileSync(join(dir, '.gitignore'), '.summary\n');
  writeFileSync(join(dir, 'actions/a/dist/index.js'), 'console.log(1);\n');
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('passes when dist/ is as committed', () => {
  expect(checkDist()).toEqual({ code: 0, out: 'dist/ bundles match their source.\n' });
});

test('fails on a changed bundle, naming it, and writes the step summary', () => {
  writeFileSync(join(dir, 'actions/a/dist/index.js'), 'console.log(2);\n');
  const r = checkDist();
  expect(r.code).toBe(1);
  expect(r.out).toContain(
    "The committed dist/ bundles differ from what the source builds. Run 'npm run build' and commit actions/*/dist/.",
  );
  expect(r.out).toContain(' M actions/a/dist/index.js');
  expect(readFileSync(join(dir, '.summary'), 'utf8')).toContain('### dist/ is out of date');
});

test('fails on a new file (a new chunk) and on a removed one', () => {
  writeFileSync(join(dir, 'actions/a/dist/118.index.js'), 'x');
  expect(checkDist().out).toContain('?? actions/a/dist/118.index.js');
  rmSync(join(dir, 'actions/a/dist/118.index.js'));
  rmSync(join(dir, 'actions/a/dist/index.js'));
  expect(checkDist().out).toContain(' D actions/a/dist/index.js');
});

test('bundles get LF line endings, so a rebuild on a fresh clone matches what git stores', () => {
  // ncc copies CRLF from some license comments; git stores dist/ with LF (.gitattributes) and
  // a fresh clone checks out LF.
  const crlf = '/* license\r\n */console.log(1);\r\n';
  writeFileSync(join(dir, 'actions/a/dist/index.js'), crlf);
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'crlf');
  rmSync(join(dir, 'actions/a/dist/index.js'));
  git('checkout', '--', 'actions');
  expect(readFileSync(join(dir, 'actions/a/dist/index.js'), 'utf8')).toBe('/* license\n */console.log(1);\n');
  writeFileSync(join(dir, 'actions/a/dist/index.js'), crlf); // the rebuild, as ncc writes it
  expect(checkDist().code).toBe(1);
  normalizeLineEndings(join(dir, 'actions/a/dist'));
  expect(checkDist().code).toBe(0);
});

test('normalizeLineEndings turns CRLF and lone CR into LF in text files', () => {
  writeFileSync(join(dir, 'actions/a/dist/licenses.txt'), 'a\r\nb\rc\n');
  normalizeLineEndings(join(dir, 'actions/a/dist'));
  expect(readFileSync(join(dir, 'actions/a/dist/licenses.txt'), 'utf8')).toBe('a\nb\nc\n');
});
