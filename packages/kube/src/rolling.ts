import { errorMessage } from '@tripo04os/common';
import { serverSideApply, strategicPatch } from './apply.ts';
import { waitForRollout } from './rollout.ts';
import type { RolloutContext, Target, TargetOutcome } from './targets.ts';
import type { Deployment } from './types.ts';
import { SharedWatches } from './watch.ts';

function imagePatch(t: Target): unknown {
  const containers = t.imagePatches.filter((p) => !p.init).map((p) => ({ name: p.container, image: p.image }));
  const initContainers = t.imagePatches.filter((p) => p.init).map((p) => ({ name: p.container, image: p.image }));
  const spec: Record<string, unknown> = {};
  if (containers.length) spec.containers = containers;
  if (initContainers.length) spec.initContainers = initContainers;
  return {
    ...(Object.keys(t.annotations).length ? { metadata: { annotations: t.annotations } } : {}),
    spec: { template: { spec } },
  };
}

/** Sends a target's change: server-side apply of its manifest, or a strategic merge patch of its images. */
export async function sendChange(ctx: RolloutContext, t: Target): Promise<Deployment> {
  if (t.manifest) {
    const m = structuredClone(t.manifest.object);
    m.metadata.annotations = { ...(m.metadata.annotations ?? {}), ...t.annotations };
    return serverSideApply<Deployment>(ctx.client, m);
  }
  return strategicPatch<Deployment>(ctx.client, 'Deployment', t.namespace, t.name, imagePatch(t));
}

/**
 * Rolling update (the Deployment's own RollingUpdate/Recreate strategy): every change is sent,
 * then all rollouts are watched at once. The first failure stops the other waits. Deployments
 * that share a namespace share its two watches (Deployments, pods) instead of two each.
 */
export async function rollOut(ctx: RolloutContext, targets: readonly Target[]): Promise<TargetOutcome[]> {
  const started = Date.now();
  const sent = await Promise.allSettled(targets.map((t) => sendChange(ctx, t)));
  const stop = new AbortController();
  const firstError = sent.find((s) => s.status === 'rejected');
  if (firstError) stop.abort();
  const perNamespace = new Map<string, number>();
  for (const t of targets) perNamespace.set(t.namespace, (perNamespace.get(t.namespace) ?? 0) + 1);
  const shared = new SharedWatches(ctx.client, { logger: ctx.logger });
  return Promise.all(
    targets.map(async (t, i): Promise<TargetOutcome> => {
      const s = sent[i] as PromiseSettledResult<Deployment>;
      if (s.status === 'rejected') {
        const err = await ctx.client.explain(s.reason, `patch deployments in namespace ${t.namespace}`);
        return {
          target: t,
          changed: false,
          seconds: (Date.now() - started) / 1000,
          outcome: {
            ok: false,
            reason: 'WatchFailed',
            message: `could not update deployment "${t.name}": ${errorMessage(err)}`,
            deployment: t.before ?? (t.manifest?.object as unknown as Deployment),
            pods: [],
          },
        };
      }
      const outcome = await waitForRollout(ctx.client, s.value, {
        timeoutMs: ctx.timeoutMs,
        failureGraceMs: ctx.failureGraceMs,
        signal: stop.signal,
        logger: ctx.logger,
        ...((perNamespace.get(t.namespace) ?? 0) > 1 ? { shared } : {}),
      });
      if (!outcome.ok && outcome.reason !== 'Aborted') stop.abort();
      if (outcome.ok) ctx.logger.info(outcome.message);
      return { target: t, changed: true, outcome, seconds: (Date.now() - started) / 1000 };
    }),
  );
}
