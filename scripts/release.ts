/**
 * Makes a release of the whole repository (one version: lerna's fixed mode).
 *
 *   npm run release -- X.Y.Z [--push REMOTE]
 *   node scripts/release.ts verify-tag vX.Y.Z        (the release workflow: tag = lerna.json)
 *   node scripts/release.ts notes vX.Y.Z             (the CHANGELOG section of that version)
 *   node scripts/release.ts major-tag vX.Y.Z         (vX, or nothing for a pre-release)
 *   node scripts/release.ts publish vX.Y.Z           (the GitHub release of that tag, with its notes)
 *
 * `release` refuses, before it changes anything: a version that is not semver, one that is not
 * greater than the last vX.Y.Z tag, a tag that exists already (here or on REMOTE), a dirty work
 * tree, a stale dist/ (`npm run -s check-dist` of the repository). Then it sets the one version
 * everywhere (lerna.json, the root and every workspace package.json, their dependencies on each
 * other, package-lock.json) and in the reusable workflows' references to this repository
 * (`@vX.Y.Z`, scripts/checks/own-refs.ts), puts the commits since the last tag into CHANGELOG.md grouped by
 * area, commits, and creates the annotated tag vX.Y.Z. A release (not a pre-release) moves the
 * major tag vX to it. Nothing is pushed unless `--push REMOTE`: then the branch, vX.Y.Z and vX go
 * in one `git push --atomic` (vX forced, vX.Y.Z never: a remote vX.Y.Z that exists refuses the
 * whole push, and nothing moves).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import semver from 'semver';
import { writeOwnRefs } from './checks/own-refs.ts';
import { majorTag, ReleaseError, verifyTag } from './release-tag.ts';

export { majorTag, ReleaseError, verifyTag };

import { workspacePackages } from './checks/versions.ts';

interface Options {
  /** The repository (default: this checkout). */
  root?: string;
  /** Push the branch and tags to this remote in one atomic push. */
  push?: string;
  /** The date written in the CHANGELOG heading (tests). */
  date?: Date;
  log?: (line: string) => void;
}

function git(root: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', input });
  if (r.status !== 0) throw new ReleaseError(`git ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

const TAG = /^v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

/** The release tags (vX.Y.Z and pre-releases) of the repository, highest first. */
export function releaseTags(root: string): string[] {
  return git(root, ['tag', '--list', 'v*'])
    .split('\n')
    .filter((t) => TAG.test(t) && semver.valid(t.slice(1)))
    .sort((a, b) => semver.rcompare(a.slice(1), b.slice(1)));
}

/** The area a commit belongs to: its subject's `area:` prefix, else the top folder it touches most. */
export function areaOf(subject: string, files: string[]): string {
  const m = /^([A-Za-z0-9_./{}, -]+?):\s/.exec(subject);
  if (m?.[1] && m[1].length <= 40) return m[1].trim();
  const counts = new Map<string, number>();
  for (const f of files) {
    const parts = f.split('/');
    let area = parts[0] ?? 'other';
    if ((area === 'packages' || area === 'actions') && parts[1]) area = parts[1];
    else if (area === '.github') area = 'workflows';
    counts.set(area, (counts.get(area) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'other';
}

/** The CHANGELOG section of a release: the commits since `since` (or all), grouped by area. */
export function changelogSection(root: string, version: string, since: string | undefined, date: Date): string {
  const range = since ? [`${since}..HEAD`] : ['HEAD'];
  const raw = git(root, ['log', '--no-merges', '--format=%x1e%h%x1f%s', '--name-only', ...range]);
  const groups = new Map<string, string[]>();
  for (const record of raw.split('\x1e').filter((r) => r.trim())) {
    const [head = '', ...files] = record.trim().split('\n');
    const [sha = '', subject = ''] = head.split('\x1f');
    const area = areaOf(subject, files.filter(Boolean));
    const list = groups.get(area) ?? [];
    list.push(`- ${subject} (${sha})`);
    groups.set(area, list);
  }
  const lines = [`## v${version} (${date.toISOString().slice(0, 10)})`, ''];
  if (groups.size === 0) lines.push('No changes.', '');
  for (const area of [...groups.keys()].sort()) lines.push(`### ${area}`, '', ...(groups.get(area) ?? []), '');
  return lines.join('\n');
}

/** The section of CHANGELOG.md for a version (the release notes). */
export function notesOf(root: string, version: string): string {
  const file = join(root, 'CHANGELOG.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const v = version.replace(/^v/, '');
  const start = text.indexOf(`## v${v} `);
  if (start < 0) throw new ReleaseError(`CHANGELOG.md has no section for v${v}`);
  const next = text.indexOf('\n## v', start + 1);
  return text.slice(start, next < 0 ? undefined : next).trim();
}

function writeJson(file: string, data: unknown): void {
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

/** Sets the one version in lerna.json, every package.json (and their workspace dependencies) and the lockfile. */
export async function setVersion(root: string, version: string): Promise<string[]> {
  const changed: string[] = [];
  const lerna = JSON.parse(readFileSync(join(root, 'lerna.json'), 'utf8'));
  lerna.version = version;
  writeJson(join(root, 'lerna.json'), lerna);
  changed.push('lerna.json');
  const files = [join(root, 'package.json'), ...(await workspacePackages(root))];
  const pkgs = files.map((file) => ({ file, pkg: JSON.parse(readFileSync(file, 'utf8')) }));
  const names = new Set(pkgs.slice(1).map((p) => p.pkg.name as string));
  for (const { file, pkg } of pkgs) {
    pkg.version = version;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const dep of Object.keys(pkg[field] ?? {})) if (names.has(dep)) pkg[field][dep] = version;
    }
    writeJson(file, pkg);
    changed.push(relative(root, file));
  }
  const lockFile = join(root, 'package-lock.json');
  if (existsSync(lockFile)) {
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    lock.version = version;
    for (const [path, entry] of Object.entries<Record<string, unknown>>(lock.packages ?? {})) {
      const isWorkspace = path === '' || pkgs.some((p) => relative(root, join(p.file, '..')) === path);
      if (!isWorkspace) continue;
      entry.version = version;
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
        const deps = entry[field] as Record<string, string> | undefined;
        for (const dep of Object.keys(deps ?? {})) if (names.has(dep) && deps) deps[dep] = version;
      }
    }
    writeJson(lockFile, lock);
    changed.push('package-lock.json');
  }
  return changed;
}

