/**
 * Events: the `github` context with a realistic payload per event, and the `on:` filters
 * (branches, tags, paths against the commit's changed files).
 * https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#filter-pattern-cheat-sheet
 */
import { execFileSync } from 'node:child_process';
import { basename, matchesGlob } from 'node:path';

export const EVENTS = ['push', 'pull_request', 'workflow_dispatch', 'schedule'] as const;
export type EventName = (typeof EVENTS)[number];

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

function tryGit(dir: string, ...args: string[]): string | null {
  try {
    return git(dir, ...args);
  } catch {
    return null;
  }
}

/** OWNER/NAME of a checkout: from its origin remote, else local/DIRNAME. */
export function repositoryName(dir: string): string {
  const url = tryGit(dir, 'config', '--get', 'remote.origin.url');
  const m = url && /[:/]([^/:]+)\/([^/]+?)(\.git)?\/?$/.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return `local/${basename(dir)}`;
}

/** Files changed by the commit (against its first parent; every file for a root commit). */
export function changedFiles(dir: string, sha: string): string[] {
  const out = tryGit(dir, 'diff', '--name-only', `${sha}^`, sha) ?? tryGit(dir, 'ls-tree', '-r', '--name-only', sha) ?? '';
  return out.split('\n').filter(Boolean);
}

function commitInfo(dir: string, sha: string) {
  // One git process for everything (start-up time).
  const raw = tryGit(dir, 'show', '-s', '--format=%H%x00%T%x00%P%x00%cI%x00%an%x00%ae%x00%cn%x00%ce%x00%B', sha);
  const [id, tree, parents, timestamp, an, ae, cn, ce, message] = (raw ?? '').split('\0');
  return {
    id: id || sha,
    parent: (parents ?? '').split(' ')[0] || null,
    tree_id: tree ?? '',
    message: (message ?? '').trim(),
    timestamp: timestamp || new Date().toISOString(),
    author: { name: an ?? 'local', email: ae ?? '', username: an ?? 'local' },
    committer: { name: cn ?? 'local', email: ce ?? '', username: cn ?? 'local' },
  };
}

export interface EventSpec {
  repoDir: string;
  repository: string;
  event: EventName;
  ref: string;
  sha: string;
  inputs: Record<string, unknown>;
  actor: string;
}

/** The event payload and the ref fields of the github context. */
export function eventPayload(s: EventSpec): { payload: Record<string, unknown>; ref: string; headRef: string; baseRef: string } {
  const [owner, name] = s.repository.split('/');
  const repository = {
    full_name: s.repository,
    name,
    owner: { login: owner, name: owner },
    default_branch: 'main',
    html_url: `https://github.com/${s.repository}`,
    clone_url: `https://github.com/${s.repository}.git`,
  };
  const sender = { login: s.actor, type: 'User' };
  const { parent, ...head } = commitInfo(s.repoDir, s.sha);
  const before = parent ?? '0000000000000000000000000000000000000000';
  switch (s.event) {
    case 'push':
      return {
        payload: {
          ref: s.ref,
          before,
          after: s.sha,
          created: false,
          deleted: false,
          forced: false,
          base_ref: null,
          compare: `https://github.com/${s.repository}/compare/${before.slice(0, 12)}...${s.sha.slice(0, 12)}`,
          commits: [{ ...head, distinct: true, url: `https://github.com/${s.repository}/commit/${s.sha}` }],
          head_commit: { ...head, distinct: true, url: `https://github.com/${s.repository}/commit/${s.sha}` },
          pusher: { name: s.actor, email: head.author.email },
          repository,
          sender,
        },
        ref: s.ref,
        headRef: '',
        baseRef: '',
      };
    case 'pull_request': {
      const headBranch = s.ref.replace(/^refs\/heads\//, '');
      const number = 1;
      return {
        payload: {
          action: 'synchronize',
          number,
          pull_request: {
            number,
            state: 'open',
            title: head.message.split('\n')[0],
            body: '',
            user: sender,
            head: { ref: headBranch, sha: s.sha, label: `${owner}:${headBranch}`, repo: repository },
            base: { ref: 'main', sha: before, label: `${owner}:main`, repo: repository },
            merged: false,
            draft: false,
            html_url: `https://github.com/${s.repository}/pull/${number}`,
          },
          repository,
          sender,
        },
        ref: `refs/pull/${number}/merge`,
        headRef: headBranch,
        baseRef: 'main',
      };
    }
    case 'workflow_dispatch':
      return {
        payload: {
          inputs: Object.fromEntries(Object.entries(s.inputs).map(([k, v]) => [k, String(v)])),
          ref: s.ref,
          repository,
          sender,
          workflow: '',
        },
        ref: s.ref,
        headRef: '',
        baseRef: '',
      };
    case 'schedule':
      return { payload: { schedule: '', repository, sender }, ref: s.ref, headRef: '', baseRef: '' };
  }
}

/** GitHub's filter patterns: in order, a `!pattern` removes what earlier patterns matched. */
export function matchesFilters(value: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matched && glob(value, p.slice(1))) matched = false;
    } else if (!matched && glob(value, p)) matched = true;
  }
  return matched;
}

function glob(value: string, pattern: string): boolean {
  return matchesGlob(value, pattern);
}

type Filters = {
  branches?: string[];
  'branches-ignore'?: string[];
  tags?: string[];
  'tags-ignore'?: string[];
  paths?: string[];
  'paths-ignore'?: string[];
};

/** Null when the workflow runs for this event; otherwise why it does not. */
export function filterReason(events: Record<string, unknown>, s: EventSpec): string | null {
  if (!(s.event in events)) return `the workflow does not run on '${s.event}' (on: ${Object.keys(events).join(', ') || 'nothing'})`;
  const f = (events[s.event] ?? {}) as Filters;
  if (s.event !== 'push' && s.event !== 'pull_request') return null;
  const isTag = s.ref.startsWith('refs/tags/');
  const name = s.event === 'pull_request' ? 'main' : s.ref.replace(/^refs\/(heads|tags)\//, '');
  const refFilters = isTag
    ? { inc: f.tags, exc: f['tags-ignore'], kind: 'tag' }
    : { inc: f.branches, exc: f['branches-ignore'], kind: 'branch' };
  const hasRefFilters = f.branches || f['branches-ignore'] || f.tags || f['tags-ignore'];
  if (hasRefFilters) {
    if (!refFilters.inc && !refFilters.exc) return `${refFilters.kind} '${name}': the workflow filters only ${isTag ? 'branches' : 'tags'}`;
    if (refFilters.inc && !matchesFilters(name, refFilters.inc))
      return `${refFilters.kind} '${name}' matches none of ${JSON.stringify(refFilters.inc)}`;
    if (refFilters.exc && matchesFilters(name, refFilters.exc))
      return `${refFilters.kind} '${name}' is ignored by ${JSON.stringify(refFilters.exc)}`;
  }
  if (!isTag && (f.paths || f['paths-ignore'])) {
    const files = changedFiles(s.repoDir, s.sha);
    if (f.paths && !files.some((x) => matchesFilters(x, f.paths as string[])))
      return `no changed file matches paths ${JSON.stringify(f.paths)} (changed: ${files.join(', ') || 'none'})`;
    if (f['paths-ignore'] && files.every((x) => matchesFilters(x, f['paths-ignore'] as string[])))
      return `every changed file matches paths-ignore ${JSON.stringify(f['paths-ignore'])}`;
  }
  return null;
}
