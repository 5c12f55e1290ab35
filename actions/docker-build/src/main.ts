/**
 * docker-build: ECR login (or another registry), tags and labels from rules, build and push with
 * buildx, docker or buildah, the digest read back, an optional scan gate, outputs and a summary.
 * The post step logs out of the registry unless `logout: false`.
 */
import { tmpdir } from 'node:os';
import {
  createEcrClient,
  describeRepository,
  type EcrSender,
  ensureRepository,
  getEcrLogin,
  listImageTags,
  waitForScanFindings,
} from '@tripo04os/aws';
import { errorMessage, hasCommand, UserError } from '@tripo04os/common';
import {
  atOrAbove,
  type Builder,
  buildAndPush,
  clientFor,
  contextFromEnv,
  defaultBuildArgs,
  detectBuilders,
  formatCounts,
  gateMessage,
  isValidRepositoryName,
  login,
  logout,
  reportOf,
  runTrivy,
  type ScanReport,
  tagOf,
} from '@tripo04os/image';
import { getState, group, isPost, runnerLogger as log, readActionInputs, run, saveState, setOutput } from '@tripo04os/kit';
import { spec } from './inputs.ts';
import { computeMetadata, metadataOnly, writeMetadataOutputs } from './metadata.ts';
import { makePlan } from './plan.ts';
import { jobSummary } from './summary.ts';

async function post(): Promise<void> {
  const state = getState('logout');
  if (!state) return;
  const { builder, registry } = JSON.parse(state) as { builder: Builder; registry: string };
  await logout(builder, registry, { logger: log });
}

