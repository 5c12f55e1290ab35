/**
 * Tag and label rules in docker/metadata-action's syntax (`type=sha`, `type=ref,event=branch`,
 * `type=semver,pattern={{version}}`, `type=raw`, `type=schedule`, `type=edge`; `prefix`,
 * `suffix`, `enable`, `priority`; flavor `latest`, `prefix`, `suffix`), with two changes:
 * `latest` only goes to the highest release of the repository (a backport does not take it),
 * and pull requests are tagged with their head commit instead of the merge commit.
 */
import { InputError } from '@tripo04os/common';
import semver from 'semver';
import {
  branchOf,
  commitOf,
  createdOf,
  type GitContext,
  isDefaultBranch,
  isPullRequest,
  pullRequestNumber,
  refOf,
  tagOf,
} from './context.ts';
import { expand, findBadExpression } from './template.ts';

export const RULE_TYPES = ['schedule', 'semver', 'edge', 'ref', 'raw', 'sha'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export interface TagRule {
  type: RuleType;
  /** Attributes as written, defaults filled in (prefix/suffix only when given or defaulted). */
  attrs: Record<string, string>;
  priority: number;
  /** The line it came from, for messages. */
  line: string;
}

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  suffix: string;
  prefixOnLatest: boolean;
  suffixOnLatest: boolean;
}

/** The spec's rules (section 5.1): short commit, branch, and two semver forms. */
export const DEFAULT_TAG_RULES = [
  'type=sha',
  'type=ref,event=branch',
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}',
];

const DEFAULT_PRIORITY: Record<RuleType, number> = { schedule: 1000, semver: 900, edge: 700, ref: 600, raw: 200, sha: 100 };
const COMMON = ['type', 'enable', 'priority', 'prefix', 'suffix'];
const KEYS: Record<RuleType, readonly string[]> = {
  schedule: [...COMMON, 'pattern'],
  semver: [...COMMON, 'pattern', 'value'],
  edge: [...COMMON, 'branch'],
  ref: [...COMMON, 'event'],
  raw: [...COMMON, 'value'],
  sha: [...COMMON, 'format'],
};
const GLOBAL_EXPRESSIONS = ['branch', 'tag', 'sha', 'base_ref', 'is_default_branch', 'date'];
const GLOBALS = new Set(GLOBAL_EXPRESSIONS);
const SEMVER_EXPRESSIONS = new Set([...GLOBAL_EXPRESSIONS, 'version', 'major', 'minor', 'patch', 'raw']);

const ACCEPTED_RULE =
  'expected rules such as type=sha, type=ref,event=branch|tag|pr, type=semver,pattern={{version}}, type=raw,value=foo or type=schedule';

/** Splits one CSV line into fields, honouring double quotes (`"a,b"`, `""` for a quote). */
export function splitCsv(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  fields.push(cur.trim());
  return fields;
}

/** Parses the lines of the `tags` input into rules; the first bad line throws an InputError. */
export function parseTagRules(lines: readonly string[], input = 'tags'): TagRule[] {
  return lines.map((line) => parseTagRule(line, input));
}

