/**
 * Where workflow files and actions come from: the caller's repository, this repository
 * (`tripo04os/actions` by default), or a repository mapped with --repo-map. A `@REF` that exists
 * in the git repository is read from git at that ref; otherwise the working tree is used (one
 * warning per repository and ref).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** This repository's checkout (packages/workflow/src → repo root). */
export const thisRepoRoot = resolve(import.meta.dirname, '..', '..', '..');

export interface Source {
  /** OWNER/NAME, or '' for the caller's repository when it is not mapped. */
  repo: string;
  dir: string;
  /** The git commit the files are read at; null: the working tree. */
  commit: string | null;
}

export class RepoResolver {
  readonly map: Map<string, string>;
  private warned = new Set<string>();
  private commits = new Map<string, string | null>();
  private trees = new Map<string, string>();
  private readonly warn: (line: string) => void;
  constructor(map: Record<string, string>, warn: (line: string) => void) {
    this.warn = warn;
    this.map = new Map(Object.entries({ 'tripo04os/actions': thisRepoRoot, ...map }).map(([k, v]) => [k.toLowerCase(), resolve(v)]));
  }

  has(repo: string): boolean {
    return this.map.has(repo.toLowerCase());
  }

  /** OWNER/NAME@REF → where to read it; null when the repository is not mapped. */
  source(repo: string, ref: string): Source | null {
    const dir = this.map.get(repo.toLowerCase());
    if (!dir) return null;
    const key = `${dir}@${ref}`;
    let commit = this.commits.get(key);
    if (commit === undefined) {
      commit = revParse(dir, ref);
      this.commits.set(key, commit);
      if (commit === null && !this.warned.has(key)) {
        this.warned.add(key);
        this.warn(`warning: ${repo}@${ref}: no such ref in ${dir}; using its working tree`);
      }
    }
    return { repo, dir, commit };
  }

  /** A directory holding the source's files (a cached `git archive` for a commit). */
  tree(src: Source): string {
    if (src.commit === null) return src.dir;
    const cached = this.trees.get(src.commit);
    if (cached) return cached;
    const dest = join(tmpdir(), 'tripo04os-workflow-trees', src.commit);
    if (!existsSync(dest)) {
      const part = `${dest}.${process.pid}.part`;
      rmSync(part, { recursive: true, force: true });
      mkdirSync(part, { recursive: true });
      execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', src.dir, src.commit, part]);
      mkdirSync(dirname(dest), { recursive: true });
      try {
        renameSync(part, dest);
      } catch {
        rmSync(part, { recursive: true, force: true });
      }
    }
    this.trees.set(src.commit, dest);
    return dest;
  }
}

export function revParse(dir: string, ref: string): string | null {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--verify', '-q', `${ref}^{commit}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/** Reads PATH from a source: from git at its commit, or from the working tree. */
export function readSourceFile(src: Source, path: string): string {
  if (src.commit === null) return readFileSync(join(src.dir, path), 'utf8');
  return execFileSync('git', ['-C', src.dir, 'show', `${src.commit}:${path}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
