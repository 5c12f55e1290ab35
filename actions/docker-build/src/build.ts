/**
 * docker-build's work once the entry has checked the inputs into a plan and started the builder
 * probes: registry access (ECR or another registry), tags and labels from rules, the build,
 * then the publish order of @tripo04os/image (immutable tags, scan gate, mutable tags), outputs
 * and a summary that say what the registry holds; and the post step's logout.
 */
import { type HeldLogger, heldLogger, UserError } from '@tripo04os/common';
import {
  type Available,
  type Builder,
  type BuildOutcome,
  buildImage,
  defaultBuildArgs,
  describePublish,
  type GitContext,
  login,
  logout,
  mayPullFrom,
  type PublishResult,
  publish,
  tagImage,
  uploadRefs,
} from '@tripo04os/image';
import { getState, runnerLogger as log, saveState } from '@tripo04os/kit';
import { metadataOnly, writeMetadataJson } from './metadata.ts';
import { type ActionInputs, buildsFirst, checkMachine, type Plan } from './plan.ts';
import { type Access, openRegistry, startEcrLookups } from './registry.ts';
import { type GateResult, scanGate } from './scan.ts';
import { factsOf, jobSummary, writeOutputs } from './summary.ts';
import { type Naming, nameImage, nameTags } from './tags.ts';

/** The post step: logs out of the registry the main step logged in to (unless `logout: false`). */
export async function post(): Promise<void> {
  const state = getState('logout');
  if (!state) return;
  const { builder, registry } = JSON.parse(state) as { builder: Builder; registry: string };
  await logout(builder, registry, { logger: log });
}

/** What the entry checked before loading this module, and the probes it started. */
export interface Checked {
  inputs: ActionInputs;
  /** One clock for the created label, BUILD_DATE and schedule dates. */
  ctx: GitContext & { now: Date };
  /** Undefined for `build: false`. */
  plan?: Plan;
  probes?: {
    /** The builder probe, started by the entry unless an explicit builder builds first (then only to explain a failed build). */
    builder: () => Promise<{ builder: Builder; available: Available }>;
    trivy: Promise<boolean>;
  };
}

/**
 * The build: registry access, tags and labels, the build, the publish order, outputs and summary.
 *
 * When nothing about the build needs the registry (docker or buildah; no cache; the Dockerfile
 * pulls nothing from any registry but Docker Hub, which no target is; the tags do not depend on
 * the repository's; no lifecycle policy of the inputs for ECR to accept), it runs first,
 * untagged, while the registry is opened and logged in to beside it; the image is tagged once its
 * name is known, and only the push waits for the login.
 * An explicit builder is not probed first: a failed build is explained by the probe. Otherwise
 * the registry comes first, as the build may need it.
 */
export async function main({ inputs, ctx, plan, probes }: Checked): Promise<void> {
  if (!plan || !probes) return metadataOnly(inputs, ctx, process.env, log);
  for (const notice of plan.notices) log.notice?.(notice);
  const driver = { logger: log };
  const hasTrivy = await probes.trivy;
  const explicit = plan.builder === 'auto' ? undefined : plan.builder;
  // Read-only look-ups (ECR's token and repository) in parallel with the probe `auto` waits for.
  let lookups = explicit ? undefined : startEcrLookups(plan, log);
  const found = explicit ? undefined : await probes.builder();
  const builder = explicit ?? (found as { builder: Builder }).builder;
  if (builder !== 'buildx' && buildsFirst(plan, ctx, builder)) {
    checkMachine(plan, builder, found?.available, hasTrivy);
    return buildFirst(inputs, ctx, plan, builder, probes.builder, lookups);
  }
  lookups ??= startEcrLookups(plan, log);
  checkMachine(plan, builder, (found ?? (await probes.builder())).available, hasTrivy);

  const access = await log.group('Registry', () => openRegistry(plan, inputs, lookups, log));
  // The login comes first when the build may need it (buildx pushes itself; a base image or a
  // cache in that registry; a Dockerfile this step cannot read); otherwise it runs beside the
  // build, its lines held until the build's are out, and only the push waits for it.
  const byBuild = builder === 'buildx' && plan.push;
  const caches = plan.build.cacheFrom.length + plan.build.cacheTo.length > 0;
  const dockerfile = plan.build.fileText;
  const loginFirst = byBuild || caches || dockerfile === undefined || mayPullFrom(dockerfile, access.registry);
  const loginLines = loginFirst ? undefined : heldLogger(log);
  const loggedIn = logIn(plan, builder, access, loginLines ?? log);
  if (loginFirst) await loggedIn;
  else loggedIn.catch(() => {}); // awaited after the build

  const naming = await nameImage(plan, ctx, access, log);
  const { refs, labels, isMutable } = naming;

  // Build; buildx (no local image) pushes the upload references itself.
  const built = await log
    .group(`Build with ${builder}`, () =>
      buildImage(
        builder,
        {
          ...plan.build,
          push: byBuild,
          tags: byBuild ? uploadRefs(refs, isMutable) : refs,
          labels,
          buildArgs: defaultBuildArgs(ctx, plan.buildArgs),
        },
        driver,
      ),
    )
    .finally(async () => {
      await loggedIn.catch(() => {}); // no login left running, whatever the build did
      loginLines?.release();
    });
  await loggedIn; // a failed login stops here: built locally, nothing pushed
  return publishAndReport(plan, builder, access, naming, built);
}

