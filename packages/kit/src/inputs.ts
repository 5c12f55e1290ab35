import { formatDuration, InputError, isLoopbackHost, parseDuration } from '@tripo04os/common';

/**
 * Input specs: one object per action lists its inputs. The same object drives reading and
 * validating the inputs at run time and the check that compares it with the action's
 * action.yml (names, descriptions present, required flags and defaults, both directions).
 */
interface Base {
  description: string;
  /** Whether action.yml marks it required. A required input with no value is an error. */
  required?: boolean;
  /** Masked as soon as it is read. */
  secret?: boolean;
  /** Use this environment variable when the input is empty (e.g. AWS_REGION). */
  env?: string;
  deprecationMessage?: string;
}
export interface StringInput extends Base {
  type: 'string';
  default?: string;
  /** Accepted form, checked when a value is given. */
  pattern?: RegExp;
  /** How the accepted form is described in the error. */
  accepts?: string;
}
export interface BooleanInput extends Base {
  type: 'boolean';
  default?: boolean;
}
export interface EnumInput<V extends string = string> extends Base {
  type: 'enum';
  values: readonly V[];
  default?: V;
}
export interface IntegerInput extends Base {
  type: 'integer';
  default?: number;
  min?: number;
  max?: number;
}
export interface DurationInput extends Base {
  type: 'duration';
  /** As written in action.yml, e.g. `10m`. */
  default?: string;
  minMs?: number;
  maxMs?: number;
}
export interface ListInput extends Base {
  type: 'list';
  default?: string;
  /** Also split lines on commas. */
  commas?: boolean;
}
export interface MapInput extends Base {
  type: 'map';
  default?: string;
  /** Separator between key and value (default `=`). */
  separator?: '=' | ':';
  /** Accepted form of keys, checked per line. */
  keyPattern?: RegExp;
}
export interface UrlInput extends Base {
  type: 'url';
  default?: string;
  /** Accepted schemes without the colon, e.g. ['https']. */
  schemes: readonly string[];
  /** Also accept `http:` when the host is a loopback address. */
  httpLoopback?: boolean;
}

export type InputDef = StringInput | BooleanInput | EnumInput | IntegerInput | DurationInput | ListInput | MapInput | UrlInput;

export type InputSpec = Record<string, InputDef>;

type ValueOf<D extends InputDef> = D extends BooleanInput
  ? boolean
  : D extends EnumInput<infer V>
    ? V
    : D extends IntegerInput
      ? number
      : D extends DurationInput
        ? number
        : D extends ListInput
          ? string[]
          : D extends MapInput
            ? Record<string, string>
            : D extends UrlInput
              ? URL
              : string;

type AlwaysSet<D extends InputDef> = D extends { required: true }
  ? true
  : D extends { default: unknown }
    ? true
    : D extends BooleanInput | ListInput | MapInput
      ? true
      : false;

