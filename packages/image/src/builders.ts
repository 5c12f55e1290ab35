/**
 * The builders (buildx, classic docker, buildah): which one runs, whether it can do what the
 * inputs ask, and the command lines for each as pure functions (tested table by table).
 */
import { InputError, registryOf, UserError } from '@tripo04os/common';

export const BUILDERS = ['auto', 'buildx', 'docker', 'buildah'] as const;
export type BuilderChoice = (typeof BUILDERS)[number];
export type Builder = Exclude<BuilderChoice, 'auto'>;

export interface BuildSpec {
  context: string;
  /** Dockerfile path (as given; relative to the working directory). */
  file?: string;
  /** The Dockerfile's text when the caller has read it (the classic builder gets it on stdin). */
  fileText?: string;
  target?: string;
  buildArgs: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  /** Full image references (`registry/repo:tag`). */
  tags: readonly string[];
  platforms: readonly string[];
  /** buildx cache syntax (`type=registry,ref=…`, `type=gha`, …) or a plain image reference. */
  cacheFrom: readonly string[];
  cacheTo: readonly string[];
  /** `false` (default: a plain image manifest), `true`, or buildx attributes such as `mode=max`. */
  provenance: string;
  push: boolean;
  noCache?: boolean;
  pull?: boolean;
  /** Where buildx writes its metadata JSON. */
  metadataFile?: string;
  /** Where the image ID is written. */
  iidFile?: string;
}

/** What the machine offers. */
export interface Available {
  buildx: boolean;
  docker: boolean;
  buildah: boolean;
}

const NOT_FOUND: Record<Builder, string> = {
  buildx: '`docker buildx version` failed',
  docker: '`docker info` failed (is the Docker daemon running?)',
  buildah: 'buildah is not on the PATH',
};

/**
 * Picks the builder: an explicit choice must be available; `auto` takes buildx when present,
 * else docker when its daemon answers, else buildah.
 */
export function chooseBuilder(choice: BuilderChoice, available: Available): Builder {
  if (choice !== 'auto') {
    if (!available[choice]) throw new UserError(`Input 'builder' is '${choice}', but ${NOT_FOUND[choice]}`);
    return choice;
  }
  if (available.buildx) return 'buildx';
  if (available.docker) return 'docker';
  if (available.buildah) return 'buildah';
  throw new UserError(
    "Input 'builder' is 'auto', but no builder is usable: docker buildx is not installed, the Docker daemon does not answer, and buildah is not on the PATH",
  );
}

interface CacheEntry {
  type: string;
  attrs: Record<string, string>;
  raw: string;
}

/** Parses one cache entry: `type=registry,ref=x,mode=max` or a bare image reference (a registry cache). */
export function parseCacheEntry(raw: string): CacheEntry {
  if (!raw.includes('=')) return { type: 'registry', attrs: { ref: raw }, raw };
  const attrs: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) attrs[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return { type: attrs.type ?? 'registry', attrs, raw };
}

/**
 * Checks that the chosen builder can do what the inputs ask; throws one line naming the input
 * and the builder it needs.
 */
export function checkCapabilities(builder: Builder, spec: BuildSpec, available?: Available): void {
  if (builder === 'buildx') return;
  const why = (input: string, value: string, need: string) => {
    const missing = available && !available.buildx ? ' (docker buildx is not installed here)' : '';
    return new InputError(input, value, `${need}; the ${builder} builder cannot do it${missing}`);
  };
  if (spec.platforms.length > 0 && (builder === 'docker' || spec.platforms.length > 1)) {
    throw why(
      'platforms',
      spec.platforms.join(','),
      builder === 'docker'
        ? 'building for platforms needs builder buildx (or buildah for one platform)'
        : 'more than one platform needs builder buildx',
    );
  }
  const provenance = spec.provenance.trim();
  if (provenance !== '' && provenance !== 'false') throw why('provenance', provenance, 'provenance attestations need builder buildx');
  for (const e of spec.cacheFrom.map(parseCacheEntry)) {
    if (e.type !== 'registry' || !e.attrs.ref)
      throw why('cache-from', e.raw, `cache type=${e.type} needs builder buildx (${builder} reads registry caches only)`);
  }
  for (const e of spec.cacheTo.map(parseCacheEntry)) {
    if (builder === 'docker')
      throw why('cache-to', e.raw, 'exporting a build cache needs builder buildx (or buildah for a registry cache)');
    if (e.type !== 'registry' || !e.attrs.ref)
      throw why('cache-to', e.raw, `cache type=${e.type} needs builder buildx (buildah writes registry caches only)`);
  }
}

