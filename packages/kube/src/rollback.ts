/**
 * Rollbacks: `rollback()` is the manual one (`action: rollback`, kubectl rollout undo), and
 * `rollBackChanges()` undoes what a failed run changed. Both touch only what is still what the
 * run made: an object another change replaced in the meantime is left alone, and the run says so.
 */
import { errorMessage, type Logger, UserError } from '@tripo04os/common';
import { checkNamespace, readExplained, readObject } from './apply.ts';
import { KubeApiError, type KubeClient } from './client.ts';
import { diagnose, formatDiagnosis } from './diagnose.ts';
import { type HealthCheckOptions, healthCheck } from './health.ts';
import { type LoadedObject, type Manifest, objectPath } from './manifests.ts';
import { type DeploymentResult, describeDeployment, newReport, type RunReport, result } from './report.ts';
import { supersededBy, type WaitOutcome, waitForRollout } from './rollout.ts';
import type { Target, TargetOutcome } from './targets.ts';
import { containerImages, type Deployment, revisionOf } from './types.ts';
import { applyUndo, planUndo, type UndoPlan } from './undo.ts';

/** A ConfigMap or Secret of a deploy run, as it was before the run (undefined: the run creates it). */
export interface ConfigSnapshot {
  object: LoadedObject;
  before: Manifest | undefined;
  /** The object as this run's apply left it (its resourceVersion guards the restore). */
  applied?: Manifest;
}

/** What rolling back a run's changes needs. */
export interface RollBackContext {
  client: KubeClient;
  logger: Logger;
  timeoutMs: number;
  /** Annotations this run wrote on its Deployments (tripo04os.io/deployed-by): a different value now means another run. */
  annotations?: Record<string, string>;
}

const DEPLOYED_BY = 'tripo04os.io/deployed-by';

/** Why `current` is no longer what this run made (`applied`), or undefined when it still is. */
function changedSince(applied: Deployment, current: Deployment, annotations: Record<string, string> | undefined): string | undefined {
  const replaced = supersededBy(applied, current);
  if (replaced) return replaced;
  if (applied.metadata.uid && current.metadata.uid && applied.metadata.uid !== current.metadata.uid)
    return 'deleted and created again by someone else';
  const ours = annotations?.[DEPLOYED_BY];
  const now = current.metadata.annotations?.[DEPLOYED_BY];
  if (ours !== undefined && now !== undefined && now !== ours) return `deployed since by ${now}`;
  return undefined;
}

/** A 422 answer to the guarded undo patch: the generation test failed, another change came in. */
const isGuardRefusal = (err: unknown) => err instanceof KubeApiError && (err.status === 422 || err.status === 409);

/**
 * Returns every Deployment this run changed to its revision from before the run (deleting those
 * it created) and restores ConfigMaps/Secrets — each only while it is still what this run made.
 */
