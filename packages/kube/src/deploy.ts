import { errorMessage, type Logger, redactUrl, UserError } from '@tripo04os/common';
import { checkNamespace, readExplained, serverSideApply } from './apply.ts';
import { KubeApiError, type KubeClient } from './client.ts';
import { diagnose, formatDiagnosis } from './diagnose.ts';
import { type HealthCheckOptions, healthCheck } from './health.ts';
import { type ImageEntry, resolveContainer } from './images.ts';
import { applyOrder, type LoadedObject, type Manifest, manifestContainers, objectPath } from './manifests.ts';
import { newReport, type RunReport, result } from './report.ts';
import { type ConfigSnapshot, rollBackChanges } from './rollback.ts';
import { rollOut } from './rolling.ts';
import type { Target, TargetOutcome } from './targets.ts';
import { type Deployment, type KubeList, revisionOf } from './types.ts';

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
  timeoutMs: number;
  failureGraceMs: number;
  autoRollback: boolean;
  health?: Omit<HealthCheckOptions, 'logger' | 'signal'>;
  annotate?: Annotate;
  /** When another change replaces this run's while it rolls out: fail (default) or only warn. */
  ifSuperseded?: 'fail' | 'warn';
}

const key = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ''}/${name}`;

/** A paused Deployment would take the change and never roll it out: refuse before changing anything. */
function refuseIfPaused(deployment: Deployment): void {
  if (!deployment.spec.paused) return;
  const { name, namespace } = deployment.metadata;
  throw new UserError(
    `Deployment '${name}' in namespace '${namespace}' is paused: a change would not roll out; resume it with 'kubectl rollout resume deployment/${name} -n ${namespace}' and run again`,
  );
}

/**
 * The live Deployments of `names` in one namespace (undefined: not found). Several are one LIST
 * of the namespace's Deployments instead of a GET each (issue 15: one request and one TLS
 * handshake on both ends instead of N); an identity whose role may get only named Deployments
 * (403 on list) reads them one by one.
 */
async function readDeployments(client: KubeClient, ns: string, names: readonly string[]): Promise<Map<string, Deployment | undefined>> {
  if (names.length > 1) {
    try {
      const list = await client.request<KubeList<Deployment>>('GET', objectPath('Deployment', ns));
      const byName = new Map(list.items.map((d) => [d.metadata.name, { apiVersion: 'apps/v1', kind: 'Deployment', ...d }]));
      return new Map(names.map((name) => [name, byName.get(name)]));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 403)) throw await client.explain(err, `list deployments in namespace ${ns}`);
    }
  }
  const read = await Promise.all(names.map((name) => readExplained<Deployment>(client, 'Deployment', ns, name)));
  return new Map(names.map((name, i) => [name, read[i]]));
}

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
  const toRead = new Set<string>();
  for (const entry of options.images)
    if (!targets.has(key('Deployment', options.namespace, entry.deployment))) toRead.add(entry.deployment);
  const live = await readDeployments(client, options.namespace, [...toRead]);
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
    const deployment = live.get(entry.deployment);
    if (!deployment) {
      await checkNamespace(client, options.namespace, `input 'namespace'`);
      throw new UserError(`Deployment '${entry.deployment}' not found in namespace '${options.namespace}' (input 'images')`);
    }
    refuseIfPaused(deployment);
    const podSpec = deployment.spec.template.spec;
    const resolved = resolveContainer(entry, podSpec?.containers ?? [], podSpec?.initContainers ?? []);
    if (!target) {
      target = { namespace: options.namespace, name: entry.deployment, before: deployment, imagePatches: [], annotations: {} };
      targets.set(id, target);
    }
    target.imagePatches.push({ container: resolved.name, init: resolved.init, image: entry.image });
  }
  for (const target of targets.values()) if (target.before) refuseIfPaused(target.before);
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
export async function deploy(options: DeployOptions): Promise<RunReport> {
  const { client, logger } = options;
  const { targets, snapshots } = await logger.group('Checking the cluster', () => plan(options));
  const report = newReport();
  const changedConfig: ConfigSnapshot[] = [];

  // 1. Everything but Deployments, in dependency order (Namespace, SA/ConfigMap/Secret, Service).
  let failure: string | undefined;
  const nonDeployments = options.objects.filter((loaded) => loaded.object.kind !== 'Deployment');
  if (nonDeployments.length > 0)
    await logger.group('Applying manifests', async () => {
      for (const wave of applyOrder(nonDeployments)) {
        const results = await Promise.allSettled(
          wave.map(async (loaded) => {
            const snapshot = snapshots.find((candidate) => candidate.object === loaded) as ConfigSnapshot;
            const after = await serverSideApply(client, loaded.object);
            if (loaded.object.kind === 'ConfigMap' || loaded.object.kind === 'Secret') changedConfig.push({ ...snapshot, applied: after });
            const meta = loaded.object.metadata;
            const action = !snapshot.before
              ? 'created'
              : after.metadata.resourceVersion === snapshot.before.metadata.resourceVersion
                ? 'unchanged'
                : 'configured';
            report.applied.push({ kind: loaded.object.kind, namespace: meta.namespace, name: meta.name, action });
            logger.info(`${loaded.object.kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name} ${action}`);
          }),
        );
        const rejected = results.find((settled) => settled.status === 'rejected');
        if (rejected) {
          const loaded = wave[results.indexOf(rejected)] as LoadedObject;
          const err = await client.explain(rejected.reason, `apply ${loaded.object.kind} ${loaded.object.metadata.name}`);
          failure = `applying ${loaded.object.kind} ${loaded.object.metadata.name} (${loaded.file}:${loaded.line}) failed: ${errorMessage(err)}`;
          return;
        }
      }
    });

  // 2. Deployments, as a rolling update (blue-green is bluegreen.ts, a deploy of its own).
  let outcomes: TargetOutcome[] = [];
  if (!failure && targets.length > 0) {
    outcomes = await logger.group(`Rolling out ${targets.length} deployment${targets.length === 1 ? '' : 's'} (rolling)`, () =>
      rollOut({ client, logger, timeoutMs: options.timeoutMs, failureGraceMs: options.failureGraceMs }, targets),
    );
    const failed = outcomes.filter(({ outcome }) => !outcome.ok && outcome.reason !== 'Aborted');
    if (failed.length > 0) {
      failure = failed
        .map(({ target, outcome }) => `deployment ${target.namespace}/${target.name}: ${(outcome as { message: string }).message}`)
        .join('; ');
      report.diagnoses = await Promise.all(
        failed
          .filter(({ outcome }) => outcome.ok === false && outcome.reason !== 'WatchFailed')
          .map(({ outcome }) => {
            const failedWait = outcome as Extract<typeof outcome, { ok: false }>;
            return diagnose(client, failedWait.deployment, failedWait.reason, failedWait.message, { preferPods: failedWait.pods });
          }),
      );
      for (const diagnosis of report.diagnoses)
        await logger.group(`Diagnosis of ${diagnosis.namespace}/${diagnosis.deployment}`, async () =>
          logger.info(formatDiagnosis(diagnosis)),
        );
    }
    // A rollout that ended on another change's template (another deploy came in) is not this run's success.
    const superseded = outcomes.filter(({ outcome }) => outcome.ok && outcome.superseded);
    for (const { target, outcome } of superseded) {
      const line = `deployment ${target.namespace}/${target.name}: superseded: another change replaced this run's while it rolled out (${outcome.superseded}); this run's images did not stay`;
      if (options.ifSuperseded === 'warn') logger.warning(line);
      else failure = failure ? `${failure}; ${line}` : line;
    }
  }

  // 3. Health check after all rollouts.
  if (!failure && options.health) {
    const health = options.health;
    report.health = await logger.group(`Health check ${redactUrl(health.url)}`, () => healthCheck({ ...health, logger }));
    if (!report.health.ok) failure = report.health.message;
    else logger.info(report.health.message);
  }

  report.deployments = targets.map((target) => {
    const found = outcomes.find((candidate) => candidate.target === target);
    if (!found) return result(target, undefined, failure ? 'aborted' : 'unchanged');
    if (found.outcome.superseded) return result(target, found, 'superseded', found.outcome.superseded);
    if (found.outcome.ok) {
      const changed = revisionOf(target.before) !== revisionOf(found.outcome.deployment) || !target.before;
      return result(target, found, changed ? 'rolled out' : 'unchanged');
    }
    return result(target, found, found.outcome.reason === 'Aborted' ? 'aborted' : 'failed', found.outcome.message);
  });

  if (!failure) {
    report.ok = true;
    return report;
  }
  report.failure = failure;
  if (!options.autoRollback) {
    logger.warning('auto-rollback is off: the failed changes stay in place');
    return report;
  }
  const annotations = options.annotate ? { 'tripo04os.io/deployed-by': options.annotate.deployedBy } : undefined;
  await logger.group('Rolling back', () => rollBackChanges({ ...options, annotations }, outcomes, changedConfig, report));
  return report;
}