/**
 * Cache entries as the builders without buildx's cache syntax take them: the image reference of
 * each registry cache (`type=registry,ref=X` or a bare `X`), one `flag X` pair each.
 * checkCapabilities has refused every other cache type for those builders.
 */
function registryCaches(flag: string, entries: readonly string[]): string[] {
  return each(
    flag,
    entries.map((c) => parseCacheEntry(c).attrs.ref ?? c),
  );
}

/** The flags every builder takes the same way: labels and build arguments, target, Dockerfile, tags and the context. */
function common(spec: BuildSpec, o: { labels?: boolean; fileAndTarget?: boolean } = {}): string[] {
  return [
    ...(o.labels === false ? [] : pairs('--label', spec.labels)),
    ...pairs('--build-arg', spec.buildArgs),
    ...(o.fileAndTarget === false ? [] : [...(spec.target ? ['--target', spec.target] : []), ...(spec.file ? ['-f', spec.file] : [])]),
  ];
}

function pairs(flag: string, map: Readonly<Record<string, string>>): string[] {
  return Object.entries(map).flatMap(([k, v]) => [flag, `${k}=${v}`]);
}
function each(flag: string, values: readonly string[]): string[] {
  return values.flatMap((v) => [flag, v]);
}

/** `docker buildx build …`: one command builds and (with push) pushes every tag. */
export function buildxArgs(spec: BuildSpec): string[] {
  const args = ['buildx', 'build'];
  if (spec.platforms.length > 0) args.push('--platform', spec.platforms.join(','));
  args.push(...each('--cache-from', spec.cacheFrom), ...each('--cache-to', spec.cacheTo));
  const provenance = spec.provenance.trim() || 'false';
  args.push(`--provenance=${provenance}`);
  if (spec.push) args.push('--push');
  else if (spec.platforms.length <= 1) args.push('--load');
  if (spec.noCache) args.push('--no-cache');
  if (spec.pull) args.push('--pull');
  if (spec.metadataFile) args.push('--metadata-file', spec.metadataFile);
  if (spec.iidFile) args.push('--iidfile', spec.iidFile);
  args.push(...common(spec), ...each('-t', spec.tags), spec.context);
  return args;
}

/**
 * `docker build …` with the classic builder (DOCKER_BUILDKIT=0); pushing is a separate step.
 * The classic builder turns every `--label` into a build step of its own (a container each);
 * with `labelsInDockerfile` the labels go instead into one LABEL instruction appended to the
 * Dockerfile, which is then read from stdin (`-f -`, see dockerfileWithLabels).
 */
export function dockerBuildArgs(spec: BuildSpec, labelsInDockerfile = false): string[] {
  const stdin = labelsInDockerfile && Object.keys(spec.labels).length > 0;
  const args = ['build', ...registryCaches('--cache-from', spec.cacheFrom)];
  if (spec.noCache) args.push('--no-cache');
  if (spec.pull) args.push('--pull');
  if (spec.iidFile) args.push('--iidfile', spec.iidFile);
  // With the Dockerfile on stdin, its LABEL step carries the labels and its FROM the target.
  args.push(...common(spec, { labels: !stdin, fileAndTarget: !stdin }));
  if (stdin) args.push('-f', '-');
  args.push(...each('-t', spec.tags), spec.context);
  return args;
}

function dockerfileString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$').replace(/\r?\n/g, ' ')}"`;
}

/**
 * The Dockerfile with every label in one LABEL instruction at the end (of the last stage, or of
 * a new stage on top of `target`), for the classic builder.
 */
export function dockerfileWithLabels(dockerfile: string, labels: Readonly<Record<string, string>>, target?: string): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return dockerfile;
  const label = `LABEL ${entries.map(([k, v]) => `${dockerfileString(k)}=${dockerfileString(v)}`).join(' ')}`;
  const base = dockerfile.endsWith('\n') ? dockerfile : `${dockerfile}\n`;
  return target ? `${upToStage(base, target)}FROM ${target}\n${label}\n` : `${base}${label}\n`;
}

/**
 * The Dockerfile up to the end of stage `target`: the classic builder builds every stage of the
 * file, so stages after the target (which the target cannot need) would run for nothing, or fail
 * (a RUN step on a base without a shell). Unchanged when no stage has that name.
 */
