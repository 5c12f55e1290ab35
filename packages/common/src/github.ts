/**
 * The one reader of the GitHub run context for every action: built on `@actions/github`'s
 * `Context` (the event payload from GITHUB_EVENT_PATH and the GITHUB_* variables), plus the
 * derived names and links the actions print. Only `lib/context.js` is imported, by file, so the
 * bundles do not take in Octokit (`@actions/github`'s index loads it, and its `exports` map
 * offers no path to the context alone).
 */
import { Context } from '../../../node_modules/@actions/github/lib/context.js';

/** The event payload, as GitHub sends it (only the fields the actions read are typed). */
export interface EventPayload {
  repository?: {
    name?: string;
    full_name?: string;
    description?: string | null;
    html_url?: string;
    default_branch?: string;
    license?: { spdx_id?: string | null } | null;
    [key: string]: unknown;
  };
  number?: number;
  pull_request?: {
    number?: number;
    html_url?: string;
    head?: { sha?: string; ref?: string };
    base?: { ref?: string; sha?: string };
    [key: string]: unknown;
  };
  head_commit?: { id?: string; timestamp?: string; message?: string } | null;
  /** Push events: the pushed commits (their ids and timestamps). */
  commits?: { id?: string; timestamp?: string }[];
  /** Push events: the branch a pushed tag points into (`refs/heads/main`), when GitHub knows it. */
  base_ref?: string | null;
  [key: string]: unknown;
}

/**
 * Where a run comes from. Every field is plain text; links are full URLs.
 */
export interface RunContext {
  serverUrl: string;
  repository: string;
  repositoryUrl: string;
  /** Full ref (`refs/heads/main`, `refs/tags/v1.2.0`, `refs/pull/12/merge`). */
  ref: string;
  /** What the ref names: the branch, the tag, or the pull request's head branch. */
  refName: string;
  refType: 'branch' | 'tag' | 'pull request' | '';
  /** Pull request head branch (GITHUB_HEAD_REF), on pull request events. */
  headRef: string;
  prNumber: string;
  prUrl: string;
  /** The commit people pushed: the pull request's head on pull request events, else GITHUB_SHA. */
  sha: string;
  /** GITHUB_SHA as the runner gives it (on pull requests, the merge commit). */
  eventSha: string;
  shortSha: string;
  commitUrl: string;
  actor: string;
  actorUrl: string;
  workflow: string;
  job: string;
  event: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  runUrl: string;
  /** The event payload (empty when the runner gave none or it does not parse). */
  payload: EventPayload;
}

/**
 * `@actions/github`'s Context reads process.env in its constructor; for another environment
 * (tests, the workflow runner's steps) it is built with that environment in place.
 */
function githubContext(env: NodeJS.ProcessEnv): Context {
  if (env === process.env) return safeContext();
  const saved = process.env;
  process.env = { ...env };
  try {
    return safeContext();
  } finally {
    process.env = saved;
  }
}

/** A payload file that is missing or not JSON gives an empty payload, never a crash. */
function safeContext(): Context {
  const path = process.env.GITHUB_EVENT_PATH;
  try {
    return new Context();
  } catch {
    delete process.env.GITHUB_EVENT_PATH;
    try {
      return new Context();
    } finally {
      if (path !== undefined) process.env.GITHUB_EVENT_PATH = path;
    }
  }
}

/** Reads the run context from a runner environment (process.env by default). */
export function runContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const gh = githubContext(env);
  const payload = (gh.payload ?? {}) as EventPayload;
  const serverUrl = (gh.serverUrl || 'https://github.com').replace(/\/+$/, '');
  const repository = env.GITHUB_REPOSITORY ?? '';
  const repositoryUrl = repository ? `${serverUrl}/${repository}` : '';
  const ref = gh.ref ?? '';
  const event = gh.eventName ?? '';
  const headRef = env.GITHUB_HEAD_REF ?? '';
  const pr = /^refs\/pull\/(\d+)\//.exec(ref);
  const isPr = headRef !== '' || pr !== null;
  const prNumber = pr?.[1] ?? (payload.pull_request?.number !== undefined ? String(payload.pull_request.number) : '');
  // On pull_request events GITHUB_SHA is the merge commit; the head commit is what people pushed.
  const eventSha = gh.sha ?? '';
  const sha = (isPr ? payload.pull_request?.head?.sha : undefined) ?? eventSha;
  let refType: RunContext['refType'] = '';
  let refName = env.GITHUB_REF_NAME ?? '';
  if (isPr) {
    refType = 'pull request';
    refName = headRef || payload.pull_request?.head?.ref || refName;
  } else if (env.GITHUB_REF_TYPE === 'tag' || ref.startsWith('refs/tags/')) {
    refType = 'tag';
    refName = refName || ref.replace(/^refs\/tags\//, '');
  } else if (env.GITHUB_REF_TYPE === 'branch' || ref.startsWith('refs/heads/')) {
    refType = 'branch';
    refName = refName || ref.replace(/^refs\/heads\//, '');
  }
  const runId = env.GITHUB_RUN_ID ?? '';
  const runAttempt = env.GITHUB_RUN_ATTEMPT ?? '';
  let runUrl = repositoryUrl && runId ? `${repositoryUrl}/actions/runs/${runId}` : '';
  if (runUrl && runAttempt && runAttempt !== '1') runUrl += `/attempts/${runAttempt}`;
  const actor = env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || '';
  return {
    serverUrl,
    repository,
    repositoryUrl,
    ref,
    refName,
    refType,
    headRef,
    prNumber,
    prUrl: payload.pull_request?.html_url ?? (prNumber && repositoryUrl ? `${repositoryUrl}/pull/${prNumber}` : ''),
    sha,
    eventSha,
    shortSha: sha.slice(0, 7),
    commitUrl: repositoryUrl && sha ? `${repositoryUrl}/commit/${sha}` : '',
    actor,
    actorUrl: actor ? `${serverUrl}/${actor}` : '',
    workflow: gh.workflow ?? '',
    job: gh.job ?? '',
    event,
    runId,
    runNumber: env.GITHUB_RUN_NUMBER ?? '',
    runAttempt,
    runUrl,
    payload,
  };
}