export async function rollBackChanges(
  context: RollBackContext,
  outcomes: readonly TargetOutcome[],
  config: readonly ConfigSnapshot[],
  report: RunReport,
): Promise<void> {
  const { client, logger } = context;
  const supersede = (row: DeploymentResult | undefined, what: string, why: string) => {
    if (row) row.status = 'superseded';
    const line = `${what} was changed by another deploy after this run (${why}): left as it is, not rolled back`;
    report.superseded.push(what);
    report.rollback.push(line);
    logger.warning(`${line}. Use the workflow's concurrency setting so that deploys to one environment wait for each other.`);
  };
  const deploymentResults = await Promise.all(
    outcomes
      .filter((outcome) => outcome.changed)
      .map(async ({ target, outcome }) => {
        const what = `Deployment ${target.namespace}/${target.name}`;
        const row = report.deployments.find((candidate) => candidate.name === target.name && candidate.namespace === target.namespace);
        const applied = outcome.applied;
        if (outcome.superseded) {
          supersede(row, what, outcome.superseded);
          return false;
        }
        let lastSeen: Deployment = outcome.deployment;
        try {
          const current = await readObject<Deployment>(client, 'Deployment', target.namespace, target.name);
          if (!current) {
            report.rollback.push(`${what}: already gone, nothing to roll back`);
            return false;
          }
          lastSeen = current;
          const why = applied && changedSince(applied, current, context.annotations);
          if (why) {
            supersede(row, what, why);
            return false;
          }
          if (!target.before) {
            await client.request('DELETE', objectPath('Deployment', target.namespace, target.name), {
              body: {
                kind: 'DeleteOptions',
                apiVersion: 'v1',
                propagationPolicy: 'Background',
                preconditions: { uid: current.metadata.uid },
              },
              allow: [404],
            });
            if (row) row.status = 'deleted';
            report.rollback.push(`${what}: deleted (this run created it)`);
            return true;
          }
          const toRevision = revisionOf(target.before);
          if (toRevision === undefined) {
            if (row) row.status = 'not rolled back';
            report.rollback.push(`${what}: not rolled back (it had no revision before this run)`);
            return false;
          }
          const plan: UndoPlan = await planUndo(client, current, toRevision);
          let after: Deployment;
          try {
            after = await applyUndo(client, plan, current.metadata.generation);
          } catch (err) {
            if (!isGuardRefusal(err)) throw err;
            const now = await readObject<Deployment>(client, 'Deployment', target.namespace, target.name);
            supersede(row, what, (now && applied && changedSince(applied, now, context.annotations)) || 'changed while rolling back');
            return false;
          }
          lastSeen = after;
          const started = Date.now();
          const wait = await waitForRollout(client, after, { timeoutMs: context.timeoutMs, logger, watchPods: false });
          if (row) {
            row.status = wait.ok ? 'rolled back' : 'not rolled back';
            row.imagesTried = row.imagesAfter;
            row.imagesAfter = containerImages(wait.deployment.spec.template);
            row.revisionAfter = revisionOf(wait.deployment) ?? null;
            row.seconds = Math.round((row.seconds + (Date.now() - started) / 1000) * 10) / 10;
          }
          const images = Object.values(containerImages(wait.deployment.spec.template)).join(', ');
          report.rollback.push(
            wait.ok
              ? `${what}: back to the template of revision ${toRevision} (${images})${plan.patch ? '' : ', it had not changed'}`
              : `${what}: rollback to revision ${toRevision} sent but not finished: ${wait.message}`,
          );
          return wait.ok;
        } catch (err) {
          if (row) row.status = 'not rolled back';
          report.rollback.push(`${what}: rollback failed: ${errorMessage(await client.explain(err, 'roll back'))}`);
          report.leftOn.push(describeDeployment(lastSeen));
          return false;
        }
      }),
  );
  let restoredCount = 0;
  for (const snapshot of config) {
    const { kind, metadata } = snapshot.object.object;
    const what = `${kind} ${metadata.namespace}/${metadata.name}`;
    try {
      // The resourceVersion this run's apply left makes the server refuse (409) a restore over a later change.
      const guard = snapshot.applied?.metadata.resourceVersion;
      if (!snapshot.before) {
        await client.request('DELETE', objectPath(kind, metadata.namespace, metadata.name), {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', ...(guard ? { preconditions: { resourceVersion: guard } } : {}) },
          allow: [404],
        });
        report.rollback.push(`${what}: deleted (this run created it)`);
        restoredCount++;
        continue;
      }
      const current = await readObject<Manifest>(client, kind, metadata.namespace, metadata.name);
      const restored: Manifest = { ...(current ?? snapshot.before), data: snapshot.before.data, binaryData: snapshot.before.binaryData };
      delete restored.stringData;
      if (current) restored.metadata = { ...current.metadata, ...(guard ? { resourceVersion: guard } : {}) };
      await client.request('PUT', objectPath(kind, metadata.namespace, metadata.name), { body: restored });
      report.rollback.push(`${what}: previous data restored`);
      restoredCount++;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) supersede(undefined, what, 'its data changed after this run applied it');
      else {
        report.rollback.push(`${what}: restore failed: ${errorMessage(err)}`);
        report.leftOn.push(`${what} with this run's data`);
      }
    }
  }
  // Something was put back: a Deployment rolled back or deleted, or a ConfigMap/Secret restored.
  report.rolledBack = deploymentResults.some(Boolean) || restoredCount > 0;
  for (const line of report.rollback) logger.info(line);
}

