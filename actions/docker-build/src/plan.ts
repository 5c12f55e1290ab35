/**
 * Turns the inputs into a checked plan before anything happens (no probe, no network call):
 * every bad input fails here with one line (unknown tag rule, a tag docker refuses, missing
 * context or Dockerfile, invalid repository name, push with no registry access, an explicit
 * builder that cannot do what is asked). checkMachine then checks what the machine offers.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, isLoopbackHost, UserError } from '@tripo04os/common';
import {
  type Available,
  type Builder,
  type BuilderChoice,
  type BuildSpec,
  checkCapabilities,
  checkLabelLines,
  checkTags,
  DEFAULT_TAG_RULES,
  type Flavor,
  type GitContext,
  type ImageLine,
  isDockerHub,
  isPullRequest,
  isValidImageName,
  isValidRepositoryName,
  mayPullFrom,
  parseFlavor,
  parseImages,
  parseTagRules,
  registryOf,
  type TagRule,
  type Threshold,
  tagOf,
} from '@tripo04os/image/checks';
import type { Inputs } from '@tripo04os/kit';
import type { spec } from './inputs.ts';

export type ActionInputs = Inputs<typeof spec>;

export type Target =
  | { kind: 'ecr'; repository: string; region: string }
  | { kind: 'registry'; image: string; registry: string; credentials?: { username: string; password: string } };

export interface Plan {
  target: Target;
  /** The other images (`images` input) that get the same tags from the same build. */
  extraImages: ImageLine[];
  /** Lower-cased image names, for notices. */
  notices: string[];
  push: boolean;
  builder: BuilderChoice;
  rules: TagRule[];
  flavor: Flavor;
  /** Tags that name this build for good (sha-…, a full version, a git tag): pushed before the scan. */
  immutable: Set<string>;
  /** The build minus what needs the registry (tags) and the event (labels, args). */
  build: Omit<BuildSpec, 'tags' | 'labels' | 'buildArgs'>;
  buildArgs: Record<string, string>;
  /** The `labels` lines (checked; expanded once the event is known). */
  labels: string[];
  lifecyclePolicy?: string;
  scan: { kind: 'none' | 'ecr' | 'trivy'; threshold: Threshold; ignoreUnfixed: boolean; timeoutMs: number };
  logout: boolean;
}

function isLoopbackRegistry(registry: string): boolean {
  return isLoopbackHost(registry.replace(/:\d+$/, ''));
}

/** Whether docker or containers auth files already hold credentials for a registry. */
export function hasStoredCredentials(registry: string, env: NodeJS.ProcessEnv): boolean {
  const files = [
    join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json'),
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : undefined,
  ].filter((f): f is string => !!f);
  const keys =
    registry === 'docker.io' ? ['docker.io', 'https://index.docker.io/v1/', 'index.docker.io'] : [registry, `https://${registry}`];
  for (const f of files) {
    try {
      const cfg = JSON.parse(readFileSync(f, 'utf8')) as {
        auths?: Record<string, unknown>;
        credHelpers?: Record<string, string>;
        credsStore?: string;
      };
      if (cfg.credsStore) return true;
      if (keys.some((k) => cfg.auths?.[k] !== undefined || cfg.credHelpers?.[k] !== undefined)) return true;
    } catch {}
  }
  return false;
}

export interface PlanOptions {
  ctx: GitContext;
  env: NodeJS.ProcessEnv;
  /** Working directory (GITHUB_WORKSPACE). */
  cwd: string;
}