async function main(): Promise<void> {
  // First, before anything can fail: the post step must know it is the post step.
  saveState('isPost', 'true');
  const t0 = Date.now();
  const mark = (what: string) => log.debug(`${what} at ${Date.now() - t0} ms`);
  const inputs = readActionInputs(spec);
  // One clock for the created label, BUILD_DATE and schedule dates.
  const ctx = { ...contextFromEnv(), now: new Date() };
  if (!inputs.build) return metadataOnly(inputs, ctx, process.env, log);
  // Read-only look-ups in parallel: which builders work and, for ECR, the registry token
  // (GetAuthorizationToken changes nothing; it is only used once the plan is checked).
  const region = inputs.region ?? process.env.AWS_DEFAULT_REGION;
  const ecrEarly =
    inputs.repository && isValidRepositoryName(inputs.repository) && region
      ? createEcrClient(region).then(async (client) => {
          const [token, known] = await Promise.all([getEcrLogin(client, log), describeRepository(client, inputs.repository as string)]);
          return { client, token, known: known ?? null };
        })
      : undefined;
  ecrEarly?.catch(() => {});
  const [available, hasTrivy] = await Promise.all([
    detectBuilders(process.env, inputs.builder === 'auto' ? undefined : inputs.builder),
    inputs.scan === 'trivy' ? hasCommand('trivy') : Promise.resolve(false),
  ]);
  mark('builders detected');
  const plan = makePlan(inputs, { ctx, env: process.env, available, hasTrivy, cwd: process.cwd() });
  for (const notice of plan.notices) log.notice?.(notice);
  const driver = { logger: log };

  // Registry: where the image goes and the credentials for it.
  let ecr: EcrSender | undefined;
  const access = await group('Registry', async () => {
    if (plan.target.kind === 'ecr') {
      if (!ecrEarly) throw new Error('no ECR client although the plan names ECR');
      const { client, token, known } = await ecrEarly;
      ecr = client;
      const repo = plan.push
        ? await ensureRepository(client, plan.target.repository, {
            known,
            create: inputs.createRepository,
            tagMutability: inputs.tagMutability,
            ...(plan.lifecyclePolicy !== undefined ? { lifecyclePolicy: plan.lifecyclePolicy } : {}),
            logger: log,
          })
        : { uri: `${token.registry}/${plan.target.repository}`, created: false };
      log.info(`ECR repository ${repo.uri}${repo.created ? ' (created)' : ''}`);
      return { image: repo.uri, registry: token.registry, credentials: { username: token.username, password: token.password } };
    }
    return { image: plan.target.image, registry: plan.target.registry, credentials: plan.target.credentials };
  });
  mark('registry ready');
  if (access.credentials) {
    await login(plan.builder, access.registry, access.credentials.username, access.credentials.password, driver);
    if (plan.logout) saveState('logout', JSON.stringify({ builder: plan.builder, registry: access.registry }));
  }
  setOutput('registry', access.registry);

  // Tags and labels. The repository's tags decide whether a release is the highest.
  const { client: registryClient, repository: repoPath } = clientFor(
    access.image,
    access.credentials ? { credentials: access.credentials } : {},
  );
  let flavor = plan.flavor;
  let existingTags: string[] = [];
  if (flavor.latest === 'auto' && tagOf(ctx) !== undefined) {
    try {
      existingTags =
        ecr && plan.target.kind === 'ecr' ? await listImageTags(ecr, plan.target.repository) : await registryClient.listTags(repoPath);
    } catch (err) {
      log.warning(`Could not list the tags of ${access.image}, so latest is left where it is: ${errorMessage(err)}`);
      flavor = { ...flavor, latest: 'false' };
    }
  }
  mark('logged in, tags listed');
  const images = [{ name: access.image, enable: true }, ...plan.extraImages];
  const md = computeMetadata({ ctx, rules: plan.rules, flavor, labels: plan.labels, images, existingTags, env: process.env, log });
  const { meta, labels, refs } = md;
  // No tag: fail before building (an untagged push cannot be found again); build: false allows it.
  if (meta.tags.length === 0)
    throw new UserError(`Input 'tags': no rule gives a tag for this ${ctx.eventName} event on ${ctx.ref}; add one (e.g. type=sha)`);
  log.info(`latest: ${meta.latest ? 'yes' : 'no'} (${meta.latestReason})`);
  const buildArgs = defaultBuildArgs(ctx, plan.buildArgs);

  // Build and push.
  const outcome = await group(`Build${plan.push ? ' and push' : ''} with ${plan.builder}`, () =>
    buildAndPush(plan.builder, { ...plan.build, tags: refs, labels, buildArgs }, driver),
  );
  mark('built and pushed');
  let digest = outcome.digest;
  if (plan.push && !digest) digest = await registryClient.manifestDigest(repoPath, meta.tags[0] as string);
  if (plan.push && !digest) throw new UserError(`Pushed ${refs[0]}, but the registry has no manifest for it`);
  const imageRef = digest ? `${access.image}@${digest}` : '';

  setOutput('image', access.image);
  setOutput('digest', digest ?? '');
  setOutput('image-ref', imageRef);
  setOutput('imageid', outcome.imageId ?? '');
  writeMetadataOutputs(md, process.env);
  setOutput('metadata', {
    image: access.image,
    tags: refs,
    version: meta.version,
    digest: digest ?? null,
    'image-ref': imageRef || null,
    imageid: outcome.imageId ?? null,
    pushed: plan.push,
    latest: meta.latest,
    'latest-reason': meta.latestReason,
    builder: plan.builder,
    labels,
    ...(outcome.metadata ? { buildx: outcome.metadata } : {}),
  });

  // Scan.
  let report: ScanReport | undefined;
  if (plan.scan.kind !== 'none') {
    report = await group(`Scan (${plan.scan.kind})`, async () => {
      if (plan.scan.kind === 'ecr' && ecr && plan.target.kind === 'ecr' && digest) {
        const r = await waitForScanFindings(ecr, plan.target.repository, digest, {
          timeoutMs: plan.scan.timeoutMs,
          ignoreUnfixed: plan.scan.ignoreUnfixed,
          logger: log,
        });
        if (r.status !== 'COMPLETE' && r.status !== 'ACTIVE')
          log.warning(`ECR could not scan ${imageRef}: ${r.status}${r.description ? ` (${r.description})` : ''}`);
        return reportOf('ecr', r.status, r.findings, r.description);
      }
      return runTrivy({
        image: imageRef || (refs[0] as string),
        outputDir: process.env.RUNNER_TEMP ?? tmpdir(),
        ignoreUnfixed: plan.scan.ignoreUnfixed,
        timeoutMs: plan.scan.timeoutMs,
        insecure: /^(localhost|127\.|\[::1\])/.test(access.registry),
        ...access.credentials,
        logger: log,
      });
    });
    log.info(`Scan: ${formatCounts(report.counts)}`);
  }
  const blocking = report ? atOrAbove(report.findings, plan.scan.threshold) : [];

  await jobSummary({
    image: access.image,
    tags: meta.tags,
    ...(digest ? { digest } : {}),
    pushed: plan.push,
    ...(outcome.imageId ? { imageId: outcome.imageId } : {}),
    builder: plan.builder,
    buildMs: outcome.buildMs,
    pushMs: outcome.pushMs,
    latest: meta.latest,
    latestReason: meta.latestReason,
    ...(report ? { scan: { report, threshold: plan.scan.threshold, blocking } } : {}),
  }).write();
  mark('done');
  if (blocking.length > 0) throw new UserError(gateMessage(blocking, plan.scan.threshold, imageRef || (refs[0] as string)));
}

await run(() => (isPost() ? post() : main()));
