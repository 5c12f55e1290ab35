/**
 * The tags and labels of this run: the plan's rules for the event, with `latest` only for the
 * highest release in the repository (its tags are read when a tag push may take it), for the
 * target image and every enabled line of `images`.
 */
import { type Logger, UserError } from '@tripo04os/common';
import { type GitContext, imageTags, type MetaResult } from '@tripo04os/image';
import { computeMetadata, type Metadata } from './metadata.ts';
import { namingReadsRegistry, type Plan } from './plan.ts';
import { type Access, existingTags } from './registry.ts';

export interface Naming {
  meta: MetaResult;
  labels: Record<string, string>;
  /** Full references `image:tag`, in rule order (`latest` last). */
  refs: string[];
  /** Whether a reference's tag may move (waits for the scan gate). */
  isMutable: (ref: string) => boolean;
  /** Everything metadata-action would output (json, annotations). */
  metadata: Metadata;
}

/** The tags and labels of this run, and its references once the image name is known. */
export interface Names {
  meta: MetaResult;
  labels: Record<string, string>;
  forImage(image: string): Naming;
}

/**
 * The tags and labels from the plan's rules (`existing`: the tags in the repository, for
 * `latest`), which do not depend on the image name; fails when no rule gives a tag.
 */
export function nameTags(plan: Plan, ctx: GitContext, log: Logger, existing: string[] = [], flavor = plan.flavor): Names {
  const metadata = computeMetadata({
    ctx,
    rules: plan.rules,
    flavor,
    labels: plan.labels,
    images: [],
    existingTags: existing,
    env: process.env,
    log,
  });
  const { meta } = metadata;
  // No tag: fail before building (an untagged push cannot be found again); build: false allows it.
  if (meta.tags.length === 0)
    throw new UserError(`Input 'tags': no rule gives a tag for this ${ctx.eventName} event on ${ctx.ref}; add one (e.g. type=sha)`);
  log.info(`latest: ${meta.latest ? 'yes' : 'no'} (${meta.latestReason})`);
  return {
    meta,
    labels: metadata.labels,
    forImage: (image) => {
      const refs = imageTags([{ name: image, enable: true }, ...plan.extraImages], meta.tags);
      return {
        meta,
        labels: metadata.labels,
        refs,
        // Every image's references: the tag is what follows the last ':'.
        isMutable: (ref) => !plan.immutable.has(ref.slice(ref.lastIndexOf(':') + 1)),
        metadata: { ...metadata, refs, json: { ...metadata.json, tags: refs } },
      };
    },
  };
}

/** The tags, labels and references of this run, `latest` decided by the repository's tags when it must be. */
export async function nameImage(plan: Plan, ctx: GitContext, access: Access, log: Logger): Promise<Naming> {
  let flavor = plan.flavor;
  let existing: string[] = [];
  if (namingReadsRegistry(plan, ctx)) {
    const found = await existingTags(access, log);
    if (found) existing = found;
    else flavor = { ...flavor, latest: 'false' };
  }
  return nameTags(plan, ctx, log, existing, flavor).forImage(access.image);
}
