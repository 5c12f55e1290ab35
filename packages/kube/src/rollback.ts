import { errorMessage, type Logger, UserError } from '@tripo04os/common';
import { checkNamespace, deleteObject, readExplained, readObject } from './apply.ts';
import type { KubeClient } from './client.ts';
import { diagnose, formatDiagnosis } from './diagnose.ts';
import { type HealthCheckOptions, healthCheck } from './health.ts';
import { type LoadedObject, type Manifest, objectPath } from './manifests.ts';
import { type DeploymentResult, type RunReport, result } from './report.ts';
import { waitForRollout } from './rollout.ts';
import type { Target, TargetOutcome } from './strategies/strategy.ts';
import { containerImages, type Deployment, revisionOf } from './types.ts';
import { applyUndo, planUndo, type UndoPlan } from './undo.ts';

/** A ConfigMap or Secret of a deploy run, as it was before the run (undefined: the run creates it). */
export interface ConfigSnapshot {
  object: LoadedObject;
  before: Manifest | undefined;
}

/** What rolling back a run's changes needs. */
export interface RollBackContext {
  client: KubeClient;
  logger: Logger;
  timeoutMs: number;
}

/** Returns every Deployment this run changed to its previous revision (deleting those it created) and restores ConfigMaps/Secrets. */
export async function rollBackChanges(
  o: RollBackContext,
  targets: readonly Target[],
  outcomes: readonly TargetOutcome[],
  config: readonly ConfigSnapshot[],
  report: RunReport,
): Promise<void> {
  const { client, logger } = o;
  const changed = targets.filter((t) => outcomes.find((x) => x.target === t)?.changed);
  const waits = await Promise.all(
    changed.map(async (t) => {
      const r = report.deployments.find((d) => d.name === t.name && d.namespace === t.namespace) as DeploymentResult;
      try {
        if (!t.before) {
          await deleteObject(client, 'Deployment', t.namespace, t.name);
          r.status = 'deleted';
          report.rollback.push(`Deployment ${t.namespace}/${t.name}: deleted (this run created it)`);
          return 'deleted' as const;
        }
        const to = revisionOf(t.before);
        const current = await client.request<Deployment>('GET', objectPath('Deployment', t.namespace, t.name));
        if (to === undefined) {
          r.status = 'not rolled back';
          report.rollback.push(`Deployment ${t.namespace}/${t.name}: not rolled back (it had no revision before this run)`);
          return undefined;
        }
        const p: UndoPlan = await planUndo(client, current, to);
        const after = await applyUndo(client, p);
        const started = Date.now();
        const w = await waitForRollout(client, after, { timeoutMs: o.timeoutMs, logger, watchPods: false });
        r.status = w.ok ? 'rolled back' : 'not rolled back';
        r.imagesTried = r.imagesAfter;
        r.imagesAfter = containerImages(w.deployment.spec.template);
        r.revisionAfter = revisionOf(w.deployment) ?? null;
        r.seconds = Math.round((r.seconds + (Date.now() - started) / 1000) * 10) / 10;
        const imgs = Object.values(r.imagesAfter).join(', ');
        report.rollback.push(
          w.ok
            ? `Deployment ${t.namespace}/${t.name}: back to the template of revision ${to} (${imgs})${p.patch ? '' : ', it had not changed'}`
            : `Deployment ${t.namespace}/${t.name}: rollback to revision ${to} sent but not finished: ${w.message}`,
        );
        return w.ok;
      } catch (err) {
        r.status = 'not rolled back';
        report.rollback.push(
          `Deployment ${t.namespace}/${t.name}: rollback failed: ${errorMessage(await client.explain(err, 'roll back'))}`,
        );
        return false;
      }
    }),
  );
  let restoredCount = 0;
  for (const s of config) {
    const m = s.object.object.metadata;
    const what = `${s.object.object.kind} ${m.namespace}/${m.name}`;
    try {
      if (!s.before) {
        await deleteObject(client, s.object.object.kind, m.namespace, m.name);
        report.rollback.push(`${what}: deleted (this run created it)`);
        restoredCount++;
        continue;
      }
      const current = await readObject<Manifest>(client, s.object.object.kind, m.namespace, m.name);
      const restored: Manifest = { ...(current ?? s.before), data: s.before.data, binaryData: s.before.binaryData };
      delete restored.stringData;
      if (current) restored.metadata = { ...current.metadata };
      await client.request('PUT', objectPath(s.object.object.kind, m.namespace, m.name), { body: restored });
      report.rollback.push(`${what}: previous data restored`);
      restoredCount++;
    } catch (err) {
      report.rollback.push(`${what}: restore failed: ${errorMessage(err)}`);
    }
  }
  // Something was put back: a Deployment rolled back or deleted, or a ConfigMap/Secret restored.
  report.rolledBack = waits.some((w) => w === true || w === 'deleted') || restoredCount > 0;
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
  health?: Omit<HealthCheckOptions, 'logger' | 'signal'>;
}