/** Logs in to the registry (when it has credentials) and leaves the post step a logout. */
async function logIn(plan: Plan, builder: Builder, access: Access, logger: typeof log | HeldLogger): Promise<void> {
  if (!access.credentials) return;
  await login(builder, access.registry, access.credentials.username, access.credentials.password, { logger });
  if (plan.logout) saveState('logout', JSON.stringify({ builder, registry: access.registry }));
}

/** The build first, untagged; the registry opened and logged in to beside it; then tags and publish. */
async function buildFirst(
  inputs: ActionInputs,
  ctx: GitContext & { now: Date },
  plan: Plan,
  builder: 'docker' | 'buildah',
  probe: () => Promise<{ builder: Builder; available: Available }>,
  lookups: ReturnType<typeof startEcrLookups>,
): Promise<void> {
  const names = nameTags(plan, ctx, log);
  const spawned = Promise.withResolvers<void>();
  const building = log.group(`Build with ${builder}`, () =>
    buildImage(
      builder,
      { ...plan.build, push: false, tags: [], labels: names.labels, buildArgs: defaultBuildArgs(ctx, plan.buildArgs) },
      { logger: log, started: spawned.resolve },
    ),
  );
  building.catch(() => {}).finally(spawned.resolve); // awaited below
  // Loading the AWS SDK holds the event loop: the build's process starts first.
  await spawned.promise;
  // The registry's lines are held until the build's are out.
  const lines = heldLogger(log);
  const opened = (async () => {
    const access = await lines.group('Registry', () => openRegistry(plan, inputs, lookups ?? startEcrLookups(plan, lines), lines));
    await logIn(plan, builder, access, lines);
    return access;
  })();
  opened.catch(() => {}); // awaited below
  let built: BuildOutcome;
  try {
    built = await building;
  } catch (err) {
    await probe(); // a builder that does not answer says so better than its build's error
    throw err;
  } finally {
    await opened.catch(() => {}); // nothing left running, whatever the build did
    lines.release();
  }
  const access = await opened; // a failed registry or login stops here: built locally, nothing pushed
  if (!built.imageId) throw new UserError(`${builder} built no image ID`);
  const naming = names.forImage(access.image);
  await tagImage(builder, built.imageId, naming.refs, { logger: log });
  return publishAndReport(plan, builder, access, naming, built);
}

/** Publish (immutable tags, the gate, mutable tags) or scan the local image; outputs and summary. */
async function publishAndReport(plan: Plan, builder: Builder, access: Access, naming: Naming, built: BuildOutcome): Promise<void> {
  const { meta, labels, refs, isMutable, metadata } = naming;
  let gate: GateResult | undefined;
  let published: PublishResult | undefined;
  if (plan.push) {
    published = await publish({
      builder,
      refs,
      isMutable,
      credentials: () => access.credentials,
      uploadedByBuild: { ...(built.digest ? { digest: built.digest } : {}) },
      ...(plan.scan.kind !== 'none'
        ? {
            gate: async (digest: string) => {
              gate = await scanGate(plan, access, `${access.image}@${digest}`, digest, log);
              return gate.verdict;
            },
          }
        : {}),
      driver: { logger: log },
    });
    log.info(describePublish(published));
  } else if (plan.scan.kind !== 'none') gate = await scanGate(plan, access, refs[0] as string, undefined, log);

  const facts = factsOf({ plan, access, builder, refs, meta, labels, built, published, gate });
  writeOutputs(facts);
  writeMetadataJson(metadata);
  await jobSummary(facts).write();

  const held = published?.notMoved.map((n) => n.ref).join(', ');
  if (published?.stopped?.kind === 'push')
    throw new UserError(`Push failed at ${published.stopped.message}; ${describePublish(published)}`);
  if (published?.stopped) throw new UserError(`${published.stopped.message}; not moved: ${held || 'nothing'}`);
  if (gate?.verdict) throw new UserError(gate.verdict);
}