export interface RollbackOptions {
  client: KubeClient;
  logger: Logger;
  namespace: string;
  deployments: readonly string[];
  /** Revision to return to (0 or undefined: the previous one). */
  revision?: number;
  timeoutMs: number;
  /** How long new pods may sit in a fatal state before the rollback's rollout fails. */
  failureGraceMs: number;
  /** When the rollback fails (rollout or health check), return every Deployment to where it started. */
  autoRollback: boolean;
  health?: Omit<HealthCheckOptions, 'logger' | 'signal'>;
}

/** Manual rollback (`kubectl rollout undo [--to-revision]`), checked for every Deployment before any changes. */
export async function rollback(options: RollbackOptions): Promise<RunReport> {
  const { client, logger } = options;
  const report = newReport();
  const plans = await logger.group('Checking the cluster', () =>
    Promise.all(
      options.deployments.map(async (name) => {
        const deployment = await readExplained<Deployment>(client, 'Deployment', options.namespace, name);
        if (!deployment) {
          await checkNamespace(client, options.namespace, `input 'namespace'`);
          throw new UserError(`Deployment '${name}' not found in namespace '${options.namespace}' (input 'deployments')`);
        }
        try {
          return await planUndo(client, deployment, options.revision ?? 0);
        } catch (err) {
          throw await client.explain(err, `list replicasets in namespace ${options.namespace}`);
        }
      }),
    ),
  );
  const started = Date.now();
  const outcomes = await logger.group('Rolling back', () =>
    Promise.all(
      plans.map(async (plan): Promise<{ row: DeploymentResult; wait: WaitOutcome; target: TargetOutcome }> => {
        const name = plan.deployment.metadata.name;
        if (!plan.patch) logger.info(`Deployment ${name}: the current template already matches revision ${plan.toRevision}; nothing to do`);
        else logger.info(`Deployment ${name}: rolling back to revision ${plan.toRevision}`);
        let after: Deployment;
        try {
          after = await applyUndo(client, plan);
        } catch (err) {
          throw await client.explain(err, `patch deployments in namespace ${options.namespace}`);
        }
        const wait = await waitForRollout(client, after, { timeoutMs: options.timeoutMs, logger, failureGraceMs: options.failureGraceMs });
        const target: Target = { namespace: options.namespace, name, before: plan.deployment, imagePatches: [], annotations: {} };
        const outcome: TargetOutcome = { target, changed: !!plan.patch, outcome: wait, seconds: (Date.now() - started) / 1000 };
        const status = wait.ok ? (plan.patch ? 'rolled back' : 'unchanged') : 'failed';
        const row = result(target, outcome, status, wait.ok ? undefined : wait.message);
        if (wait.ok && plan.patch)
          report.rollback.push(`Deployment ${options.namespace}/${name}: back to the template of revision ${plan.toRevision}`);
        return { row, wait, target: outcome };
      }),
    ),
  );
  report.deployments = outcomes.map((outcome) => outcome.row);
  report.rolledBack = report.rollback.length > 0;
  const failed = outcomes.filter((outcome) => !outcome.wait.ok);
  if (failed.length > 0) {
    report.failure = failed.map(({ row }) => `deployment ${options.namespace}/${row.name}: rollback failed: ${row.message}`).join('; ');
    report.diagnoses = await Promise.all(
      failed.map(({ wait, row }) => diagnose(client, wait.deployment, (wait as { reason: string }).reason, row.message ?? '', {})),
    );
    for (const diagnosis of report.diagnoses)
      await logger.group(`Diagnosis of ${diagnosis.namespace}/${diagnosis.deployment}`, async () =>
        logger.info(formatDiagnosis(diagnosis)),
      );
  } else if (options.health) {
    report.health = await logger.group(`Health check ${options.health.url}`, () => healthCheck({ ...options.health!, logger }));
    if (report.health.ok) logger.info(report.health.message);
    else report.failure = report.health.message;
  }
  if (!report.failure) {
    report.ok = true;
    return report;
  }
  if (!options.autoRollback) {
    logger.warning('auto-rollback is off: the Deployments stay where this rollback left them');
    return report;
  }
  // Return to where this rollback started: the revisions the Deployments were on before it.
  report.rollback = [];
  await logger.group('Returning to where the rollback started', () =>
    rollBackChanges(
      { client, logger, timeoutMs: options.timeoutMs },
      outcomes.map((outcome) => outcome.target),
      [],
      report,
    ),
  );
  return report;
}