/** Manual rollback (`kubectl rollout undo [--to-revision]`), checked for every Deployment before any changes. */
export async function rollback(o: RollbackOptions): Promise<RunReport> {
  const { client, logger } = o;
  const report: RunReport = { ok: false, deployments: [], applied: [], diagnoses: [], rolledBack: false, rollback: [] };
  const plans = await logger.group('Checking the cluster', () =>
    Promise.all(
      o.deployments.map(async (name) => {
        const d = await readExplained<Deployment>(client, 'Deployment', o.namespace, name);
        if (!d) {
          await checkNamespace(client, o.namespace, `input 'namespace'`);
          throw new UserError(`Deployment '${name}' not found in namespace '${o.namespace}' (input 'deployments')`);
        }
        try {
          return await planUndo(client, d, o.revision ?? 0);
        } catch (err) {
          throw await client.explain(err, `list replicasets in namespace ${o.namespace}`);
        }
      }),
    ),
  );
  const started = Date.now();
  const outcomes = await logger.group('Rolling back', () =>
    Promise.all(
      plans.map(async (p) => {
        const name = p.deployment.metadata.name;
        if (!p.patch) logger.info(`Deployment ${name}: the current template already matches revision ${p.toRevision}; nothing to do`);
        else logger.info(`Deployment ${name}: rolling back to revision ${p.toRevision}`);
        let after: Deployment;
        try {
          after = await applyUndo(client, p);
        } catch (err) {
          throw await client.explain(err, `patch deployments in namespace ${o.namespace}`);
        }
        const w = await waitForRollout(client, after, { timeoutMs: o.timeoutMs, logger, failureGraceMs: 30_000 });
        const t: Target = { namespace: o.namespace, name, before: p.deployment, imagePatches: [], annotations: {} };
        const x: TargetOutcome = { target: t, changed: !!p.patch, outcome: w, seconds: (Date.now() - started) / 1000 };
        const r = result(t, x, w.ok ? (p.patch ? 'rolled back' : 'unchanged') : 'failed', w.ok ? undefined : w.message);
        if (w.ok && p.patch) report.rollback.push(`Deployment ${o.namespace}/${name}: back to the template of revision ${p.toRevision}`);
        return { r, w };
      }),
    ),
  );
  report.deployments = outcomes.map((x) => x.r);
  report.rolledBack = report.rollback.length > 0;
  const failed = outcomes.filter((x) => !x.w.ok);
  if (failed.length > 0) {
    report.failure = failed.map((x) => `deployment ${o.namespace}/${x.r.name}: ${x.r.message}`).join('; ');
    report.diagnoses = await Promise.all(
      failed.map((x) => diagnose(client, x.w.deployment, (x.w as { reason: string }).reason, x.r.message ?? '', {})),
    );
    for (const d of report.diagnoses)
      await logger.group(`Diagnosis of ${d.namespace}/${d.deployment}`, async () => logger.info(formatDiagnosis(d)));
    return report;
  }
  if (o.health) {
    report.health = await logger.group(`Health check ${o.health.url}`, () => healthCheck({ ...o.health!, logger }));
    if (!report.health.ok) {
      report.failure = report.health.message;
      return report;
    }
    logger.info(report.health.message);
  }
  report.ok = true;
  return report;
}
