import { errorMessage, type Logger, UserError } from '@tripo04os/common';
import { checkNamespace, readExplained, serverSideApply } from './apply.ts';
import type { KubeClient } from './client.ts';
import { diagnose, formatDiagnosis } from './diagnose.ts';
import { type HealthCheckOptions, healthCheck } from './health.ts';
import { type ImageEntry, resolveContainer } from './images.ts';
import { applyOrder, type LoadedObject, type Manifest, manifestContainers } from './manifests.ts';
import { type RunReport, result } from './report.ts';
import { type ConfigSnapshot, rollBackChanges } from './rollback.ts';
import { rolling } from './strategies/rolling.ts';
import type { Strategy, Target, TargetOutcome } from './strategies/strategy.ts';
import { type Deployment, revisionOf } from './types.ts';

export const STRATEGIES: Record<string, Strategy> = { rolling };

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

const key = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ''}/${name}`;

/**
 * Works out what a deploy run will change, reading only: unknown Deployments and namespaces,
 * container ambiguity and access errors all fail here, before anything changes.
 */
async function plan(options: DeployOptions): Promise<{ targets: Target[]; snapshots: ConfigSnapshot[] }> {
  const { client } = options;
  const namespacesCreated = new Set(
    options.objects.filter((loaded) => loaded.object.kind === 'Namespace').map((loaded) => loaded.object.metadata.name),
  );
  const snapshots = await Promise.all(
    options.objects.map(async (loaded): Promise<ConfigSnapshot> => {
      const meta = loaded.object.metadata;
      return { object: loaded, before: await readExplained<Manifest>(client, loaded.object.kind, meta.namespace, meta.name) };
    }),
  );
  const namespacesToCheck = new Map<string, string>();
  for (const snapshot of snapshots) {
    const namespace = snapshot.object.object.metadata.namespace;
    if (namespace && !snapshot.before && !namespacesCreated.has(namespace) && !namespacesToCheck.has(namespace))
      namespacesToCheck.set(namespace, `${snapshot.object.file}:${snapshot.object.line}`);
  }
  await Promise.all([...namespacesToCheck].map(([namespace, where]) => checkNamespace(client, namespace, `used by ${where}`)));

  const targets = new Map<string, Target>();
  for (const snapshot of snapshots) {
    if (snapshot.object.object.kind !== 'Deployment') continue;
    const meta = snapshot.object.object.metadata;
    targets.set(key('Deployment', meta.namespace, meta.name), {
      namespace: meta.namespace ?? options.namespace,
      name: meta.name,
      before: snapshot.before as Deployment | undefined,
      manifest: snapshot.object,
      imagePatches: [],
      annotations: {},
    });
  }
  const liveDeployments = new Map<string, Promise<Deployment | undefined>>();
  for (const entry of options.images) {
    const id = key('Deployment', options.namespace, entry.deployment);
    if (!targets.has(id) && !liveDeployments.has(id))
      liveDeployments.set(id, readExplained<Deployment>(client, 'Deployment', options.namespace, entry.deployment));
  }
  for (const entry of options.images) {
    const id = key('Deployment', options.namespace, entry.deployment);
    let target = targets.get(id);
    if (target?.manifest) {
      // The Deployment comes from the manifests: the image goes into the manifest before it is applied.
      const { containers, initContainers } = manifestContainers(target.manifest.object);
      const resolved = resolveContainer(entry, containers, initContainers);
      const container = (resolved.init ? initContainers : containers).find((candidate) => candidate.name === resolved.name);
      if (container) container.image = entry.image;
      continue;
    }
    const live = await liveDeployments.get(id);
    if (!live) {
      await checkNamespace(client, options.namespace, `input 'namespace'`);
      throw new UserError(`Deployment '${entry.deployment}' not found in namespace '${options.namespace}' (input 'images')`);
    }
    const podSpec = live.spec.template.spec;
    const resolved = resolveContainer(entry, podSpec?.containers ?? [], podSpec?.initContainers ?? []);
    if (!target) {
      target = { namespace: options.namespace, name: entry.deployment, before: live, imagePatches: [], annotations: {} };
      targets.set(id, target);
    }
    target.imagePatches.push({ container: resolved.name, init: resolved.init, image: entry.image });
  }
  if (options.annotate) {
    for (const target of targets.values()) {
      const images = target.manifest
        ? manifestContainers(target.manifest.object).containers.map((container) => `${container.name}=${container.image}`)
        : target.imagePatches.map((patch) => `${patch.container}=${patch.image}`);
      target.annotations = {
        'kubernetes.io/change-cause': `kubectl-deploy ${images.join(' ')} (${options.annotate.context})`,
        'tripo04os.io/deployed-by': options.annotate.deployedBy,
      };
    }
  }
  return { targets: [...targets.values()], snapshots };
}

/** Deploys: applies objects in dependency order, rolls Deployments out, health-checks, rolls back on failure. */
export async function deploy(o: DeployOptions): Promise<RunReport> {
  const { client, logger } = o;
  const strategy = o.strategy ?? rolling;
  const { targets, snapshots } = await logger.group('Checking the cluster', () => plan(o));
  const report: RunReport = { ok: false, deployments: [], applied: [], diagnoses: [], rolledBack: false, rollback: [] };
  const changedConfig: ConfigSnapshot[] = [];

  // 1. Everything but Deployments, in dependency order (Namespace, SA/ConfigMap/Secret, Service).
  let failure: string | undefined;
  const nonDeployments = o.objects.filter((x) => x.object.kind !== 'Deployment');
  if (nonDeployments.length > 0)
    await logger.group('Applying manifests', async () => {
      for (const wave of applyOrder(nonDeployments)) {
        const results = await Promise.allSettled(
          wave.map(async (obj) => {
            const snap = snapshots.find((s) => s.object === obj) as ConfigSnapshot;
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
  await logger.group('Rolling back', () => rollBackChanges(o, targets, outcomes, changedConfig, report));
  return report;
}