function upToStage(dockerfile: string, target: string): string {
  const lines = dockerfile.split('\n');
  const isFrom = (l: string) => /^\s*FROM\s/i.test(l);
  const start = lines.findIndex(
    (l) => isFrom(l) && new RegExp(`\\sAS\\s+${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i').test(l),
  );
  if (start === -1) return dockerfile;
  const next = lines.findIndex((l, i) => i > start && isFrom(l));
  return next === -1 ? dockerfile : `${lines.slice(0, next).join('\n')}\n`;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Whether a registry host is Docker Hub's (which no ECR or private registry is). */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB.has(registry);
}

/**
 * Whether building this Dockerfile may pull an image from `registry` (a host, or a test of the
 * host): a FROM or a `COPY|ADD --from=` naming an image there (not a stage, not scratch). When it
 * cannot, the login to that registry can run beside the build (only the push needs it).
 * Conservative: an image written with a variable may be anywhere, so it counts as a pull from
 * `registry`.
 */
export function mayPullFrom(dockerfile: string, registry: string | ((host: string) => boolean)): boolean {
  const same = (image: string) => {
    const r = registryOf(image);
    if (typeof registry === 'function') return registry(r);
    return r === registry || (DOCKER_HUB.has(r) && DOCKER_HUB.has(registry));
  };
  const stages = new Set<string>();
  for (const raw of dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.trim();
    const from = /^FROM\s+(.*)$/i.exec(line);
    const copy = from ? undefined : /^(?:COPY|ADD)\s(?:.*\s)?--from=(\S+)/i.exec(line);
    const words = from ? (from[1] ?? '').split(/\s+/).filter((w) => w && !w.startsWith('--')) : [];
    const image = from ? words[0] : copy?.[1];
    if (image) {
      const name = image.toLowerCase();
      if (image.includes('$')) return true;
      if (name !== 'scratch' && !stages.has(name) && !/^\d+$/.test(name) && same(image)) return true;
    }
    if (from && words.length >= 3 && words[1]?.toLowerCase() === 'as') stages.add((words[2] ?? '').toLowerCase());
  }
  return false;
}

export function dockerPushArgs(tag: string): string[] {
  return ['push', tag];
}

/** `buildah bud --layers …`; pushing is a separate step per tag. */
export function buildahBuildArgs(spec: BuildSpec): string[] {
  const args = ['bud', '--layers', '--format', 'docker'];
  if (spec.platforms.length === 1) args.push('--platform', spec.platforms[0] as string);
  args.push(...registryCaches('--cache-from', spec.cacheFrom), ...registryCaches('--cache-to', spec.cacheTo));
  if (spec.noCache) args.push('--no-cache');
  if (spec.pull) args.push('--pull-always');
  if (spec.iidFile) args.push('--iidfile', spec.iidFile);
  // buildah sets --label values on the image at commit: no extra build step.
  args.push(...common(spec), ...each('-t', spec.tags), spec.context);
  return args;
}

/** `buildah push --digestfile F IMAGE docker://IMAGE`. */
export function buildahPushArgs(tag: string, digestFile: string): string[] {
  return ['push', '--digestfile', digestFile, tag, `docker://${tag}`];
}

/**
 * Login for the builder's tool: `docker login` or `buildah login`, password on stdin.
 * buildah pushes honour CONTAINERS_REGISTRIES_CONF but its login does not (1.28), so the file
 * is passed on explicitly.
 */
export function loginArgs(
  builder: Builder,
  registry: string,
  username: string,
  registriesConf?: string,
): { command: string; args: string[] } {
  if (builder === 'buildah') {
    const conf = registriesConf ? ['--registries-conf', registriesConf] : [];
    return { command: 'buildah', args: ['login', ...conf, '--username', username, '--password-stdin', registry] };
  }
  return { command: 'docker', args: ['login', '--username', username, '--password-stdin', registry] };
}

export function logoutArgs(builder: Builder, registry: string): { command: string; args: string[] } {
  return { command: builder === 'buildah' ? 'buildah' : 'docker', args: ['logout', registry] };
}

/** The manifest digest in `docker push` output (`latest: digest: sha256:… size: 528`). */
export function digestFromPushOutput(output: string): string | undefined {
  const m = /digest: (sha256:[0-9a-f]{64})/.exec(output);
  return m?.[1];
}

/** The fields of buildx's --metadata-file that matter here. */
export function parseBuildxMetadata(json: string): { digest?: string; imageId?: string; raw: Record<string, unknown> } {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const digest = typeof raw['containerimage.digest'] === 'string' ? raw['containerimage.digest'] : undefined;
  const config = raw['containerimage.config.digest'];
  return { digest, imageId: typeof config === 'string' ? config : undefined, raw };
}
