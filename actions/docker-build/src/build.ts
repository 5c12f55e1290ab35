/**
 * docker-build's work once the entry has checked the inputs into a plan and started the builder
 * probes: registry access (ECR or another registry), tags and labels from rules, the build,
 * then the publish order of @tripo04os/image (immutable tags, scan gate, mutable tags), outputs
 * and a summary that say what the registry holds; and the post step's logout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { heldLogger, UserError } from '@tripo04os/common';
import {
  type Available,
  type Builder,
  buildImage,
  defaultBuildArgs,
  describePublish,
  type GitContext,
  login,
  logout,
  mayPullFrom,
  type PublishResult,
  publish,
  uploadRefs,
} from '@tripo04os/image';
import { getState, runnerLogger as log, saveState } from '@tripo04os/kit';
import { metadataOnly, writeMetadataJson } from './metadata.ts';
import { type ActionInputs, checkMachine, type Plan } from './plan.ts';
import { openRegistry, startEcrLookups } from './registry.ts';
import { type GateResult, scanGate } from './scan.ts';
import { factsOf, jobSummary, writeOutputs } from './summary.ts';
import { nameImage } from './tags.ts';

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
  probes?: Promise<[{ builder: Builder; available: Available }, boolean]>;
}

/** The build: registry access, tags and labels, the build, the publish order, outputs and summary. */
export async function main({ inputs, ctx, plan, probes }: Checked): Promise<void> {
  if (!plan || !probes) return metadataOnly(inputs, ctx, process.env, log);
  for (const notice of plan.notices) log.notice?.(notice);

  // Read-only look-ups in parallel with the probes the entry started: ECR's token and repository.
  const lookups = startEcrLookups(plan, log);
  const [{ builder, available }, hasTrivy] = await probes;
  checkMachine(plan, builder, available, hasTrivy);
  const driver = { logger: log };

  const access = await log.group('Registry', () => openRegistry(plan, inputs, lookups, log));
  // The login comes first when the build may need it (buildx pushes itself; a base image or a
  // cache in that registry; a Dockerfile this step cannot read); otherwise it runs beside the build, its lines held until the build's are out,
  // and only the push waits for it.
  const byBuild = builder === 'buildx' && plan.push;
  const dockerfile = await readFile(plan.build.file ?? join(plan.build.context, 'Dockerfile'), 'utf8').catch(() => undefined);
  const caches = plan.build.cacheFrom.length + plan.build.cacheTo.length > 0;
  const loginFirst = byBuild || caches || dockerfile === undefined || mayPullFrom(dockerfile, access.registry);
  const loginLines = loginFirst ? undefined : heldLogger(log);
  const loggedIn = (async () => {
    if (!access.credentials) return;
    await login(builder, access.registry, access.credentials.username, access.credentials.password, {
      ...driver,
      logger: loginLines ?? log,
    });
    if (plan.logout) saveState('logout', JSON.stringify({ builder, registry: access.registry }));
  })();
  if (loginFirst) await loggedIn;
  else loggedIn.catch(() => {}); // awaited after the build

  const { meta, labels, refs, isMutable, metadata } = await nameImage(plan, ctx, access, log);

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

  // Publish (immutable tags, the gate, mutable tags), or scan the local image.
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
      driver,
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