export function parseTagRule(line: string, input = 'tags'): TagRule {
  const bad = (accepted: string) => new InputError(input, line, accepted);
  const fields = splitCsv(line).filter((f) => f !== '');
  const attrs: Record<string, string> = {};
  const bare: string[] = [];
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq <= 0) bare.push(f);
    else attrs[f.slice(0, eq).trim().toLowerCase()] = f.slice(eq + 1).trim();
  }
  // A line without type= is a raw tag (`foo` or `type=raw,foo`), as in metadata-action.
  const type = (attrs.type ?? 'raw') as RuleType;
  if (!RULE_TYPES.includes(type)) throw bad(`unknown tag rule type '${attrs.type}'; ${ACCEPTED_RULE}`);
  if (bare.length > 0) {
    if (type !== 'raw' || bare.length > 1 || attrs.value !== undefined)
      throw bad(`'${bare[0]}' is not a key=value attribute; ${ACCEPTED_RULE}`);
    attrs.value = bare[0] as string;
  }
  attrs.type = type;
  for (const key of Object.keys(attrs)) {
    if (!KEYS[type].includes(key)) throw bad(`type=${type} takes only ${KEYS[type].slice(1).join(', ')} (not '${key}')`);
  }
  let priority = DEFAULT_PRIORITY[type];
  if (attrs.priority !== undefined) {
    if (!/^-?\d+$/.test(attrs.priority)) throw bad(`priority must be a whole number, not '${attrs.priority}'`);
    priority = Number(attrs.priority);
  }
  const enable = attrs.enable ?? 'true';
  if (!['true', 'false'].includes(enable) && !/^\{\{.*\}\}$/.test(enable))
    throw bad(`enable must be true, false or an expression such as {{is_default_branch}}, not '${enable}'`);
  for (const key of ['enable', 'prefix', 'suffix', 'value', 'branch'] as const) {
    const v = attrs[key];
    if (v === undefined) continue;
    const expr = findBadExpression(v, GLOBALS);
    if (expr)
      throw bad(
        `unknown expression ${expr} in ${key}; known: ${GLOBAL_EXPRESSIONS.map((e) => (e === 'date' ? "{{date 'FORMAT'}}" : `{{${e}}}`)).join(', ')}`,
      );
  }
  switch (type) {
    case 'schedule': {
      attrs.pattern ??= 'nightly';
      const expr = findBadExpression(attrs.pattern, GLOBALS);
      if (expr) throw bad(`unknown tag rule pattern ${expr}; type=schedule accepts {{date 'YYYYMMDD'}} and the global expressions`);
      break;
    }
    case 'semver': {
      if (!attrs.pattern) throw bad('type=semver needs a pattern, such as pattern={{version}} or pattern={{major}}.{{minor}}');
      const expr = findBadExpression(attrs.pattern, SEMVER_EXPRESSIONS);
      if (expr) throw bad(`unknown tag rule pattern ${expr}; type=semver accepts {{version}}, {{major}}, {{minor}}, {{patch}} and {{raw}}`);
      break;
    }
    case 'ref':
      if (!attrs.event) throw bad('type=ref needs event=branch, event=tag or event=pr');
      if (!['branch', 'tag', 'pr'].includes(attrs.event))
        throw bad(`unknown event '${attrs.event}' for type=ref; expected event=branch, event=tag or event=pr`);
      if (attrs.event === 'pr') attrs.prefix ??= 'pr-';
      break;
    case 'raw':
      if (!attrs.value) throw bad('type=raw needs a value, such as type=raw,value=latest');
      break;
    case 'sha':
      attrs.format ??= 'short';
      if (!['short', 'long'].includes(attrs.format)) throw bad(`format must be short or long, not '${attrs.format}'`);
      attrs.prefix ??= 'sha-';
      break;
    case 'edge':
      break;
  }
  return { type, attrs, priority, line };
}

/** Parses the `flavor` input lines (`latest=auto`, `prefix=`, `suffix=`, `prefix-onlatest=`, `suffix-onlatest=`). */
export function parseFlavor(lines: readonly string[], input = 'flavor'): Flavor {
  const flavor: Flavor = { latest: 'auto', prefix: '', suffix: '', prefixOnLatest: false, suffixOnLatest: false };
  for (const line of lines) {
    for (const field of splitCsv(line).filter((f) => f !== '')) {
      const eq = field.indexOf('=');
      const key = eq > 0 ? field.slice(0, eq).trim() : field;
      const value = eq > 0 ? field.slice(eq + 1).trim() : '';
      const bool = (v: string) => {
        if (v !== 'true' && v !== 'false') throw new InputError(input, field, `${key} must be true or false`);
        return v === 'true';
      };
      switch (key) {
        case 'latest':
          if (value !== 'auto' && value !== 'true' && value !== 'false')
            throw new InputError(input, field, 'expected latest=auto, latest=true or latest=false');
          flavor.latest = value;
          break;
        case 'prefix':
          flavor.prefix = value;
          break;
        case 'suffix':
          flavor.suffix = value;
          break;
        case 'prefix-onlatest':
          flavor.prefixOnLatest = bool(value);
          break;
        case 'suffix-onlatest':
          flavor.suffixOnLatest = bool(value);
          break;
        default:
          throw new InputError(input, field, 'expected latest=auto|true|false, prefix=, suffix=, prefix-onlatest= or suffix-onlatest=');
      }
    }
  }
  return flavor;
}

