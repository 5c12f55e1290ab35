import { InputError, runContext, UserError } from '@tripo04os/common';
import { readActionInputs, run, runnerLogger, setOutput } from '@tripo04os/kit';
import { connect } from './access.ts';
import { gateSummary, metricGate, runBlueGreen } from './bluegreen.ts';
import { spec } from './inputs.ts';
import { renderSummary } from './summary.ts';

async function main(): Promise<void> {
  const logger = runnerLogger;
  const i = readActionInputs(spec);
  for (const k of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) logger.mask(process.env[k] ?? '');
  if (i.strategy === 'blue-green') return runBlueGreen(i, logger, () => connect(i, logger));
  const kube = await import('@tripo04os/kube');
  const health = i.healthCheckUrl && {
    url: i.healthCheckUrl.toString(),
    retries: i.healthCheckRetries,
    intervalMs: i.healthCheckInterval,
    expect: kube.parseStatusRange(i.healthCheckExpect) as [number, number],
  };
  const common = { logger, namespace: i.namespace, timeoutMs: i.timeout, health: health || undefined };

  let report: Awaited<ReturnType<typeof kube.deploy>>;
  if (i.action === 'rollback') {
    if (i.deployments.length === 0) throw new InputError('deployments', '', 'name the Deployments to roll back with action: rollback');
    if (i.images.length > 0 || i.manifests.length > 0) logger.warning('action: rollback ignores images and manifests');
    const client = await connect(i, logger);
    report = await kube.rollback({ ...common, client, deployments: i.deployments, revision: i.revision });
  } else {
    // Everything that can be checked without the cluster is checked first.
    const images = kube.parseImages(i.images);
    const objects = await kube.loadManifests(i.manifests, {
      cwd: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      substitute: i.substituteEnv,
    });
    if (Object.keys(i.configMapData).length > 0 && !i.configMap)
      throw new InputError('config-map', '', 'name the ConfigMap that config-map-data goes into');
    if (i.configMap) objects.push(kube.configMapObject(i.configMap, i.namespace, i.configMapData));
    if (i.secretEnv.length > 0 && !i.secret) throw new InputError('secret', '', 'name the Secret that secret-env goes into');
    if (i.secret) {
      if (i.secretEnv.length === 0) throw new InputError('secret-env', '', 'list the environment variables that go into the Secret');
      const s = kube.secretObject(i.secret, i.namespace, i.secretEnv, process.env);
      for (const v of s.values) {
        logger.mask(v);
        logger.mask(Buffer.from(v, 'utf8').toString('base64')); // as it travels in the Secret's data
      }
      objects.push(s.object);
    }
    if (images.length === 0 && objects.length === 0) {
      throw new InputError('images', '', 'give images and/or manifests (or config-map / secret) to deploy');
    }
    kube.defaultNamespace(objects, i.namespace);
    kube.substituteImages(objects, images);
    const strategy = kube.STRATEGIES[i.strategy];
    if (!strategy) throw new InputError('strategy', i.strategy, `expected one of ${Object.keys(kube.STRATEGIES).join(', ')}`);
    const gate = await metricGate(i, logger);
    const client = await connect(i, logger);
    const run = runContext();
    report = await kube.deployWithGate({
      gate,
      analysisDurationMs: i.analysisDuration,
      ...common,
      client,
      images,
      objects,
      strategy,
      failureGraceMs: i.failureGrace,
      autoRollback: i.autoRollback,
      annotate: i.annotate
        ? {
            deployedBy: JSON.stringify({ repo: run.repository, sha: run.sha, run: run.runUrl, actor: run.actor }),
            context: `${run.repository}@${run.shortSha} by ${run.actor}, ${run.runUrl}`,
          }
        : undefined,
    });
  }

  setOutput('result', report.deployments);
  setOutput('rolled-back', String(report.rolledBack));
  await renderSummary(report, i.action === 'rollback' ? 'kubectl-deploy rollback' : 'kubectl-deploy').write();
  await gateSummary(report).write();
  if (!report.ok) {
    const rolled = report.rolledBack ? `; rolled back: ${report.rollback.join('; ')}` : '';
    throw new UserError(`${report.failure ?? 'deployment failed'}${rolled}`);
  }
}

await run(main);
