import { readFileSync } from 'node:fs';

/**
 * Where a notification comes from, read from the runner's environment (GITHUB_* variables and,
 * for pull requests, the event payload). Every field is plain text; links are full URLs.
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
  sha: string;
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
}

interface PullRequestEvent {
  pull_request?: { number?: number; html_url?: string; head?: { sha?: string; ref?: string } };
}

function readEvent(path: string | undefined): PullRequestEvent {
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PullRequestEvent;
  } catch {
    return {};
  }
}

/** Reads the run context from a runner environment (process.env by default). */
export function runContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const repository = env.GITHUB_REPOSITORY ?? '';
  const repositoryUrl = repository ? `${serverUrl}/${repository}` : '';
  const ref = env.GITHUB_REF ?? '';
  const event = env.GITHUB_EVENT_NAME ?? '';
  const headRef = env.GITHUB_HEAD_REF ?? '';
  const pr = /^refs\/pull\/(\d+)\//.exec(ref);
  const isPr = headRef !== '' || pr !== null;
  const payload = isPr ? readEvent(env.GITHUB_EVENT_PATH) : {};
  const prNumber = pr?.[1] ?? (payload.pull_request?.number !== undefined ? String(payload.pull_request.number) : '');
  // On pull_request events GITHUB_SHA is the merge commit; the head commit is what people pushed.
  const sha = payload.pull_request?.head?.sha ?? env.GITHUB_SHA ?? '';
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
    shortSha: sha.slice(0, 7),
    commitUrl: repositoryUrl && sha ? `${repositoryUrl}/commit/${sha}` : '',
    actor,
    actorUrl: actor ? `${serverUrl}/${actor}` : '',
    workflow: env.GITHUB_WORKFLOW ?? '',
    job: env.GITHUB_JOB ?? '',
    event,
    runId,
    runNumber: env.GITHUB_RUN_NUMBER ?? '',
    runAttempt,
    runUrl,
  };
}
