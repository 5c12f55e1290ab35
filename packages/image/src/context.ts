import { type EventPayload, runContext, UserError } from '@tripo04os/common';

/**
 * The part of the GitHub context the tag and label rules read: event name, ref, commit and the
 * event payload. Built from the runner's environment by the action, or by hand in tests.
 */
/** The event payload, typed once in `@tripo04os/common` (the one run-context reader). */
export type { EventPayload };
export type RepositoryInfo = NonNullable<EventPayload['repository']>;

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
  /**
   * Pull requests: tag and label the head commit (default) rather than GITHUB_SHA, the merge
   * commit. `DOCKER_METADATA_PR_HEAD_SHA=false` turns it off.
   */
  prHeadSha?: boolean;
  /** Length of `type=sha` and `{{sha}}` (DOCKER_METADATA_SHORT_SHA_LENGTH); 7 by default. */
  shortShaLength?: number;
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
 * of a pull request (not the merge commit GITHUB_SHA names) unless `prHeadSha` is false, else
 * GITHUB_SHA.
 */
export function commitOf(ctx: GitContext): string {
  if (ctx.prHeadSha !== false && isPullRequest(ctx)) {
    const head = ctx.payload.pull_request?.head?.sha;
    if (head) return head;
  }
  return ctx.sha;
}

/**
 * When the image was made, for the created label and BUILD_DATE (RFC 3339, UTC): the build time,
 * as the OCI image spec defines `created` (and docker/metadata-action sets it).
 */
export function createdOf(ctx: GitContext): string {
  return (ctx.now ?? new Date()).toISOString();
}

/**
 * The commit's time, for `{{commit_date 'FORMAT'}}`: from the push payload (the pushed commit
 * among `commits`, or `head_commit`), else the build time (metadata-action asks the GitHub API
 * there; this action makes no API call).
 */
export function commitDateOf(ctx: GitContext): Date {
  const sha = commitOf(ctx);
  const stamp =
    ctx.payload.commits?.find((c) => c.id === sha)?.timestamp ??
    (ctx.payload.head_commit?.id === sha ? ctx.payload.head_commit.timestamp : undefined);
  const t = stamp ? Date.parse(stamp) : Number.NaN;
  return Number.isNaN(t) ? (ctx.now ?? new Date()) : new Date(t);
}

/** The pushed branch (`refs/heads/…` only; a pull request has none, as in metadata-action). */
export function branchOf(ctx: GitContext): string | undefined {
  const ref = refOf(ctx);
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}

/**
 * `{{base_ref}}`: on a tag push the branch the payload names (`base_ref`), on a pull request its
 * base branch, else empty.
 */
export function baseRefOf(ctx: GitContext): string {
  const ref = refOf(ctx);
  if (ref.startsWith('refs/tags/') && ctx.payload.base_ref) return ctx.payload.base_ref.replace(/^refs\/heads\//, '');
  if (ref.startsWith('refs/pull/')) return ctx.payload.pull_request?.base?.ref ?? '';
  return '';
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

/**
 * `{{is_default_branch}}`: a push to the repository's default branch; `create`, `discussion`,
 * `issues` and `schedule` events count too (GitHub runs them on the default branch's last commit).
 * A pull request never does.
 */
export function isDefaultBranch(ctx: GitContext): boolean {
  const branch = branchOf(ctx);
  if (branch !== undefined && branch !== '' && branch === ctx.payload.repository?.default_branch) return true;
  if (refOf(ctx).startsWith('refs/pull/')) return false;
  return /create|discussion|issues|schedule/.test(ctx.eventName);
}

/**
 * Reads the context the way the runner provides it (through the one run-context reader), with
 * metadata-action's switches: DOCKER_METADATA_PR_HEAD_SHA (default true here) and
 * DOCKER_METADATA_SHORT_SHA_LENGTH.
 */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): GitContext {
  const run = runContext(env);
  const ctx: GitContext = { eventName: run.event, ref: run.ref, sha: run.eventSha, payload: run.payload };
  const head = env.DOCKER_METADATA_PR_HEAD_SHA?.trim();
  if (head) {
    if (!/^(true|false)$/i.test(head))
      throw new UserError(
        `DOCKER_METADATA_PR_HEAD_SHA is '${head}': expected true (tag the PR head commit, the default) or false (GITHUB_SHA)`,
      );
    ctx.prHeadSha = /^true$/i.test(head);
  }
  const len = env.DOCKER_METADATA_SHORT_SHA_LENGTH?.trim();
  if (len) {
    if (!/^\d+$/.test(len) || Number(len) < 1)
      throw new UserError(`DOCKER_METADATA_SHORT_SHA_LENGTH is '${len}': expected a whole number of characters, e.g. 7`);
    ctx.shortShaLength = Number(len);
  }
  return ctx;
}
