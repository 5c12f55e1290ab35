/**
 * docker-build: inputs checked into a plan (before any probe or network call), the builder found,
 * registry access (ECR or another registry), tags and labels from rules, the build, then the
 * publish order of @tripo04os/image (immutable tags, scan gate, mutable tags), outputs and a
 * summary that say what the registry holds. The post step logs out unless `logout: false`.
 */
import { hasCommand, UserError } from '@tripo04os/common';
import {
  type Builder,
  buildImage,
  contextFromEnv,
  defaultBuildArgs,
  describePublish,
  findBuilder,
  login,
  logout,
  type PublishResult,
  publish,
  uploadRefs,
} from '@tripo04os/image';
import { getState, isPost, runnerLogger as log, readActionInputs, run, saveState } from '@tripo04os/kit';
import { spec } from './inputs.ts';
import { metadataOnly, writeMetadataJson } from './metadata.ts';
import { checkMachine, makePlan } from './plan.ts';
import { openRegistry, startEcrLookups } from './registry.ts';
import { type GateResult, scanGate } from './scan.ts';
import { factsOf, jobSummary, writeOutputs } from './summary.ts';
import { nameImage } from './tags.ts';

async function post(): Promise<void> {
  const state = getState('logout');
  if (!state) return;
  const { builder, registry } = JSON.parse(state) as { builder: Builder; registry: string };
  await logout(builder, registry, { logger: log });
}

async function main(): Promise<void> {
  // First, before anything can fail: the post step must know it is the post step.
  saveState('isPost', 'true');
  const inputs = readActionInputs(spec);
  // One clock for the created label, BUILD_DATE and schedule dates.
  const ctx = { ...contextFromEnv(), now: new Date() };
  if (!inputs.build) return metadataOnly(inputs, ctx, process.env, log);
  const plan = makePlan(inputs, { ctx, env: process.env, cwd: process.cwd() });
  for (const notice of plan.notices) log.notice?.(notice);

  // Read-only look-ups in parallel: the builder (probing only what the choice needs), trivy, ECR.
  const lookups = startEcrLookups(plan, log);
  const [{ builder, available }, hasTrivy] = await Promise.all([
    findBuilder(plan.builder, process.env),
    plan.scan.kind === 'trivy' ? hasCommand('trivy') : Promise.resolve(false),
  ]);
  checkMachine(plan, builder, available, hasTrivy);
  const driver = { logger: log };

  const access = await log.group('Registry', () => openRegistry(plan, inputs, lookups, log));
  if (access.credentials) {
    await login(builder, access.registry, access.credentials.username, access.credentials.password, driver);
    if (plan.logout) saveState('logout', JSON.stringify({ builder, registry: access.registry }));
  }

  const { meta, labels, refs, isMutable, metadata } = await nameImage(plan, ctx, access, log);

  // Build; buildx (no local image) pushes the upload references itself.
  const byBuild = builder === 'buildx' && plan.push;
  const built = await log.group(`Build with ${builder}`, () =>
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
  );

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

await run(() => (isPost() ? post() : main()));
