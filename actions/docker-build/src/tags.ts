/**
 * The tags and labels of this run: the plan's rules for the event, with `latest` only for the
 * highest release in the repository (its tags are read when a tag push may take it).
 */
import { type Logger, UserError } from '@tripo04os/common';
import { computeLabels, computeTags, type GitContext, type MetaResult, tagOf } from '@tripo04os/image';
import type { Plan } from './plan.ts';
import { type Access, existingTags } from './registry.ts';

export interface Naming {
  meta: MetaResult;
  labels: Record<string, string>;
  /** Full references `image:tag`, in rule order (`latest` last). */
  refs: string[];
  /** Whether a reference's tag may move (waits for the scan gate). */
  isMutable: (ref: string) => boolean;
}

export async function nameImage(plan: Plan, ctx: GitContext, access: Access, log: Logger): Promise<Naming> {
  let flavor = plan.flavor;
  let existing: string[] = [];
  if (flavor.latest === 'auto' && tagOf(ctx) !== undefined) {
    const found = await existingTags(access, log);
    if (found) existing = found;
    else flavor = { ...flavor, latest: 'false' };
  }
  const meta = computeTags({ rules: plan.rules, flavor, context: ctx, existingTags: existing });
  for (const note of meta.notes) log.info(note);
  if (meta.tags.length === 0)
    throw new UserError(`Input 'tags': no rule gives a tag for this ${ctx.eventName} event on ${ctx.ref}; add one (e.g. type=sha)`);
  log.info(`latest: ${meta.latest ? 'yes' : 'no'} (${meta.latestReason})`);
  return {
    meta,
    labels: computeLabels({ context: ctx, version: meta.version, labels: plan.labels }),
    refs: meta.tags.map((t) => `${access.image}:${t}`),
    isMutable: (ref) => !plan.immutable.has(ref.slice(access.image.length + 1)),
  };
}
