import { errorMessage, type Logger, UserError } from '@tripo04os/common';
import { deleteObject, readObject, serverSideApply } from './apply.ts';
import { KubeApiError, type KubeClient } from './client.ts';
import { type Diagnosis, diagnose, formatDiagnosis } from './diagnose.ts';
import { type HealthCheckOptions, type HealthResult, healthCheck } from './health.ts';
import { type ImageEntry, resolveContainer } from './images.ts';
import { applyOrder, KINDS, type LoadedObject, type Manifest, manifestContainers, objectPath } from './manifests.ts';
import { applyUndo, planUndo, type UndoPlan } from './rollback.ts';
import { waitForRollout } from './rollout.ts';
import { rolling } from './strategies/rolling.ts';
import type { Strategy, Target, TargetOutcome } from './strategies/strategy.ts';
import { containerImages, type Deployment, revisionOf } from './types.ts';

export const STRATEGIES: Record<string, Strategy> = { rolling };

export type DeploymentStatus = 'rolled out' | 'unchanged' | 'failed' | 'aborted' | 'rolled back' | 'deleted' | 'not rolled back';

/** One Deployment in the `result` output. */
export interface DeploymentResult {
  namespace: string;
  name: string;
  imagesBefore: Record<string, string>;
  imagesAfter: Record<string, string>;
  /** The images this run tried, when they are not the ones in place after it (failed and rolled back). */
  imagesTried?: Record<string, string>;
  revisionBefore: number | null;
  revisionAfter: number | null;
  status: DeploymentStatus;
  seconds: number;
  message?: string;
}

export interface AppliedObject {
  kind: string;
  namespace?: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged';
}

export interface RunReport {
  ok: boolean;
  deployments: DeploymentResult[];
  applied: AppliedObject[];
  health?: HealthResult;
  /** Why it failed (one line). */
  failure?: string;
  diagnoses: Diagnosis[];
  rolledBack: boolean;
  /** One line per thing rolled back. */
  rollback: string[];
}

export interface Annotate {
  /** Value of tripo04os.io/deployed-by. */
  deployedBy: string;
  /** Appended to kubernetes.io/change-cause, e.g. `repo@sha by actor, run URL`. */
  context: string;
}

export interface DeployOptions {
  client: KubeClient;
  logger: Logger;
  namespace: string;
  images: readonly ImageEntry[];
  /** Manifests plus the config-map/secret objects, namespaces already set. */
  objects: readonly LoadedObject[];
  strategy?: Strategy;
  timeoutMs: number;
  failureGraceMs: number;
  autoRollback: boolean;
  health?: Omit<HealthCheckOptions, 'logger' | 'signal'>;
  annotate?: Annotate;
}

interface Snapshot {
  object: LoadedObject;
  before: Manifest | undefined;
}

