/**
 * Tag and label rules in docker/metadata-action's syntax (`type=sha`, `type=ref,event=branch`,
 * `type=semver,pattern={{version}}`, `type=pep440`, `type=match`, `type=raw`, `type=schedule`,
 * `type=edge`; `prefix`, `suffix`, `enable`, `priority`; flavor `latest`, `prefix`, `suffix`,
 * `onlatest`), giving the same tags and labels case for case, with the deliberate differences the
 * docker-build README lists: `latest=auto` only moves `latest` to the highest release of the
 * repository (a backport does not take it), pull requests are tagged with their head commit
 * (DOCKER_METADATA_PR_HEAD_SHA=false for the merge commit), tags are cut at Docker's 128
 * characters, and an unknown expression is an input error rather than an empty string.
 */
import * as pep440 from '@renovatebot/pep440';
import { InputError, UserError } from '@tripo04os/common';
import semver from 'semver';
import { baseRefOf, branchOf, commitDateOf, commitOf, createdOf, type GitContext, isDefaultBranch, refOf, tagOf } from './context.ts';
import { expand, findBadExpression } from './template.ts';

export const RULE_TYPES = ['schedule', 'semver', 'pep440', 'match', 'edge', 'ref', 'raw', 'sha'] as const;
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

/** docker/metadata-action's default rules (for reference and the README; not ours). */
export const METADATA_ACTION_DEFAULT_TAG_RULES = ['type=schedule', 'type=ref,event=branch', 'type=ref,event=tag', 'type=ref,event=pr'];

const DEFAULT_PRIORITY: Record<RuleType, number> = {
  schedule: 1000,
  semver: 900,
  pep440: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100,
};
const COMMON = ['type', 'enable', 'priority', 'prefix', 'suffix'];
const KEYS: Record<RuleType, readonly string[]> = {
  schedule: [...COMMON, 'pattern'],
  semver: [...COMMON, 'pattern', 'value', 'match'],
  pep440: [...COMMON, 'pattern', 'value', 'match'],
  match: [...COMMON, 'pattern', 'group', 'value'],
  edge: [...COMMON, 'branch'],
  ref: [...COMMON, 'event'],
  raw: [...COMMON, 'value'],
  sha: [...COMMON, 'format'],
};
const GLOBAL_EXPRESSIONS = ['branch', 'tag', 'sha', 'base_ref', 'is_default_branch', 'is_not_default_branch', 'date', 'commit_date'];
const GLOBALS = new Set(GLOBAL_EXPRESSIONS);
const VERSION_EXPRESSIONS = new Set([...GLOBAL_EXPRESSIONS, 'version', 'major', 'minor', 'patch', 'raw']);
const KNOWN_GLOBALS = GLOBAL_EXPRESSIONS.map((e) => (e === 'date' || e === 'commit_date' ? `{{${e} 'FORMAT'}}` : `{{${e}}}`)).join(', ');

const ACCEPTED_RULE =
  'expected rules such as type=sha, type=ref,event=branch|tag|pr, type=semver,pattern={{version}}, type=pep440,pattern={{version}}, type=match,pattern=v(.*),group=1, type=raw,value=foo or type=schedule';

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