export function makePlan(inputs: ActionInputs, o: PlanOptions): Plan {
  // Where the image goes: repository or image first, then the images lines.
  const { images: imageLines, notices } = parseImages(inputs.images);
  const enabled = imageLines.filter((i) => i.enable);
  let target: Target;
  if (inputs.repository && inputs.image) {
    throw new InputError('image', inputs.image, 'give repository (an ECR repository) or image (another registry), not both');
  }
  if (inputs.repository) {
    if (!isValidRepositoryName(inputs.repository)) {
      throw new InputError(
        'repository',
        inputs.repository,
        'expected an ECR repository name: 2-256 lower-case letters, digits and . _ - / (e.g. tripo04os-ai-support)',
      );
    }
    const region = inputs.region ?? o.env.AWS_DEFAULT_REGION;
    if (!region)
      throw new InputError(
        'region',
        '',
        'an ECR repository needs a region (set region, or AWS_REGION with aws-actions/configure-aws-credentials)',
      );
    target = { kind: 'ecr', repository: inputs.repository, region };
  } else if (inputs.image) {
    const image = inputs.image.toLowerCase();
    if (image !== inputs.image)
      notices.push(`Image name '${inputs.image}' lower-cased to '${image}' (registries take lower-case repository names)`);
    if (!isValidImageName(image)) {
      throw new InputError(
        'image',
        inputs.image,
        'expected an image name without tag, e.g. ghcr.io/tripo04os/ai-support (lower-case path)',
      );
    }
    if ((inputs.username && !inputs.password) || (!inputs.username && inputs.password)) {
      throw new InputError(inputs.username ? 'password' : 'username', '', 'username and password go together');
    }
    const registry = registryOf(image);
    target = {
      kind: 'registry',
      image,
      registry,
      ...(inputs.username && inputs.password ? { credentials: { username: inputs.username, password: inputs.password } } : {}),
    };
  } else if (enabled.length > 0) {
    const first = enabled.shift() as ImageLine;
    target = { kind: 'registry', image: first.name, registry: registryOf(first.name) };
  } else {
    throw new InputError(
      'repository',
      '',
      'give repository (an ECR repository name), image (a full image name for another registry) or images (one or more full names)',
    );
  }

  const push = inputs.push === 'auto' ? !isPullRequest(o.ctx) : inputs.push === 'true';
  if (
    push &&
    target.kind === 'registry' &&
    !target.credentials &&
    !isLoopbackRegistry(target.registry) &&
    !hasStoredCredentials(target.registry, o.env)
  ) {
    throw new InputError(
      'push',
      inputs.push,
      `pushing to ${target.registry} needs registry access: give username and password, log in before this step, or use repository for ECR`,
    );
  }

  if (push) {
    for (const extra of enabled) {
      const registry = registryOf(extra.name);
      const covered = target.kind === 'registry' && target.credentials && target.registry === registry;
      if (!covered && !isLoopbackRegistry(registry) && !hasStoredCredentials(registry, o.env)) {
        throw new InputError(
          'images',
          extra.name,
          `pushing to ${registry} needs registry access: log in to it before this step (e.g. docker/login-action) or leave the image out`,
        );
      }
    }
  }

  // The build context and Dockerfile.
  const context = inputs.context;
  const contextPath = resolve(o.cwd, context);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(context) && !(existsSync(contextPath) && statSync(contextPath).isDirectory())) {
    throw new InputError('context', context, 'expected a folder of the checked-out repository (did actions/checkout run?)');
  }
  const file = inputs.file ?? join(context, 'Dockerfile');
  const filePath = resolve(o.cwd, file);
  if (!existsSync(filePath) || !statSync(filePath).isFile()) {
    throw new InputError(
      inputs.file ? 'file' : 'context',
      inputs.file ?? context,
      inputs.file ? 'no such Dockerfile' : 'no Dockerfile in this folder; set file',
    );
  }

  const rules = parseTagRules(inputs.tags.length > 0 ? inputs.tags : DEFAULT_TAG_RULES);
  const flavor = parseFlavor(inputs.flavor);
  checkLabelLines(inputs.labels);
  const { immutable } = checkTags(rules, flavor, o.ctx);

  let lifecyclePolicy: string | undefined;
  if (inputs.lifecyclePolicy !== undefined) {
    if (inputs.lifecyclePolicy === 'none') lifecyclePolicy = '';
    else {
      try {
        const parsed = JSON.parse(inputs.lifecyclePolicy) as { rules?: unknown };
        if (!Array.isArray(parsed.rules)) throw new Error('no rules');
      } catch {
        throw new InputError(
          'lifecycle-policy',
          inputs.lifecyclePolicy,
          'expected an ECR lifecycle policy JSON document with "rules", or none',
        );
      }
      lifecyclePolicy = inputs.lifecyclePolicy;
    }
  }

  if (inputs.scan === 'ecr' && target.kind !== 'ecr')
    throw new InputError('scan', 'ecr', 'scan: ecr needs repository (an ECR repository); use trivy for other registries');
  if (inputs.scan === 'ecr' && !push)
    throw new InputError('scan', 'ecr', 'ECR scans pushed images; this run does not push (push is false or this is a pull request)');

  // Read once, here: whether the build can run before the registry is opened depends on it, and
  // the classic builder gets it on stdin. Unreadable here, the builder may still read it.
  let fileText: string | undefined;
  try {
    fileText = readFileSync(filePath, 'utf8');
  } catch {}
  const build = {
    context,
    ...(inputs.file ? { file: inputs.file } : {}),
    ...(fileText !== undefined ? { fileText } : {}),
    ...(inputs.target ? { target: inputs.target } : {}),
    platforms: inputs.platforms,
    cacheFrom: inputs.cacheFrom,
    cacheTo: inputs.cacheTo,
    provenance: inputs.provenance,
    push,
  };
  if (inputs.builder !== 'auto') checkCapabilities(inputs.builder, { ...build, tags: [], labels: {}, buildArgs: {} });

  return {
    target,
    extraImages: enabled,
    notices,
    push,
    builder: inputs.builder,
    rules,
    flavor,
    immutable,
    build,
    buildArgs: inputs.buildArgs,
    labels: inputs.labels,
    ...(lifecyclePolicy !== undefined ? { lifecyclePolicy } : {}),
    scan: { kind: inputs.scan, threshold: inputs.severityThreshold, ignoreUnfixed: inputs.ignoreUnfixed, timeoutMs: inputs.scanTimeout },
    logout: inputs.logout,
  };
}

