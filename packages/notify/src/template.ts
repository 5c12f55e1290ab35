import { InputError } from '@tripo04os/common';
import { allFields, type Message } from './message.ts';

/**
 * `payload` templates: a raw channel payload (JSON or YAML) whose strings may hold
 * `{{variable}}` placeholders from the fixed set below. The payload is parsed first and
 * placeholders are replaced inside string values (and keys), so a value can never break the
 * JSON around it, and nothing is evaluated.
 */
interface Value {
  /** What it holds (the README's placeholder table). */
  about: string;
  of: (m: Message) => string;
  /** Its key in the generic webhook's default body, when it is there. */
  body?: string;
}

/**
 * The one mapping of a message to named values: the `payload` placeholders are its names, and
 * the generic webhook's default body takes the entries that have a `body` key.
 */
const VALUES = {
  status: {
    about: 'normalised status: success, failure, cancelled, started, warning, or the free text given',
    of: (m) => m.status.status,
    body: 'status',
  },
  status_emoji: { about: 'emoji of the status (✅ ❌ 🚫 🚀 ⚠️ ℹ️)', of: (m) => m.status.emoji, body: 'emoji' },
  status_color: { about: 'colour of the status, #RRGGBB', of: (m) => m.status.color, body: 'color' },
  title: { about: 'the title (given, or the default one)', of: (m) => m.title, body: 'title' },
  text: { about: 'the `text` input, as given', of: (m) => m.text, body: 'text' },
  repository: { about: 'owner/name', of: (m) => m.context.repository, body: 'repository' },
  repository_url: { about: 'link to the repository', of: (m) => m.context.repositoryUrl },
  ref: { about: 'full ref, e.g. refs/heads/main', of: (m) => m.context.ref, body: 'ref' },
  ref_name: { about: 'branch or tag name (head branch for pull requests)', of: (m) => m.context.refName, body: 'refName' },
  ref_type: { about: 'branch, tag or pull request', of: (m) => m.context.refType, body: 'refType' },
  branch: {
    about: 'branch name (head branch for pull requests; empty for tags)',
    of: (m) => (m.context.refType === 'tag' ? '' : m.context.refName),
  },
  tag: { about: 'tag name (empty unless a tag was pushed)', of: (m) => (m.context.refType === 'tag' ? m.context.refName : '') },
  sha: { about: 'full commit SHA', of: (m) => m.context.sha, body: 'sha' },
  short_sha: { about: 'first 7 characters of the commit SHA', of: (m) => m.context.shortSha },
  commit_url: { about: 'link to the commit', of: (m) => m.context.commitUrl, body: 'commitUrl' },
  actor: { about: 'who triggered the run', of: (m) => m.context.actor, body: 'actor' },
  workflow: { about: 'workflow name', of: (m) => m.context.workflow, body: 'workflow' },
  job: { about: 'job id', of: (m) => m.context.job, body: 'job' },
  event: { about: 'event that triggered the run', of: (m) => m.context.event, body: 'event' },
  run_id: { about: 'run id', of: (m) => m.context.runId, body: 'runId' },
  run_number: { about: 'run number', of: (m) => m.context.runNumber, body: 'runNumber' },
  run_attempt: { about: 'run attempt', of: (m) => m.context.runAttempt, body: 'runAttempt' },
  run_url: { about: 'link to the run', of: (m) => m.context.runUrl, body: 'runUrl' },
  server_url: { about: 'GitHub server URL', of: (m) => m.context.serverUrl },
  environment: { about: 'the `environment` input', of: (m) => m.environment, body: 'environment' },
  pr_number: { about: 'pull request number (pull request events)', of: (m) => m.context.prNumber },
  pr_url: { about: 'link to the pull request (pull request events)', of: (m) => m.context.prUrl },
  head_ref: { about: 'pull request head branch (GITHUB_HEAD_REF)', of: (m) => m.context.headRef },
} satisfies Record<string, Value>;

export type PlaceholderName = keyof typeof VALUES;

/** The placeholders and what each holds. */
export const PLACEHOLDERS = Object.fromEntries(Object.entries(VALUES).map(([name, v]) => [name, v.about])) as Record<
  PlaceholderName,
  string
>;

/** The value of every placeholder for a message. */
export function placeholderValues(message: Message): Record<PlaceholderName, string> {
  return Object.fromEntries(Object.entries(VALUES).map(([name, v]) => [name, v.of(message)])) as Record<PlaceholderName, string>;
}

/** The default generic webhook body: the values that have a body key, the fields, and the pull request. */
export function webhookMessage(message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of Object.values(VALUES) as Value[]) if (v.body) out[v.body] = v.of(message);
  if (!message.environment) delete out.environment;
  out.fields = allFields(message).map((f) => ({ name: f.name, value: f.value, ...(f.url ? { url: f.url } : {}) }));
  const c = message.context;
  if (c.prNumber) out.pullRequest = { number: Number(c.prNumber), url: c.prUrl, headRef: c.headRef };
  return out;
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
  // A placeholder outside a quoted string (`"n": {{run_number}}`) is not JSON, and YAML reads it
  // as a nested mapping: the payload would go out as garbage. Each placeholder written must be
  // found again inside a string of what was parsed.
  const inStrings = new Map<string, number>();
  const unknown = new Set<string>();
  walkStrings(value, (s) => {
    for (const m of s.matchAll(PLACEHOLDER)) {
      const name = m[1] as string;
      inStrings.set(name, (inStrings.get(name) ?? 0) + 1);
      if (!(name in PLACEHOLDERS)) unknown.add(name);
    }
    return s;
  });
  const written = new Map<string, number>();
  for (const m of text.matchAll(PLACEHOLDER)) written.set(m[1] as string, (written.get(m[1] as string) ?? 0) + 1);
  for (const [name, n] of written) {
    if ((inStrings.get(name) ?? 0) < n) {
      throw new InputError(
        input,
        raw,
        `placeholder {{${name}}} is not inside a quoted string; quote it ("{{${name}}}") so its value stays text`,
      );
    }
  }
  if (unknown.size > 0) {
    const names = [...unknown].map((n) => `{{${n}}}`).join(', ');
    throw new InputError(input, raw, `unknown placeholder ${names}; known: ${Object.keys(PLACEHOLDERS).join(', ')}`);
  }
  return value as PayloadTemplate;
}

async function parseYaml(text: string, input: string, jsonProblem?: string): Promise<unknown> {
  const { parse } = await import('yaml');
  try {
    return parse(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
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