/** A `/regex/flags` or plain pattern as a RegExp, or the reason it does not compile. */
function compilePattern(pattern: string): RegExp | string {
  const literal = /^\/(.+)\/(.*)$/.exec(pattern);
  try {
    return literal ? new RegExp(literal[1] as string, literal[2]) : new RegExp(pattern);
  } catch (err) {
    return (err as Error).message;
  }
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
    if (expr) throw bad(`unknown expression ${expr} in ${key}; known: ${KNOWN_GLOBALS}`);
  }
  switch (type) {
    case 'schedule': {
      attrs.pattern ??= 'nightly';
      const expr = findBadExpression(attrs.pattern, GLOBALS);
      if (expr) throw bad(`unknown tag rule pattern ${expr}; type=schedule accepts {{date 'YYYYMMDD'}} and the global expressions`);
      break;
    }
    case 'semver':
    case 'pep440': {
      if (!attrs.pattern) throw bad(`type=${type} needs a pattern, such as pattern={{version}} or pattern={{major}}.{{minor}}`);
      const expr = findBadExpression(attrs.pattern, VERSION_EXPRESSIONS);
      if (expr)
        throw bad(`unknown tag rule pattern ${expr}; type=${type} accepts {{version}}, {{major}}, {{minor}}, {{patch}} and {{raw}}`);
      if (attrs.match !== undefined) {
        const re = compilePattern(attrs.match);
        if (typeof re === 'string') throw bad(`match is not a regular expression (${re})`);
      }
      break;
    }
    case 'match': {
      if (!attrs.pattern) throw bad('type=match needs a pattern, a regular expression such as pattern=v(\\d.\\d) or pattern=/^v(.*)$/i');
      const re = compilePattern(attrs.pattern);
      if (typeof re === 'string') throw bad(`pattern is not a regular expression (${re})`);
      attrs.group ??= '0';
      if (!/^\d+$/.test(attrs.group)) throw bad(`group must be the number of a capture group, not '${attrs.group}'`);
      break;
    }
    case 'ref':
      if (!attrs.event) throw bad('type=ref needs event=branch, event=tag or event=pr');
      if (!['branch', 'tag', 'pr'].includes(attrs.event))
        throw bad(`unknown event '${attrs.event}' for type=ref; expected event=branch, event=tag or event=pr`);
      if (attrs.event === 'pr') attrs.prefix ??= 'pr-';
      break;
    case 'raw':
      if (attrs.value === undefined) throw bad('type=raw needs a value, such as type=raw,value=latest');
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

/**
 * Parses the `flavor` input lines: `latest=auto|true|false`, `prefix=`, `suffix=`, and whether
 * `latest` takes them, in both spellings: metadata-action's `prefix=app-,onlatest=true` (onlatest
 * applies to the prefix or suffix before it on the line) and `prefix-onlatest=true`.
 */
export function parseFlavor(lines: readonly string[], input = 'flavor'): Flavor {
  const flavor: Flavor = { latest: 'auto', prefix: '', suffix: '', prefixOnLatest: false, suffixOnLatest: false };
  for (const line of lines) {
    let onLatestFor: 'prefix' | 'suffix' | undefined;
    for (const field of splitCsv(line).filter((f) => f !== '')) {
      const eq = field.indexOf('=');
      if (eq <= 0) throw new InputError(input, field, 'expected key=value: latest=auto|true|false, prefix=, suffix=, onlatest=true|false');
      const key = field.slice(0, eq).trim().toLowerCase();
      const value = field.slice(eq + 1).trim();
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
          onLatestFor = 'prefix';
          break;
        case 'suffix':
          flavor.suffix = value;
          onLatestFor = 'suffix';
          break;
        case 'onlatest':
          if (!onLatestFor)
            throw new InputError(input, line, 'onlatest= follows prefix= or suffix= on the same line (prefix=app-,onlatest=true)');
          flavor[onLatestFor === 'prefix' ? 'prefixOnLatest' : 'suffixOnLatest'] = bool(value);
          break;
        case 'prefix-onlatest':
          flavor.prefixOnLatest = bool(value);
          break;
        case 'suffix-onlatest':
          flavor.suffixOnLatest = bool(value);
          break;
        default:
          throw new InputError(
            input,
            field,
            'expected latest=auto|true|false, prefix=, suffix=, onlatest=true|false (after prefix= or suffix=), prefix-onlatest= or suffix-onlatest=',
          );
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
  /**
   * Tags already in the repository, to keep `latest` on the highest release; undefined when they
   * are not known (then `latest=auto` follows metadata-action alone).
   */
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
  /** What metadata-action warns about: a version that does not parse, a pattern that does not match. */
  warnings: string[];
}

/** A version as Python (PEP 440) or semver orders it, for the highest-release check. */
type Candidate = { scheme: 'semver'; version: semver.SemVer } | { scheme: 'pep440'; version: string } | { scheme: 'none'; version: string };

function looseSemver(text: string): semver.SemVer | null {
  const cleaned = semver.clean(text, { loose: true });
  return cleaned ? semver.parse(cleaned, { loose: true }) : null;
}

const RELEASE_LIKE = /^v?\d+\.\d+\.\d+/;

/** The highest release (no pre-release) among a repository's tags, if any. */
export function highestRelease(tags: readonly string[]): semver.SemVer | undefined {
  let best: semver.SemVer | undefined;
  for (const t of tags) {
    if (!RELEASE_LIKE.test(t)) continue;
    const v = looseSemver(t);
    if (!v || v.prerelease.length > 0) continue;
    if (!best || semver.gt(v, best)) best = v;
  }
  return best;
}

/** The highest PEP 440 final release among a repository's tags (x.y.z or longer), if any. */
export function highestPep440Release(tags: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const t of tags) {
    if (!RELEASE_LIKE.test(t) || !pep440.valid(t)) continue;
    const e = pep440.explain(t);
    if (!e || e.is_prerelease || e.is_postrelease || e.is_devrelease) continue;
    if (!best || pep440.gt(t, best)) best = t;
  }
  return best;
}

/** Whether a repository tag is a higher release than the candidate (so `latest` stays where it is). */
function higherRelease(candidate: Candidate, existing: readonly string[]): string | undefined {
  if (candidate.scheme === 'semver') {
    const h = highestRelease(existing);
    return h && semver.gt(h, candidate.version) ? h.version : undefined;
  }
  if (candidate.scheme === 'pep440') {
    const h = highestPep440Release(existing);
    return h && pep440.gt(h, candidate.version) ? (pep440.clean(h) ?? h) : undefined;
  }
  return undefined;
}

function candidateOf(text: string): Candidate {
  const v = RELEASE_LIKE.test(text) ? looseSemver(text) : null;
  if (v) return { scheme: 'semver', version: v };
  if (RELEASE_LIKE.test(text) && pep440.valid(text)) return { scheme: 'pep440', version: text };
  return { scheme: 'none', version: text };
}

function isRawPattern(pattern: string): boolean {
  return /^\{\{\s*raw\s*\}\}$/.test(pattern);
}

/** Computes the tags of an image from the rules and the event, as docker/metadata-action does. */
export function computeTags(options: MetaOptions): MetaResult {
  const ctx = options.context;
  const flavor = options.flavor ?? parseFlavor([]);
  const now = ctx.now ?? new Date();
  const commitDate = commitDateOf(ctx);
  const commit = commitOf(ctx);
  const ref = refOf(ctx);
  const gitTag = tagOf(ctx);
  const shortSha = commit.slice(0, ctx.shortShaLength ?? 7);
  const isDefault = isDefaultBranch(ctx);
  const vars: Record<string, string | undefined> = {
    branch: branchOf(ctx) ?? '',
    tag: gitTag ?? '',
    sha: shortSha,
    base_ref: baseRefOf(ctx),
    is_default_branch: String(isDefault),
    is_not_default_branch: String(!isDefault),
  };
  const g = (text: string) => expand(text, vars, now, commitDate);
  const notes: string[] = [];
  const warnings: string[] = [];
  // Stable sort: equal priorities keep the order they were written in.
  const sorted = [...options.rules].sort((a, b) => b.priority - a.priority);

  const withAffixes = (value: string, rule: TagRule) => {
    const prefix = rule.attrs.prefix !== undefined ? g(rule.attrs.prefix) : g(flavor.prefix);
    const suffix = rule.attrs.suffix !== undefined ? g(rule.attrs.suffix) : g(flavor.suffix);
    return `${prefix}${value}${suffix}`;
  };
  /** The version text a semver/pep440/match rule reads: value= or the pushed tag. */
  const sourceOf = (rule: TagRule): string | undefined => {
    if (rule.attrs.value) return g(rule.attrs.value);
    return gitTag;
  };
  /** semver/pep440 `match=`: the first capture group of the version text (left as is when it does not match). */
  const applyMatch = (rule: TagRule, raw: string): string => {
    if (!rule.attrs.match) return raw;
    const m = raw.match(compilePattern(rule.attrs.match) as RegExp);
    if (!m) {
      warnings.push(`${rule.line}: ${rule.attrs.match} does not match ${raw}`);
      return raw;
    }
    return m[1] ?? '';
  };

  const produced: string[] = [];
  // metadata-action's rule: the first rule that gives a tag decides whether latest goes on.
  let first: { latest: boolean; candidate?: Candidate } | undefined;
  for (const rule of sorted) {
    const enabled = g(rule.attrs.enable ?? 'true');
    if (enabled !== 'true' && enabled !== 'false')
      throw new UserError(`Input 'tags': enable in '${rule.line}' expanded to '${enabled}'; expected true or false`);
    if (enabled === 'false') continue;
    let value: string | undefined;
    let latest = false;
    let candidate: Candidate | undefined;
    switch (rule.type) {
      case 'schedule':
        if (/schedule/.test(ctx.eventName)) value = g(rule.attrs.pattern ?? 'nightly');
        break;
      case 'semver': {
        let raw = sourceOf(rule);
        if (raw === undefined) break;
        raw = applyMatch(rule, raw).replace(/\//g, '-');
        if (!semver.valid(raw)) {
          warnings.push(`${rule.line}: ${raw} is not a valid semver (https://semver.org/)`);
          break;
        }
        const v = semver.parse(raw, { loose: true }) as semver.SemVer;
        const pattern = rule.attrs.pattern as string;
        const semverVars = { ...vars, raw, version: v.version, major: String(v.major), minor: String(v.minor), patch: String(v.patch) };
        const pre = v.prerelease.length > 0;
        // A pre-release only extends {{version}} (or {{raw}}): 2.0.0-rc.1 never becomes 2.0 or 2.
        value = expand(pre && !isRawPattern(pattern) ? '{{version}}' : pattern, semverVars, now, commitDate);
        latest = !pre;
        candidate = { scheme: 'semver', version: v };
        break;
      }
      case 'pep440': {
        let raw = sourceOf(rule);
        if (raw === undefined) break;
        raw = applyMatch(rule, raw).replace(/\//g, '-');
        const info = pep440.valid(raw) ? pep440.explain(raw) : null;
        if (!info) {
          warnings.push(`${rule.line}: ${raw} does not conform to PEP 440 (https://peps.python.org/pep-0440/)`);
          break;
        }
        const version = pep440.clean(raw) ?? raw;
        const pattern = rule.attrs.pattern as string;
        if (info.is_prerelease || info.is_postrelease || info.is_devrelease) {
          // Pre-, post- and dev releases only get their normalised version (or {{raw}}).
          value = isRawPattern(pattern) ? raw : version;
        } else {
          const pepVars = {
            ...vars,
            raw,
            version,
            major: String(pep440.major(raw)),
            minor: String(pep440.minor(raw)),
            patch: String(pep440.patch(raw)),
          };
          value = expand(pattern, pepVars, now, commitDate);
          latest = true;
        }
        candidate = { scheme: 'pep440', version };
        break;
      }
      case 'match': {
        const raw = sourceOf(rule);
        if (raw === undefined) break;
        const m = raw.match(compilePattern(rule.attrs.pattern as string) as RegExp);
        if (!m) {
          warnings.push(`${rule.line}: ${rule.attrs.pattern} does not match ${raw}`);
          break;
        }
        const group = m[Number(rule.attrs.group)];
        if (group === undefined) {
          warnings.push(`${rule.line}: group ${rule.attrs.group} does not exist in ${rule.attrs.pattern}`);
          break;
        }
        value = group;
        latest = true;
        candidate = candidateOf(group);
        break;
      }
      case 'edge': {
        const branch = rule.attrs.branch ? g(rule.attrs.branch) : ctx.payload.repository?.default_branch;
        if (ref.startsWith('refs/heads/') && branch && branchOf(ctx) === branch) value = 'edge';
        break;
      }
      case 'ref':
        if (rule.attrs.event === 'branch' && ref.startsWith('refs/heads/')) value = branchOf(ctx) as string;
        else if (rule.attrs.event === 'tag' && gitTag !== undefined) {
          value = gitTag;
          latest = true;
          candidate = candidateOf(gitTag);
        } else if (rule.attrs.event === 'pr' && ref.startsWith('refs/pull/'))
          value = ref.slice('refs/pull/'.length).replace(/\/merge$/, '');
        break;
      case 'raw':
        value = g(rule.attrs.value as string);
        break;
      case 'sha':
        if (commit) value = rule.attrs.format === 'long' ? commit : shortSha;
        break;
    }
    if (value === undefined) {
      notes.push(`${rule.line}: nothing for this ${ctx.eventName} event on ${ref}`);
      continue;
    }
    const tag = sanitizeTag(withAffixes(value, rule));
    if (tag === '') continue;
    produced.push(tag);
    first ??= { latest, ...(candidate ? { candidate } : {}) };
  }

  const tags = [...new Set(produced)];
  let latest = false;
  let latestReason: string;
  if (tags.length === 0) {
    latestReason = 'no tag';
  } else if (flavor.latest === 'true') {
    latest = true;
    latestReason = 'flavor latest=true';
  } else if (flavor.latest === 'false') {
    latestReason = 'flavor latest=false';
  } else if (!first?.latest) {
    latestReason = first?.candidate ? `${first.candidate.version} is a pre-release` : 'the first tag is not a release';
  } else if (!first.candidate || first.candidate.scheme === 'none') {
    latest = true;
    latestReason = 'tag push';
  } else if (options.existingTags === undefined) {
    latest = true;
    latestReason = `${first.candidate.version} is a release (the repository's tags were not read)`;
  } else {
    const higher = higherRelease(first.candidate, options.existingTags);
    const shown = String(first.candidate.version);
    if (higher) latestReason = `${shown} is older than ${higher}, the highest release in the repository`;
    else {
      latest = true;
      latestReason = `${shown} is the highest release`;
    }
  }
  if (latest) {
    const prefix = flavor.prefixOnLatest ? g(flavor.prefix) : '';
    const suffix = flavor.suffixOnLatest ? g(flavor.suffix) : '';
    const name = sanitizeTag(`${prefix}latest${suffix}`);
    if (!tags.includes(name)) tags.push(name);
  }
  return { version: tags[0] ?? '', tags, latest, latestReason, commit, notes, warnings };
}

export interface LabelOptions {
  context: GitContext;
  version: string;
  /**
   * The `labels` input lines (`key=value`; expressions such as `{{branch}}` expanded; a line
   * without `=` is dropped with a warning). They win over the generated labels.
   */
  labels?: readonly string[];
  /** Collects the warnings about dropped lines. */
  warnings?: string[];
}

/**
 * The labels: the eight OCI labels (org.opencontainers.image.*, empty when the payload does not
 * know them, as metadata-action writes them) then the extra labels, sorted by key.
 */
export function computeLabels(options: LabelOptions): Record<string, string> {
  const ctx = options.context;
  const repo = ctx.payload.repository ?? {};
  const base: [string, string][] = [
    ['title', repo.name ?? ''],
    ['description', repo.description ?? ''],
    ['url', repo.html_url ?? ''],
    ['source', repo.html_url ?? ''],
    ['version', options.version],
    ['created', createdOf(ctx)],
    ['revision', commitOf(ctx)],
    ['licenses', repo.license?.spdx_id ?? ''],
  ];
  const map = new Map(base.map(([k, v]) => [`org.opencontainers.image.${k}`, v]));
  const extra = options.labels ?? [];
  if (extra.length > 0) {
    const now = ctx.now ?? new Date();
    const isDefault = isDefaultBranch(ctx);
    const vars = {
      branch: branchOf(ctx) ?? '',
      tag: tagOf(ctx) ?? '',
      sha: commitOf(ctx).slice(0, ctx.shortShaLength ?? 7),
      base_ref: baseRefOf(ctx),
      is_default_branch: String(isDefault),
      is_not_default_branch: String(!isDefault),
    };
    for (const line of extra) {
      const text = expand(line, vars, now, commitDateOf(ctx));
      const eq = text.indexOf('=');
      if (eq < 0) {
        options.warnings?.push(`Input 'labels': '${line}' has no '=' and is left out (expected key=value)`);
        continue;
      }
      map.set(text.slice(0, eq), text.slice(eq + 1));
    }
  }
  return Object.fromEntries(sortKeys([...map]));
}

/**
 * Sorts entries by key as metadata-action does (`localeCompare`). Keys of lowercase letters,
 * digits and dots (the OCI labels) sort the same by code unit, without the ICU collator, whose
 * first use costs about 8 ms of a step's start (issue 15).
 */
function sortKeys<T>(entries: [string, T][]): [string, T][] {
  const plain = entries.every(([key]) => /^[a-z0-9.]*$/.test(key));
  return entries.sort(plain ? (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) : (a, b) => a[0].localeCompare(b[0]));
}

/** Checks the `labels` lines before anything runs: expressions must be known ones. */
export function checkLabelLines(lines: readonly string[], input = 'labels'): void {
  for (const line of lines) {
    const expr = findBadExpression(line, GLOBALS);
    if (expr) throw new InputError(input, line, `unknown expression ${expr}; known: ${KNOWN_GLOBALS}`);
  }
}

/**
 * Build args added unless the user gave them: BUILD_DATE (RFC 3339, the created label: the build
 * time) and VCS_REF (the commit).
 */
export function defaultBuildArgs(ctx: GitContext, given: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...given };
  if (out.BUILD_DATE === undefined) out.BUILD_DATE = createdOf(ctx);
  if (out.VCS_REF === undefined) out.VCS_REF = commitOf(ctx);
  return out;
}

/**
 * Full references: every tag for every enabled image, image by image (metadata-action's order);
 * the bare tag names when no image is enabled.
 */
export function imageTags(images: readonly { name: string; enable: boolean }[], tags: readonly string[]): string[] {
  const names = images.filter((i) => i.enable).map((i) => i.name);
  return names.length === 0 ? [...tags] : names.flatMap((name) => tags.map((t) => `${name}:${t}`));
}

/**
 * Annotations as metadata-action writes them without an `annotations` input: the OCI labels,
 * each prefixed with each level (DOCKER_METADATA_ANNOTATIONS_LEVELS, `manifest` by default).
 */
export function computeAnnotations(ctx: GitContext, version: string, levels: readonly string[] = ['manifest']): string[] {
  const base = Object.entries(computeLabels({ context: ctx, version }));
  return levels.flatMap((level) => base.map(([k, v]) => `${level}:${k}=${v}`));
}

/** metadata-action's `json` output: `tags` (full references), `tag-names`, `labels`, `annotations`. */
export interface MetadataJson {
  tags: string[];
  'tag-names': string[];
  labels: Record<string, string>;
  annotations: string[];
}

/** Docker's tag grammar: a word character, then up to 127 word characters, dots and dashes. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Whether a rule's tags name one build for good: the commit, a full version, a git tag. */
export function isImmutableRule(rule: TagRule): boolean {
  if (rule.type === 'sha') return true;
  if (rule.type === 'ref') return rule.attrs.event === 'tag';
  if (rule.type === 'semver') return /\{\{\s*(version|raw|patch)\s*\}\}/.test(rule.attrs.pattern ?? '');
  return false;
}

/**
 * The tags each rule gives for this event (without `latest`, which needs the registry), checked
 * against docker's tag grammar before anything happens; and the tags that only immutable rules
 * give. Throws one line naming the rule and the tag it gave.
 */
export function checkTags(rules: readonly TagRule[], flavor: Flavor, context: GitContext): { immutable: Set<string> } {
  const immutable = new Set<string>();
  const mutable = new Set<string>();
  for (const rule of rules) {
    const { tags } = computeTags({ rules: [rule], flavor: { ...flavor, latest: 'false' }, context });
    for (const tag of tags) {
      if (!isValidTag(tag)) {
        throw new InputError(
          'tags',
          rule.line,
          `it gives the tag '${tag}'; a tag starts with a letter, a digit or _ and has at most 128 letters, digits, _, . and -`,
        );
      }
      (isImmutableRule(rule) ? immutable : mutable).add(tag);
    }
  }
  for (const tag of mutable) immutable.delete(tag);
  return { immutable };
}