type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** The typed object readInputs returns: dashed names become camelCase. */
export type Inputs<S extends InputSpec> = {
  [K in keyof S & string as CamelCase<K>]: AlwaysSet<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** Keeps the literal types of a spec (enum values, required flags) for inference. */
export function defineInputs<const S extends InputSpec>(spec: S): S {
  return spec;
}

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Reads the raw value of one input the way @actions/core does: `INPUT_<NAME>` with spaces as `_`. */
export function rawInput(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

const TRUE = ['true', 'True', 'TRUE', 'yes', 'on'];
const FALSE = ['false', 'False', 'FALSE', 'no', 'off'];

/**
 * Splits a multi-line input into its non-empty, trimmed lines (and commas when asked). Lines
 * starting with `#` are comments and are left out.
 */
export function splitLines(raw: string, commas = false): string[] {
  return raw
    .split(commas ? /[\n,]/ : /\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `a whole number from ${min} to ${max}`;
  if (min !== undefined) return `a whole number of at least ${min}`;
  if (max !== undefined) return `a whole number of at most ${max}`;
  return 'a whole number';
}

/**
 * Parses one input value against its definition. Exported for tests and for values that come
 * from elsewhere. A secret value is never repeated in the error: it shows as `***`.
 */
export function parseInput(name: string, def: InputDef, raw: string): unknown {
  const shown = def.secret ? '***' : raw;
  switch (def.type) {
    case 'string':
      if (def.pattern && !def.pattern.test(raw)) {
        throw new InputError(name, shown, `expected ${def.accepts ?? `a value matching ${def.pattern}`}`);
      }
      return raw;
    case 'boolean':
      if (TRUE.includes(raw)) return true;
      if (FALSE.includes(raw)) return false;
      throw new InputError(name, shown, 'expected true or false');
    case 'enum':
      if (!def.values.includes(raw)) throw new InputError(name, shown, `expected one of ${def.values.join(', ')}`);
      return raw;
    case 'integer': {
      const accepted = `expected ${describeRange(def.min, def.max)}`;
      if (!/^[-+]?\d+$/.test(raw)) throw new InputError(name, shown, accepted);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new InputError(name, shown, accepted);
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        throw new InputError(name, shown, accepted);
      }
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw);
      const accepted = 'expected a duration such as 90s, 10m or 1h30m';
      if (ms === undefined) throw new InputError(name, shown, accepted);
      if (def.minMs !== undefined && ms < def.minMs)
        throw new InputError(name, shown, `${accepted}, at least ${formatDuration(def.minMs)}`);
      if (def.maxMs !== undefined && ms > def.maxMs) throw new InputError(name, shown, `${accepted}, at most ${formatDuration(def.maxMs)}`);
      return ms;
    }
    case 'list':
      return splitLines(raw, def.commas);
    case 'map': {
      const sep = def.separator ?? '=';
      const keys = def.keyPattern ? ` with keys matching ${def.keyPattern}` : '';
      const out: Record<string, string> = {};
      for (const line of splitLines(raw)) {
        const i = line.indexOf(sep);
        const key = i > 0 ? line.slice(0, i).trim() : '';
        if (key === '' || (def.keyPattern && !def.keyPattern.test(key))) {
          throw new InputError(name, def.secret ? '***' : line, `expected lines of the form key${sep}value${keys}`);
        }
        out[key] = line.slice(i + 1).trim();
      }
      return out;
    }
    case 'url': {
      const schemes = def.schemes.map((s) => `${s}://`).join(' or ');
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new InputError(name, shown, `expected a URL starting with ${schemes}`);
      }
      const scheme = url.protocol.replace(/:$/, '');
      const loopbackHttp = def.httpLoopback && scheme === 'http' && isLoopbackHost(url.hostname);
      if (!def.schemes.includes(scheme) && !loopbackHttp) {
        const extra = def.httpLoopback ? ' (http:// only for loopback hosts)' : '';
        throw new InputError(name, def.secret ? `${scheme}://***` : raw, `expected a URL starting with ${schemes}${extra}`);
      }
      return url;
    }
  }
}

export interface ReadOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each secret value before anything else happens with it. */
  mask?: (secret: string) => void;
  /** Called with the deprecation message of each deprecated input that was given a value. */
  warn?: (message: string) => void;
}

/**
 * Reads and validates every input of a spec. The first bad input throws an InputError whose
 * message names the input, the value and what is accepted.
 */
export function readInputs<const S extends InputSpec>(spec: S, options: ReadOptions = {}): Inputs<S> {
  const env = options.env ?? process.env;
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(spec)) {
    let raw = rawInput(name, env);
    if (raw !== '' && def.deprecationMessage) options.warn?.(`Input '${name}' is deprecated: ${def.deprecationMessage}`);
    if (raw === '' && def.env) raw = (env[def.env] ?? '').trim();
    // A default that is an expression (`${{ github.token }}`) is the runner's to evaluate from
    // action.yml; when it comes out empty, the input is empty.
    if (raw === '' && def.default !== undefined && !String(def.default).includes('${{')) raw = String(def.default);
    if (raw !== '' && def.secret) {
      options.mask?.(raw);
      if (def.type === 'map') {
        const sep = def.separator ?? '=';
        for (const line of splitLines(raw)) {
          const value = line.slice(line.indexOf(sep) + 1).trim();
          if (value !== '') options.mask?.(value);
        }
      }
    }
    if (raw === '') {
      if (def.required) {
        throw new InputError(name, '', `it is required${def.env ? ` (or set ${def.env})` : ''}`);
      }
      if (def.type === 'boolean') out[camelCase(name)] = false;
      else if (def.type === 'list') out[camelCase(name)] = [];
      else if (def.type === 'map') out[camelCase(name)] = {};
      else out[camelCase(name)] = undefined;
      continue;
    }
    out[camelCase(name)] = parseInput(name, def, raw);
  }
  return out as Inputs<S>;
}
