/**
 * The tags and labels of this run: the plan's rules for the event, with `latest` only for the
 * highest release in the repository (its tags are read when a tag push may take it), for the
 * target image and every enabled line of `images`.
 */
import { type Logger, UserError } from '@tripo04os/common';
import { type GitContext, type MetaResult, tagOf } from '@tripo04os/image';
import { computeMetadata, type Metadata } from './metadata.ts';
import type { Plan } from './plan.ts';
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

export async function nameImage(plan: Plan, ctx: GitContext, access: Access, log: Logger): Promise<Naming> {
  let flavor = plan.flavor;
  let existing: string[] = [];
  if (flavor.latest === 'auto' && tagOf(ctx) !== undefined) {
    const found = await existingTags(access, log);
    if (found) existing = found;
    else flavor = { ...flavor, latest: 'false' };
  }
  const images = [{ name: access.image, enable: true }, ...plan.extraImages];
  const metadata = computeMetadata({
    ctx,
    rules: plan.rules,
    flavor,
    labels: plan.labels,
    images,
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
    refs: metadata.refs,
    // Every image's references: the tag is what follows the last ':'.
    isMutable: (ref) => !plan.immutable.has(ref.slice(ref.lastIndexOf(':') + 1)),
    metadata,
  };
}
