import { readFile, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { errorMessage, InputError, UserError } from '@tripo04os/common';
import { type ImageEntry, imageRepository } from './images.ts';
import type { Container } from './types.ts';

/** The kinds this action applies, with where they live and when they go (dependency order). */
export const KINDS: Record<string, { apiVersion: string; plural: string; namespaced: boolean; order: number }> = {
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false, order: 0 },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true, order: 1 },
  ConfigMap: { apiVersion: 'v1', plural: 'configmaps', namespaced: true, order: 1 },
  Secret: { apiVersion: 'v1', plural: 'secrets', namespaced: true, order: 1 },
  Service: { apiVersion: 'v1', plural: 'services', namespaced: true, order: 2 },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', namespaced: true, order: 3 },
};

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** One object from a manifest file, with where it came from. */
export interface LoadedObject {
  object: Manifest;
  file: string;
  line: number;
}

/** The API path of an object (collection when name is omitted). */
export function objectPath(kind: string, namespace: string | undefined, name?: string): string {
  const k = KINDS[kind];
  if (!k) throw new UserError(`unknown kind ${kind}`);
  const base = k.apiVersion === 'v1' ? '/api/v1' : `/apis/${k.apiVersion}`;
  const ns = k.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  return `${base}${ns}/${k.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Expands the `manifests` input (files, folders, globs) to a sorted list of YAML files. */
export async function findManifestFiles(patterns: readonly string[], cwd: string): Promise<string[]> {
  const files = new Set<string>();
  const { glob, isDynamicPattern } = await import('tinyglobby');
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      const found = await glob(pattern, { cwd, absolute: true, onlyFiles: true });
      const yaml = found.filter((f) => /\.ya?ml$/i.test(f));
      if (yaml.length === 0) throw new InputError('manifests', pattern, 'expected files, folders or globs that match YAML files');
      for (const f of yaml) files.add(f);
      continue;
    }
    const path = resolve(cwd, pattern);
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(path);
    } catch {
      throw new InputError('manifests', pattern, 'expected an existing file, folder or glob');
    }
    if (s.isDirectory()) {
      const found = await glob('**/*.{yaml,yml}', { cwd: path, absolute: true, onlyFiles: true });
      if (found.length === 0) throw new InputError('manifests', pattern, 'expected a folder holding .yaml or .yml files');
      for (const f of found.sort()) files.add(f);
    } else {
      files.add(path);
    }
  }
  return [...files];
}

/** Replaces `${NAME}` with the environment's value; `$${NAME}` stays literal. Unset names are errors. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv, file: string): string {
  const lines = text.split('\n');
  return lines
    .map((line, i) =>
      line.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, escaped: string, name: string) => {
        if (escaped) return whole.slice(1);
        const v = env[name];
        if (v === undefined) throw new UserError(`${file}:${i + 1}: \${${name}} is used but ${name} is not set in the environment`);
        return v;
      }),
    )
    .join('\n');
}

/** Parses multi-document YAML; errors name the file and line. Empty documents are skipped. */
export async function parseManifests(text: string, file: string): Promise<LoadedObject[]> {
  const { parseAllDocuments, LineCounter } = await import('yaml');
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: LoadedObject[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = lc.linePos(err.pos[0]).line;
      throw new UserError(`${file}:${line}: YAML error: ${err.message.split('\n')[0]}`);
    }
    const line = doc.contents ? lc.linePos(doc.contents.range[0]).line : 1;
    let value: unknown;
    try {
      // Aliases are expanded with the yaml library's limit (an alias bomb stops there, not in memory).
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new UserError(`${file}:${line}: YAML error: ${errorMessage(err).split('\n')[0]}`);
    }
    if (value === null || value === undefined) continue;
    const items = isList(value) ? (value as { items: unknown[] }).items : [value];
    for (const item of items) out.push({ object: checkObject(item, file, line), file, line });
  }
  return out;
}

function isList(v: unknown): boolean {
  const o = v as { kind?: unknown; items?: unknown };
  return typeof o === 'object' && o !== null && o.kind === 'List' && Array.isArray(o.items);
}

function checkObject(value: unknown, file: string, line: number): Manifest {
  const at = `${file}:${line}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${at}: expected a Kubernetes object (a mapping with apiVersion, kind and metadata)`);
  }
  const o = value as Partial<Manifest>;
  if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') throw new UserError(`${at}: the object has no kind or apiVersion`);
  const k = KINDS[o.kind];
  if (!k || k.apiVersion !== o.apiVersion) {
    const known = Object.entries(KINDS)
      .map(([kind, d]) => `${d.apiVersion} ${kind}`)
      .join(', ');
    throw new UserError(`${at}: unknown kind ${o.apiVersion} ${o.kind}: this action applies ${known}`);
  }
  if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') throw new UserError(`${at}: the ${o.kind} has no metadata.name`);
  return o as Manifest;
}

export interface LoadOptions {
  cwd: string;
  /** Replace ${VAR} from env before parsing. */
  substitute?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Loads every object from the manifests input, in file order. */
export async function loadManifests(patterns: readonly string[], options: LoadOptions): Promise<LoadedObject[]> {
  if (patterns.length === 0) return [];
  const files = await findManifestFiles(patterns, options.cwd);
  const out: LoadedObject[] = [];
  for (const path of files) {
    const shown = relative(options.cwd, path) || path;
    let text = await readFile(path, 'utf8');
    if (options.substitute) text = substituteEnv(text, options.env ?? process.env, shown);
    out.push(...(await parseManifests(text, shown)));
  }
  const seen = new Map<string, LoadedObject>();
  for (const o of out) {
    const key = `${o.object.kind}/${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`;
    const first = seen.get(key);
    if (first)
      throw new UserError(`${o.file}:${o.line}: ${o.object.kind} ${o.object.metadata.name} is also defined at ${first.file}:${first.line}`);
    seen.set(key, o);
  }
  return out;
}

/** Sets the namespace of namespaced objects that have none. */
export function defaultNamespace(objects: LoadedObject[], namespace: string): void {
  for (const o of objects) {
    if (KINDS[o.object.kind]?.namespaced && !o.object.metadata.namespace) o.object.metadata.namespace = namespace;
  }
}

/** Groups objects into apply waves: Namespace, then ServiceAccount/ConfigMap/Secret, Service, Deployment. */
export function applyOrder(objects: readonly LoadedObject[]): LoadedObject[][] {
  const waves: LoadedObject[][] = [];
  for (const o of objects) {
    const order = KINDS[o.object.kind]?.order ?? 99;
    (waves[order] ??= []).push(o);
  }
  return waves.filter((w) => w && w.length > 0);
}

/** Pod template containers of a Deployment manifest. */
export function manifestContainers(m: Manifest): { containers: Container[]; initContainers: Container[] } {
  const spec = (m.spec as { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } } | undefined)?.template?.spec;
  return { containers: spec?.containers ?? [], initContainers: spec?.initContainers ?? [] };
}

/**
 * Replaces images in Deployment manifests: every container whose image repository matches an
 * `images` entry gets that entry's image. Returns how many containers changed.
 */
export function substituteImages(objects: readonly LoadedObject[], entries: readonly ImageEntry[]): number {
  let changed = 0;
  const byRepo = new Map<string, string>();
  for (const e of entries) if (!byRepo.has(e.repository)) byRepo.set(e.repository, e.image);
  for (const o of objects) {
    if (o.object.kind !== 'Deployment') continue;
    const { containers, initContainers } = manifestContainers(o.object);
    for (const c of [...containers, ...initContainers]) {
      if (!c.image) continue;
      const img = byRepo.get(imageRepository(c.image));
      if (img && img !== c.image) {
        c.image = img;
        changed++;
      }
    }
  }
  return changed;
}