const key = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ''}/${name}`;

/** Reads, turning 401/403 into one clear line. */
async function read<T>(client: KubeClient, kind: string, ns: string | undefined, name: string): Promise<T | undefined> {
  try {
    return await readObject<T>(client, kind, ns, name);
  } catch (err) {
    throw await client.explain(err, `get ${KINDS[kind]?.plural ?? kind} in ${ns ? `namespace ${ns}` : 'the cluster'}`);
  }
}

/** Fails with one line when a namespace does not exist (403 on namespaces is not an answer: skip). */
async function checkNamespace(client: KubeClient, ns: string, usedBy: string): Promise<void> {
  try {
    const found = await readObject(client, 'Namespace', undefined, ns);
    if (!found) throw new UserError(`Namespace '${ns}' does not exist (${usedBy}): create it or add a Namespace manifest`);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403) return;
    throw await client.explain(err, 'get namespaces');
  }
}

/**
 * Works out what a deploy run will change, reading only: unknown Deployments and namespaces,
 * container ambiguity and access errors all fail here, before anything changes.
 */
async function plan(o: DeployOptions): Promise<{ targets: Target[]; snapshots: Snapshot[] }> {
  const { client } = o;
  const createdNs = new Set(o.objects.filter((x) => x.object.kind === 'Namespace').map((x) => x.object.metadata.name));
  const snapshots = await Promise.all(
    o.objects.map(async (obj): Promise<Snapshot> => {
      const m = obj.object.metadata;
      return { object: obj, before: await read<Manifest>(client, obj.object.kind, m.namespace, m.name) };
    }),
  );
  const namespaces = new Map<string, string>();
  for (const s of snapshots) {
    const ns = s.object.object.metadata.namespace;
    if (ns && !s.before && !createdNs.has(ns) && !namespaces.has(ns)) namespaces.set(ns, `${s.object.file}:${s.object.line}`);
  }
  await Promise.all([...namespaces].map(([ns, where]) => checkNamespace(client, ns, `used by ${where}`)));

  const targets = new Map<string, Target>();
  for (const s of snapshots) {
    if (s.object.object.kind !== 'Deployment') continue;
    const m = s.object.object.metadata;
    targets.set(key('Deployment', m.namespace, m.name), {
      namespace: m.namespace ?? o.namespace,
      name: m.name,
      before: s.before as Deployment | undefined,
      manifest: s.object,
      imagePatches: [],
      annotations: {},
    });
  }
  const live = new Map<string, Promise<Deployment | undefined>>();
  for (const e of o.images) {
    const k = key('Deployment', o.namespace, e.deployment);
    if (!targets.has(k) && !live.has(k)) live.set(k, read<Deployment>(client, 'Deployment', o.namespace, e.deployment));
  }
  for (const e of o.images) {
    const k = key('Deployment', o.namespace, e.deployment);
    let t = targets.get(k);
    if (t?.manifest) {
      const { containers, initContainers } = manifestContainers(t.manifest.object);
      const c = resolveContainer(e, containers, initContainers);
      const list = c.init ? initContainers : containers;
      const target = list.find((x) => x.name === c.name);
      if (target) target.image = e.image;
      continue;
    }
    const d = await live.get(k);
    if (!d) {
      await checkNamespace(client, o.namespace, `input 'namespace'`);
      throw new UserError(`Deployment '${e.deployment}' not found in namespace '${o.namespace}' (input 'images')`);
    }
    const c = resolveContainer(e, d.spec.template.spec?.containers ?? [], d.spec.template.spec?.initContainers ?? []);
    if (!t) {
      t = { namespace: o.namespace, name: e.deployment, before: d, imagePatches: [], annotations: {} };
      targets.set(k, t);
    }
    t.imagePatches.push({ container: c.name, init: c.init, image: e.image });
  }
  if (o.annotate) {
    for (const t of targets.values()) {
      const imgs = t.manifest
        ? manifestContainers(t.manifest.object).containers.map((c) => `${c.name}=${c.image}`)
        : t.imagePatches.map((p) => `${p.container}=${p.image}`);
      t.annotations = {
        'kubernetes.io/change-cause': `kubectl-deploy ${imgs.join(' ')} (${o.annotate.context})`,
        'tripo04os.io/deployed-by': o.annotate.deployedBy,
      };
    }
  }
  return { targets: [...targets.values()], snapshots };
}

function result(t: Target, outcome: TargetOutcome | undefined, status: DeploymentStatus, message?: string): DeploymentResult {
  const after = outcome?.outcome.deployment;
  return {
    namespace: t.namespace,
    name: t.name,
    imagesBefore: containerImages(t.before?.spec.template),
    imagesAfter: containerImages(after?.spec?.template),
    revisionBefore: revisionOf(t.before) ?? null,
    revisionAfter: (after?.metadata ? revisionOf(after) : undefined) ?? null,
    status,
    seconds: Math.round((outcome?.seconds ?? 0) * 10) / 10,
    message,
  };
}

/** Deploys: applies objects in dependency order, rolls Deployments out, health-checks, rolls back on failure. */
export async function deploy(o: DeployOptions): Promise<RunReport> {
  const { client, logger } = o;
  const strategy = o.strategy ?? rolling;
  const { targets, snapshots } = await logger.group('Checking the cluster', () => plan(o));
  const report: RunReport = { ok: false, deployments: [], applied: [], diagnoses: [], rolledBack: false, rollback: [] };
  const changedConfig: Snapshot[] = [];

  // 1. Everything but Deployments, in dependency order (Namespace, SA/ConfigMap/Secret, Service).
  let failure: string | undefined;
  const nonDeployments = o.objects.filter((x) => x.object.kind !== 'Deployment');
  if (nonDeployments.length > 0)
    await logger.group('Applying manifests', async () => {
      for (const wave of applyOrder(nonDeployments)) {
        const results = await Promise.allSettled(
          wave.map(async (obj) => {
            const snap = snapshots.find((s) => s.object === obj) as Snapshot;
            const after = await serverSideApply(client, obj.object);
            if (obj.object.kind === 'ConfigMap' || obj.object.kind === 'Secret') changedConfig.push(snap);
            const m = obj.object.metadata;
            const action = !snap.before
              ? 'created'
              : (after as Manifest).metadata.resourceVersion === snap.before.metadata.resourceVersion
                ? 'unchanged'
                : 'configured';
            report.applied.push({ kind: obj.object.kind, namespace: m.namespace, name: m.name, action });
            logger.info(`${obj.object.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name} ${action}`);
          }),
        );
        const bad = results.find((r) => r.status === 'rejected');
        if (bad) {
          const obj = wave[results.indexOf(bad)] as LoadedObject;
          const err = await client.explain(bad.reason, `apply ${obj.object.kind} ${obj.object.metadata.name}`);
          failure = `applying ${obj.object.kind} ${obj.object.metadata.name} (${obj.file}:${obj.line}) failed: ${errorMessage(err)}`;
          return;
        }
      }
    });

  // 2. Deployments, through the strategy.
  let outcomes: TargetOutcome[] = [];
  if (!failure && targets.length > 0) {
    outcomes = await logger.group(`Rolling out ${targets.length} deployment${targets.length === 1 ? '' : 's'} (${strategy.name})`, () =>
      strategy.deploy({ client, logger, timeoutMs: o.timeoutMs, failureGraceMs: o.failureGraceMs }, targets),
    );
    const failed = outcomes.filter((x) => !x.outcome.ok && x.outcome.reason !== 'Aborted');
    if (failed.length > 0) {
      failure = failed
        .map((f) => `deployment ${f.target.namespace}/${f.target.name}: ${(f.outcome as { message: string }).message}`)
        .join('; ');
      report.diagnoses = await Promise.all(
        failed
          .filter((f) => f.outcome.ok === false && f.outcome.reason !== 'WatchFailed')
          .map((f) => {
            const out = f.outcome as Extract<typeof f.outcome, { ok: false }>;
            return diagnose(client, out.deployment, out.reason, out.message, { preferPods: out.pods });
          }),
      );
      for (const d of report.diagnoses)
        await logger.group(`Diagnosis of ${d.namespace}/${d.deployment}`, async () => logger.info(formatDiagnosis(d)));
    }
  }

  // 3. Health check after all rollouts.
  if (!failure && o.health) {
    report.health = await logger.group(`Health check ${o.health.url}`, () => healthCheck({ ...o.health!, logger }));
    if (!report.health.ok) failure = report.health.message;
    else logger.info(report.health.message);
  }

  report.deployments = targets.map((t) => {
    const x = outcomes.find((y) => y.target === t);
    if (!x) return result(t, undefined, failure ? 'aborted' : 'unchanged');
    if (x.outcome.ok) {
      const changed = revisionOf(t.before) !== revisionOf(x.outcome.deployment) || !t.before;
      return result(t, x, changed ? 'rolled out' : 'unchanged');
    }
    return result(t, x, x.outcome.reason === 'Aborted' ? 'aborted' : 'failed', x.outcome.message);
  });

  if (!failure) {
    report.ok = true;
    return report;
  }
  report.failure = failure;
  if (!o.autoRollback) {
    logger.warning('auto-rollback is off: the failed changes stay in place');
    return report;
  }
  await logger.group('Rolling back', () => rollbackRun(o, targets, outcomes, changedConfig, report));
  return report;
}

/** Returns every Deployment this run changed to its previous revision (deleting those it created) and restores ConfigMaps/Secrets. */
async function rollbackRun(
  o: DeployOptions,
  targets: readonly Target[],
  outcomes: readonly TargetOutcome[],
  config: readonly Snapshot[],
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
        const d = await read<Deployment>(client, 'Deployment', o.namespace, name);
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