/**
 * What the machine must offer for the plan, once the builder is found (see findBuilder): what
 * `auto` chose must be able to do what is asked, and scan: trivy needs the trivy binary.
 */
export function checkMachine(plan: Plan, builder: Builder, available: Available | undefined, hasTrivy: boolean): void {
  checkCapabilities(builder, { ...plan.build, tags: [], labels: {}, buildArgs: {} }, available);
  if (plan.scan.kind === 'trivy' && !hasTrivy) {
    throw new UserError(
      "Input 'scan' is 'trivy', but the trivy binary is not on the PATH: install it first (aquasecurity/setup-trivy pinned by commit SHA) or use scan: ecr",
    );
  }
}

/**
 * Whether naming this run reads the registry: on a tag push with `latest=auto`, `latest` goes to
 * the highest release, so the tags already in the repository decide it.
 */
export function namingReadsRegistry(plan: Plan, ctx: GitContext): boolean {
  return plan.flavor.latest === 'auto' && tagOf(ctx) !== undefined;
}

/**
 * Whether the build can run before the registry is opened (see build.ts): docker or buildah (buildx
 * pushes itself), no cache, a Dockerfile this step read that pulls nothing from any registry but
 * Docker Hub (which no target is), tags that do not read the repository, and no lifecycle policy
 * of the inputs (ECR's to accept: refused, it must fail before a build).
 */
export function buildsFirst(plan: Plan, ctx: GitContext, builder: Builder): boolean {
  const dockerfile = plan.build.fileText;
  return (
    builder !== 'buildx' &&
    plan.build.cacheFrom.length + plan.build.cacheTo.length === 0 &&
    dockerfile !== undefined &&
    !namingReadsRegistry(plan, ctx) &&
    plan.lifecyclePolicy === undefined &&
    !mayPullFrom(dockerfile, (host) => !isDockerHub(host))
  );
}