/** A tag as Docker accepts it: [a-zA-Z0-9._-] only (other runs become `-`), at most 128 characters. */
export function sanitizeTag(tag: string): string {
  return tag.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 128);
}

export interface MetaOptions {
  rules: readonly TagRule[];
  flavor?: Flavor;
  context: GitContext;
  /** Tags already in the repository, to keep `latest` on the highest release. */
  existingTags?: readonly string[];
}

export interface MetaResult {
  /** The main version: the first tag by priority (the OCI version label). */
  version: string;
  /** Tag names (no repository), highest priority first, `latest` last; no duplicates. */
  tags: string[];
  latest: boolean;
  /** Why latest was or was not added (for the log). */
  latestReason: string;
  /** The commit the tags and labels name (the head commit for pull requests). */
  commit: string;
  /** Rules that gave nothing and why (for the log). */
  notes: string[];
}

function parseVersion(text: string): semver.SemVer | null {
  const cleaned = semver.clean(text, { loose: true });
  return cleaned ? semver.parse(cleaned, { loose: true }) : null;
}

/** The highest release (no pre-release) among a repository's tags, if any. */
export function highestRelease(tags: readonly string[]): semver.SemVer | undefined {
  let best: semver.SemVer | undefined;
  for (const t of tags) {
    if (!/^v?\d+\.\d+\.\d+/.test(t)) continue;
    const v = parseVersion(t);
    if (!v || v.prerelease.length > 0) continue;
    if (!best || semver.gt(v, best)) best = v;
  }
  return best;
}

