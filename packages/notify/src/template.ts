import { InputError } from '@tripo04os/common';
import type { Message } from './message.ts';

/**
 * `payload` templates: a raw channel payload (JSON or YAML) whose strings may hold
 * `{{variable}}` placeholders from the fixed set below. The payload is parsed first and
 * placeholders are replaced inside string values (and keys), so a value can never break the
 * JSON around it, and nothing is evaluated.
 */
export const PLACEHOLDERS = {
  status: 'normalised status: success, failure, cancelled, started, warning, or the free text given',
  status_emoji: 'emoji of the status (✅ ❌ 🚫 🚀 ⚠️ ℹ️)',
  status_color: 'colour of the status, #RRGGBB',
  title: 'the title (given, or the default one)',
  text: 'the `text` input, as given',
  repository: 'owner/name',
  repository_url: 'link to the repository',
  ref: 'full ref, e.g. refs/heads/main',
  ref_name: 'branch or tag name (head branch for pull requests)',
  ref_type: 'branch, tag or pull request',
  branch: 'branch name (head branch for pull requests; empty for tags)',
  tag: 'tag name (empty unless a tag was pushed)',
  sha: 'full commit SHA',
  short_sha: 'first 7 characters of the commit SHA',
  commit_url: 'link to the commit',
  actor: 'who triggered the run',
  workflow: 'workflow name',
  job: 'job id',
  event: 'event that triggered the run',
  run_id: 'run id',
  run_number: 'run number',
  run_attempt: 'run attempt',
  run_url: 'link to the run',
  server_url: 'GitHub server URL',
  environment: 'the `environment` input',
  pr_number: 'pull request number (pull request events)',
  pr_url: 'link to the pull request (pull request events)',
  head_ref: 'pull request head branch (GITHUB_HEAD_REF)',
} as const;

export type PlaceholderName = keyof typeof PLACEHOLDERS;

/** The value of every placeholder for a message. */
export function placeholderValues(message: Message): Record<PlaceholderName, string> {
  const c = message.context;
  return {
    status: message.status.status,
    status_emoji: message.status.emoji,
    status_color: message.status.color,
    title: message.title,
    text: message.text,
    repository: c.repository,
    repository_url: c.repositoryUrl,
    ref: c.ref,
    ref_name: c.refName,
    ref_type: c.refType,
    branch: c.refType === 'tag' ? '' : c.refName,
    tag: c.refType === 'tag' ? c.refName : '',
    sha: c.sha,
    short_sha: c.shortSha,
    commit_url: c.commitUrl,
    actor: c.actor,
    workflow: c.workflow,
    job: c.job,
    event: c.event,
    run_id: c.runId,
    run_number: c.runNumber,
    run_attempt: c.runAttempt,
    run_url: c.runUrl,
    server_url: c.serverUrl,
    environment: message.environment,
    pr_number: c.prNumber,
    pr_url: c.prUrl,
    head_ref: c.headRef,
  };
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** A payload as parsed from the input, placeholders not yet replaced. */
export type PayloadTemplate = Record<string, unknown>;

/**
 * Parses the `payload` input (JSON, or YAML when it is not JSON) and checks its placeholders.
 * Throws an InputError naming the problem: invalid JSON/YAML, not an object, unknown placeholder.
 */
export async function parsePayload(raw: string, input = 'payload'): Promise<PayloadTemplate> {
  const text = raw.trim();
  let value: unknown;
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      // `{ a: 1 }` is YAML flow syntax, not JSON: fall through to YAML before giving up.
      value = await parseYaml(text, input, `invalid JSON (${(err as Error).message})`);
    }
  } else {
    value = await parseYaml(text, input);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(input, raw, 'expected a JSON or YAML object (a mapping of keys to values)');
  }
  const unknown = new Set<string>();
  walkStrings(value, (s) => {
    for (const m of s.matchAll(PLACEHOLDER)) if (!((m[1] as string) in PLACEHOLDERS)) unknown.add(m[1] as string);
    return s;
  });
  if (unknown.size > 0) {
    const names = [...unknown].map((n) => `{{${n}}}`).join(', ');
    throw new InputError(input, raw, `unknown placeholder ${names}; known: ${Object.keys(PLACEHOLDERS).join(', ')}`);
  }
  return value as PayloadTemplate;
}

async function parseYaml(text: string, input: string, jsonProblem?: string): Promise<unknown> {
  const { parse } = await import('yaml');
  try {
    return parse(text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    const first = ((err as Error).message.split('\n')[0] ?? '').trim();
    throw new InputError(input, text, `expected JSON or YAML: ${jsonProblem ?? `invalid YAML (${first})`}`);
  }
}

/** Replaces the placeholders in every string (values and keys) of a payload. Returns a copy. */
export function renderPayload(template: PayloadTemplate, values: Record<string, string>): Record<string, unknown> {
  return walkStrings(structuredClone(template), (s) =>
    s.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? (values[name] as string) : whole)),
  ) as Record<string, unknown>;
}

function walkStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => walkStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[fn(k)] = walkStrings(v, fn);
    return out;
  }
  return value;
}