export interface ReleaseResult {
  version: string;
  tag: string;
  /** The major tag moved (undefined for a pre-release). */
  major?: string;
  commit: string;
  pushed: boolean;
}

export async function release(versionArg: string, options: Options = {}): Promise<ReleaseResult> {
  const root = resolve(options.root ?? join(import.meta.dirname, '..'));
  const log = options.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const version = versionArg.replace(/^v/, '');
  if (!semver.valid(version) || semver.clean(version) !== version) {
    throw new ReleaseError(`version ${JSON.stringify(versionArg)} is not X.Y.Z or X.Y.Z-PRERELEASE (semver)`);
  }
  const tag = `v${version}`;
  const tags = releaseTags(root);
  if (tags.includes(tag)) throw new ReleaseError(`${tag} exists already: a released version is never made again`);
  const last = tags[0];
  if (last && !semver.gt(version, last.slice(1))) {
    throw new ReleaseError(`${version} is not greater than the last release ${last}`);
  }
  if (options.push) {
    const remote = git(root, ['ls-remote', '--tags', options.push, `refs/tags/${tag}`]);
    if (remote) throw new ReleaseError(`${tag} exists already on ${options.push}: a released version is never moved`);
  }
  const dirty = git(root, ['status', '--porcelain']);
  if (dirty) throw new ReleaseError(`the work tree is not clean; commit or stash first:\n${dirty}`);
  const branch = git(root, ['rev-parse', '--abbrev-ref', 'HEAD']);
  if (branch === 'HEAD') throw new ReleaseError('HEAD is detached: release from a branch');

  log(`checking that dist/ matches the source (npm run check-dist)`);
  const check = spawnSync('npm', ['run', '-s', 'check-dist'], { cwd: root, encoding: 'utf8' });
  if (check.status !== 0) {
    // The check rebuilds; leave the tree as it was.
    git(root, ['checkout', '--', '.']);
    git(root, ['clean', '-fdq', '--', ':(glob)actions/*/dist/**']);
    throw new ReleaseError(`dist/ is stale; run 'npm run build' and commit it:\n${(check.stderr || check.stdout).trim()}`);
  }

  const date = options.date ?? new Date();
  const section = changelogSection(root, version, last, date);
  const changed = await setVersion(root, version);
  // The reusable workflows name their own release exactly (scripts/checks/own-refs.ts).
  for (const file of await writeOwnRefs(root)) changed.push(relative(root, file));
  const changelog = join(root, 'CHANGELOG.md');
  const title = '# Changelog\n\nEvery release of tripo04os/actions; `vX` always names the newest `vX.Y.Z`.\n\n';
  const previous = existsSync(changelog) ? readFileSync(changelog, 'utf8').replace(/^# Changelog\n[\s\S]*?(?=^## v|$(?![\s\S]))/m, '') : '';
  writeFileSync(changelog, `${title}${section}\n${previous}`.replace(/\n{3,}/g, '\n\n'));
  git(root, ['add', 'CHANGELOG.md', ...changed]);
  git(root, ['commit', '-q', '-m', `Release ${tag}`, '-m', section]);
  git(root, ['tag', '-a', tag, '-F', '-'], `${tag}\n\n${section}`);
  const commit = git(root, ['rev-parse', 'HEAD']);
  const major = majorTag(version);
  if (major) git(root, ['tag', '-f', major, commit]);
  log(`made ${tag}${major ? `, moved ${major}` : ' (pre-release: no major tag moved)'} at ${commit.slice(0, 7)}`);

  if (options.push) {
    const refspecs = [`HEAD:refs/heads/${branch}`, `refs/tags/${tag}:refs/tags/${tag}`];
    if (major) refspecs.push(`+refs/tags/${major}:refs/tags/${major}`);
    git(root, ['push', '--atomic', options.push, ...refspecs]);
    log(`pushed ${branch}, ${tag}${major ? ` and ${major}` : ''} to ${options.push} (one atomic push)`);
  }
  return { version, tag, major, commit, pushed: Boolean(options.push) };
}

/**
 * Publishes the GitHub release of a tag with its CHANGELOG section (the release workflow's last
 * step): POST GITHUB_API_URL/repos/GITHUB_REPOSITORY/releases with GITHUB_TOKEN. A release that
 * exists already is not touched (releases are immutable): that fails.
 */
export async function publishRelease(root: string, tag: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const version = verifyTag(root, tag);
  const api = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  const repository = env.GITHUB_REPOSITORY;
  const token = env.GITHUB_TOKEN;
  if (!repository) throw new ReleaseError('GITHUB_REPOSITORY is not set (OWNER/REPO)');
  if (!token) throw new ReleaseError('GITHUB_TOKEN is not set: the job needs permissions: contents: write');
  const prerelease = majorTag(version) === undefined;
  const res = await fetch(`${api}/repos/${repository}/releases`, {
    method: 'POST',
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-github-api-version': '2022-11-28',
    },
    body: JSON.stringify({ tag_name: tag, name: tag, body: notesOf(root, tag), prerelease, make_latest: prerelease ? 'false' : 'true' }),
  });
  const text = await res.text();
  if (!res.ok) throw new ReleaseError(`creating the release ${tag} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  const url = (JSON.parse(text) as { html_url?: string }).html_url ?? '';
  return `published ${tag}${prerelease ? ' (pre-release)' : ''} ${url}`.trim();
}

async function cli(argv: string[]): Promise<number> {
  const root = resolve(join(import.meta.dirname, '..'));
  const [command, arg, ...rest] = argv;
  try {
    if (command === 'verify-tag' && arg) {
      process.stdout.write(`${verifyTag(root, arg)}\n`);
    } else if (command === 'notes' && arg) {
      process.stdout.write(`${notesOf(root, arg)}\n`);
    } else if (command === 'publish' && arg) {
      process.stdout.write(`${await publishRelease(root, arg)}\n`);
    } else if (command === 'major-tag' && arg) {
      process.stdout.write(`${majorTag(arg) ?? ''}\n`);
    } else if (command && /^v?\d/.test(command)) {
      const args = [arg, ...rest].filter((a): a is string => a !== undefined);
      let push: string | undefined;
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '--push' && args[i + 1]) push = args[++i];
        else throw new ReleaseError(`unknown argument ${args[i]}; usage: npm run release -- X.Y.Z [--push REMOTE]`);
      }
      await release(command, { push });
    } else {
      throw new ReleaseError(
        'usage: npm run release -- X.Y.Z [--push REMOTE] | verify-tag vX.Y.Z | notes vX.Y.Z | major-tag vX.Y.Z | publish vX.Y.Z',
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`release: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof ReleaseError ? 2 : 1;
  }
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) process.exitCode = await cli(process.argv.slice(2));