/** Computes the tags of an image from the rules and the event, as docker/metadata-action does. */
export function computeTags(options: MetaOptions): MetaResult {
  const ctx = options.context;
  const flavor = options.flavor ?? parseFlavor([]);
  const now = ctx.now ?? new Date();
  const commit = commitOf(ctx);
  const gitTag = tagOf(ctx);
  const vars: Record<string, string | undefined> = {
    branch: branchOf(ctx) ?? '',
    tag: gitTag ?? '',
    sha: commit.slice(0, 7),
    base_ref: isPullRequest(ctx) ? (ctx.payload.pull_request?.base?.ref ?? '') : '',
    is_default_branch: String(isDefaultBranch(ctx)),
  };
  const g = (text: string) => expand(text, vars, now);
  const notes: string[] = [];
  const sorted = [...options.rules].map((r, i) => ({ r, i })).sort((a, b) => b.r.priority - a.r.priority || a.i - b.i);

  const produced: string[] = [];
  let latestCandidate: { version?: semver.SemVer; preRelease: boolean } | undefined;
  const withAffixes = (value: string, rule: TagRule) => {
    const prefix = rule.attrs.prefix !== undefined ? g(rule.attrs.prefix) : g(flavor.prefix);
    const suffix = rule.attrs.suffix !== undefined ? g(rule.attrs.suffix) : g(flavor.suffix);
    return `${prefix}${value}${suffix}`;
  };

  for (const { r: rule } of sorted) {
    const enabled = g(rule.attrs.enable ?? 'true');
    if (enabled !== 'true') {
      if (enabled !== 'false') notes.push(`${rule.line}: enable expanded to '${enabled}', treated as false`);
      continue;
    }
    let value: string | undefined;
    switch (rule.type) {
      case 'schedule':
        if (ctx.eventName === 'schedule') value = g(rule.attrs.pattern ?? 'nightly');
        break;
      case 'semver': {
        const raw = rule.attrs.value ? g(rule.attrs.value) : gitTag;
        if (raw === undefined) break;
        const v = parseVersion(raw);
        if (!v) {
          notes.push(`${rule.line}: '${raw}' is not a semantic version`);
          break;
        }
        const pattern = rule.attrs.pattern as string;
        const semverVars = {
          ...vars,
          raw,
          version: v.version,
          major: String(v.major),
          minor: String(v.minor),
          patch: String(v.patch),
        };
        const pre = v.prerelease.length > 0;
        // A pre-release only extends {{version}} (or {{raw}}): 2.0.0-rc.1 never becomes 2.0 or 2.
        const isRaw = /\{\{\s*raw\s*\}\}/.test(pattern);
        value = expand(pre && !isRaw ? '{{version}}' : pattern, semverVars, now);
        latestCandidate ??= { version: v, preRelease: pre };
        break;
      }
      case 'edge': {
        const branch = rule.attrs.branch ? g(rule.attrs.branch) : ctx.payload.repository?.default_branch;
        if (branch && branchOf(ctx) === branch && refOf(ctx).startsWith('refs/heads/')) value = 'edge';
        break;
      }
      case 'ref':
        if (rule.attrs.event === 'branch' && refOf(ctx).startsWith('refs/heads/')) value = (branchOf(ctx) as string).replace(/\//g, '-');
        else if (rule.attrs.event === 'tag' && gitTag !== undefined) {
          value = gitTag.replace(/\//g, '-');
          const v = parseVersion(gitTag);
          latestCandidate ??= { ...(v ? { version: v } : {}), preRelease: (v?.prerelease.length ?? 0) > 0 };
        } else if (rule.attrs.event === 'pr' && isPullRequest(ctx)) {
          const n = pullRequestNumber(ctx);
          if (n !== undefined) value = String(n);
        }
        break;
      case 'raw':
        value = g(rule.attrs.value as string);
        break;
      case 'sha':
        if (commit) value = rule.attrs.format === 'long' ? commit : commit.slice(0, 7);
        break;
    }
    if (value === undefined || value === '') continue;
    produced.push(sanitizeTag(withAffixes(value, rule)));
  }

  const tags = [...new Set(produced)];
  let latest = false;
  let latestReason: string;
  if (flavor.latest === 'true') {
    latest = true;
    latestReason = 'flavor latest=true';
  } else if (flavor.latest === 'false') {
    latestReason = 'flavor latest=false';
  } else if (!latestCandidate) {
    latestReason = 'not a tag push';
  } else if (latestCandidate.preRelease) {
    latestReason = `${latestCandidate.version?.version} is a pre-release`;
  } else {
    const highest = latestCandidate.version ? highestRelease(options.existingTags ?? []) : undefined;
    if (highest && latestCandidate.version && semver.gt(highest, latestCandidate.version)) {
      latestReason = `${latestCandidate.version.version} is older than ${highest.version}, the highest release in the repository`;
    } else {
      latest = true;
      latestReason = latestCandidate.version ? `${latestCandidate.version.version} is the highest release` : 'tag push';
    }
  }
  if (latest) {
    const prefix = flavor.prefixOnLatest ? g(flavor.prefix) : '';
    const suffix = flavor.suffixOnLatest ? g(flavor.suffix) : '';
    const name = sanitizeTag(`${prefix}latest${suffix}`);
    if (!tags.includes(name)) tags.push(name);
  }
  return { version: tags[0] ?? '', tags, latest, latestReason, commit, notes };
}

export interface LabelOptions {
  context: GitContext;
  version: string;
  /** Extra labels (the `labels` input); they win over the generated ones. */
  labels?: Readonly<Record<string, string>>;
}

/**
 * OCI labels (org.opencontainers.image.*) from the repository in the event payload, where known,
 * then the extra labels.
 */
export function computeLabels(options: LabelOptions): Record<string, string> {
  const ctx = options.context;
  const repo = ctx.payload.repository ?? {};
  const out: Record<string, string> = {};
  const set = (key: string, value: string | null | undefined) => {
    if (value) out[`org.opencontainers.image.${key}`] = value;
  };
  set('title', repo.name);
  set('description', repo.description);
  set('url', repo.html_url);
  set('source', repo.html_url);
  set('version', options.version);
  set('created', createdOf(ctx));
  set('revision', commitOf(ctx));
  set('licenses', repo.license?.spdx_id && repo.license.spdx_id !== 'NOASSERTION' ? repo.license.spdx_id : undefined);
  return { ...out, ...options.labels };
}

/**
 * Build args added unless the user gave them: BUILD_DATE (RFC 3339, the created label: the
 * commit's timestamp when the event has it) and
 * VCS_REF (the commit).
 */
export function defaultBuildArgs(ctx: GitContext, given: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...given };
  if (out.BUILD_DATE === undefined) out.BUILD_DATE = createdOf(ctx);
  if (out.VCS_REF === undefined) out.VCS_REF = commitOf(ctx);
  return out;
}
