import { runContext } from '@tripo04os/common';
/**
 * The part of the GitHub context the tag and label rules read: event name, ref, commit and the
 * event payload. Built from the runner's environment by the action, or by hand in tests.
 */
export interface RepositoryInfo {
  name?: string;
  full_name?: string;
  description?: string | null;
  html_url?: string;
  default_branch?: string;
  license?: { spdx_id?: string | null } | null;
}

export interface EventPayload {
  repository?: RepositoryInfo;
  number?: number;
  pull_request?: {
    number?: number;
    head?: { sha?: string; ref?: string };
    base?: { ref?: string; sha?: string };
  };
  head_commit?: { id?: string; timestamp?: string } | null;
  [key: string]: unknown;
}

export interface GitContext {
  /** `push`, `pull_request`, `schedule`, `workflow_dispatch`, ... */
  eventName: string;
  /** `refs/heads/main`, `refs/tags/v1.2.3`, `refs/pull/7/merge`. */
  ref: string;
  /** GITHUB_SHA: for pull requests the merge commit. */
  sha: string;
  payload: EventPayload;
  /** The time of the build (labels, BUILD_DATE, schedule dates); defaults to now. */
  now?: Date;
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);

/**
 * The ref the rules read. On `pull_request_target` GITHUB_REF is the base branch (the workflow
 * runs with the base branch's code and secrets), yet the run is about a pull request: read as a
 * branch push it would fire `type=ref,event=branch` and `{{is_default_branch}}` (and with them a
 * `:latest` push) for code nobody merged. As docker/metadata-action does, it reads as the pull
 * request's merge ref, `refs/pull/N/merge`.
 */
export function refOf(ctx: GitContext): string {
  if (ctx.eventName === 'pull_request_target') {
    const n = ctx.payload.number ?? ctx.payload.pull_request?.number;
    return typeof n === 'number' ? `refs/pull/${n}/merge` : 'refs/pull/unknown/merge';
  }
  return ctx.ref;
}

export function isPullRequest(ctx: GitContext): boolean {
  return PR_EVENTS.has(ctx.eventName) || /^refs\/pull\//.test(ctx.ref);
}

/**
 * The commit the image is built from, for tags, the revision label and VCS_REF: the head commit
 * of a pull request (not the merge commit GITHUB_SHA names), else GITHUB_SHA.
 */
export function commitOf(ctx: GitContext): string {
  if (isPullRequest(ctx)) {
    const head = ctx.payload.pull_request?.head?.sha;
    if (head) return head;
  }
  return ctx.sha;
}

/**
 * When the image was made, for the created label and BUILD_DATE (RFC 3339, UTC): the pushed
 * commit's timestamp when the event has it (so a rebuild of the same commit gives the same labels
 * and hits the build cache, and BUILD_DATE is what the spec passes), else the build time.
 */
export function createdOf(ctx: GitContext): string {
  const stamp = ctx.payload.head_commit?.timestamp;
  const t = stamp ? Date.parse(stamp) : Number.NaN;
  return Number.isNaN(t) ? (ctx.now ?? new Date()).toISOString() : new Date(t).toISOString();
}

export function branchOf(ctx: GitContext): string | undefined {
  const ref = refOf(ctx);
  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  if (isPullRequest(ctx)) return ctx.payload.pull_request?.head?.ref;
  return undefined;
}

export function tagOf(ctx: GitContext): string | undefined {
  const ref = refOf(ctx);
  return ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
}

export function pullRequestNumber(ctx: GitContext): number | undefined {
  const n = ctx.payload.pull_request?.number ?? ctx.payload.number;
  if (typeof n === 'number') return n;
  const m = /^refs\/pull\/(\d+)\//.exec(refOf(ctx));
  return m ? Number(m[1]) : undefined;
}

export function isDefaultBranch(ctx: GitContext): boolean {
  const def = ctx.payload.repository?.default_branch;
  return refOf(ctx).startsWith('refs/heads/') && def !== undefined && branchOf(ctx) === def;
}

/** Reads the context the way the runner provides it (through the one run-context reader). */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): GitContext {
  const run = runContext(env);
  return { eventName: run.event, ref: run.ref, sha: run.eventSha, payload: run.payload as EventPayload };
}
