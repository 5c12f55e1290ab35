/**
 * Tags, labels and docker/metadata-action's outputs, shared by both modes: the build (tags and
 * labels for the images it pushes) and `build: false` (metadata only: no builder, no login, no
 * registry call, no push).
 */
import { InputError, type Logger, UserError } from '@tripo04os/common';
import {
  checkLabelLines,
  computeAnnotations,
  computeLabels,
  computeTags,
  DEFAULT_TAG_RULES,
  type Flavor,
  type GitContext,
  type ImageLine,
  imageTags,
  isValidImageName,
  type MetadataJson,
  type MetaResult,
  parseFlavor,
  parseImages,
  parseTagRules,
  type TagRule,
} from '@tripo04os/image';
import { exportVariable, Summary, setOutput } from '@tripo04os/kit';
import type { ActionInputs } from './plan.ts';

export interface Metadata {
  meta: MetaResult;
  /** Full references (image:tag) for every enabled image; the bare tag names when there is none. */
  refs: string[];
  labels: Record<string, string>;
  annotations: string[];
  json: MetadataJson;
}

function notice(log: Logger, message: string): void {
  if (log.notice) log.notice(message);
  else log.info(message);
}

/** The `images` lines, checked (one InputError line for a bad one), notices logged. */
export function readImages(inputs: ActionInputs, log: Logger): ImageLine[] {
  const { images, notices } = parseImages(inputs.images);
  for (const n of notices) notice(log, n);
  return images;
}

/** The levels of the annotations output (DOCKER_METADATA_ANNOTATIONS_LEVELS, `manifest` by default). */
export function annotationLevels(env: NodeJS.ProcessEnv): string[] {
  const raw = env.DOCKER_METADATA_ANNOTATIONS_LEVELS?.trim();
  if (!raw) return ['manifest'];
  const levels = raw
    .split(',')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const bad = levels.find((l) => !/^(manifest|index|manifest-descriptor|index-descriptor)(\[[a-z0-9/-]+\])?$/.test(l));
  if (bad)
    throw new UserError(
      `DOCKER_METADATA_ANNOTATIONS_LEVELS has '${bad}': expected manifest, index, manifest-descriptor or index-descriptor (comma-separated)`,
    );
  return levels;
}

export interface MetadataOptions {
  ctx: GitContext;
  rules: readonly TagRule[];
  flavor: Flavor;
  labels: readonly string[];
  images: readonly ImageLine[];
  existingTags?: readonly string[];
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/** Computes tags, labels, annotations and the json output; logs the notes and warnings. */
export function computeMetadata(o: MetadataOptions): Metadata {
  const meta = computeTags({
    rules: o.rules,
    flavor: o.flavor,
    context: o.ctx,
    ...(o.existingTags ? { existingTags: o.existingTags } : {}),
  });
  for (const note of meta.notes) o.log.info(note);
  for (const warning of meta.warnings) o.log.warning(warning);
  const warnings: string[] = [];
  const labels = computeLabels({ context: o.ctx, version: meta.version, labels: o.labels, warnings });
  for (const warning of warnings) o.log.warning(warning);
  const annotations = computeAnnotations(o.ctx, meta.version, annotationLevels(o.env));
  const refs = imageTags(o.images, meta.tags);
  return { meta, refs, labels, annotations, json: { tags: refs, 'tag-names': meta.tags, labels, annotations } };
}

/**
 * Sets the outputs metadata-action users read (tags, labels, version, json, annotations) and,
 * unless DOCKER_METADATA_SET_OUTPUT_ENV=false, the same as DOCKER_METADATA_OUTPUT_* variables.
 */
export function writeMetadataOutputs(m: Metadata, env: NodeJS.ProcessEnv): void {
  const labelLines = Object.entries(m.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const outputs: Record<string, string> = {
    tags: m.refs.join('\n'),
    labels: labelLines,
    version: m.meta.version,
    json: JSON.stringify(m.json),
    annotations: m.annotations.join('\n'),
  };
  const toEnv = !/^false$/i.test(env.DOCKER_METADATA_SET_OUTPUT_ENV?.trim() ?? '');
  for (const [name, value] of Object.entries(outputs)) {
    setOutput(name, value);
    if (toEnv) exportVariable(`DOCKER_METADATA_OUTPUT_${name.toUpperCase()}`, value);
  }
}

/**
 * With a build: metadata-action's `json` and `annotations` outputs (the other outputs say what
 * the registry holds after the push, so they are written with the build's facts).
 */
export function writeMetadataJson(m: Metadata): void {
  setOutput('json', JSON.stringify(m.json));
  setOutput('annotations', m.annotations.join('\n'));
}

/**
 * `build: false`: metadata only. Reads no builder, Dockerfile or registry; an empty tag list is
 * not an error here (metadata-action outputs it as is).
 */
export async function metadataOnly(inputs: ActionInputs, ctx: GitContext, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  if (inputs.repository) {
    throw new InputError(
      'repository',
      inputs.repository,
      'build: false makes no AWS call, so it cannot look up the ECR registry; give the full name in images (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app)',
    );
  }
  if (inputs.image && !isValidImageName(inputs.image.toLowerCase()))
    throw new InputError('image', inputs.image, 'expected an image name without tag, e.g. ghcr.io/tripo04os/ai-support');
  const rules = parseTagRules(inputs.tags.length > 0 ? inputs.tags : DEFAULT_TAG_RULES);
  const flavor = parseFlavor(inputs.flavor);
  checkLabelLines(inputs.labels);
  const images = [...(inputs.image ? parseImages([`name=${inputs.image}`]).images : []), ...readImages(inputs, log)];
  const m = computeMetadata({ ctx, rules, flavor, labels: inputs.labels, images, env, log });
  if (m.meta.tags.length === 0) notice(log, `No rule gives a tag for this ${ctx.eventName} event on ${ctx.ref}: the tags output is empty`);
  log.info(`latest: ${m.meta.latest ? 'yes' : 'no'} (${m.meta.latestReason})`);
  writeMetadataOutputs(m, env);
  setOutput('metadata', {
    tags: m.refs,
    version: m.meta.version,
    pushed: false,
    latest: m.meta.latest,
    'latest-reason': m.meta.latestReason,
    labels: m.labels,
  });
  await metadataSummary(m, images).write();
}

/** The job summary of `build: false`: the images, tags, version and labels. */
export function metadataSummary(m: Metadata, images: readonly ImageLine[]): Summary {
  const enabled = images.filter((i) => i.enable).map((i) => i.name);
  return new Summary()
    .heading('docker-build: metadata only (build: false)')
    .table(
      ['Metadata', 'Value'],
      [
        ['Images', enabled.join('\n') || 'none (bare tag names)'],
        ['Tags', m.refs.join('\n') || 'none'],
        ['Version', m.meta.version],
        ['latest', `${m.meta.latest ? 'yes' : 'no'}: ${m.meta.latestReason}`],
      ],
    )
    .table(
      ['Label', 'Value'],
      Object.entries(m.labels).map(([k, v]) => [k, v]),
    );
}
