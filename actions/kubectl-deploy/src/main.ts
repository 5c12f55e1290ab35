import { InputError, parseDuration, runContext, UserError } from '@tripo04os/common';
import { checkInputs, type Inputs, maskEarly } from '@tripo04os/kit/early';
import { parseImages } from '@tripo04os/kube/images';
import { checkAccess, connect } from './access.ts';
import { healthCheckOptions, maskHealthCheckCredentials } from './health.ts';
import { spec } from './inputs.ts';

type I = Inputs<typeof spec>;

/**
 * The input rules that need neither the cluster nor a heavy module, checked before anything
 * else loads (issue 15: a bad input fails in milliseconds). The rules that read manifests or
 * metric checks run in main, still before any change.
 */
function checkEarly(i: I): void {
  if (i.action === 'rollback') {
    if (i.deployments.length === 0)
      throw new InputError(
        'deployments',
        '',
        i.strategy === 'blue-green'
          ? 'name the blue-green workloads (Services) to roll back'
          : 'name the Deployments to roll back with action: rollback',
      );
  } else {
    parseImages(i.images);
    if (i.strategy === 'blue-green' && (i.configMap || i.secret))
      throw new InputError(
        i.configMap ? 'config-map' : 'secret',
        i.configMap ?? i.secret ?? '',
        'blue-green does not apply ConfigMaps or Secrets: use a rolling step before it',
      );
    if (Object.keys(i.configMapData).length > 0 && !i.configMap)
      throw new InputError('config-map', '', 'name the ConfigMap that config-map-data goes into');
    if (i.secretEnv.length > 0 && !i.secret) throw new InputError('secret', '', 'name the Secret that secret-env goes into');
    if (i.secret && i.secretEnv.length === 0)
      throw new InputError('secret-env', '', 'list the environment variables that go into the Secret');
  }
  if (i.strategy === 'blue-green' && i.scaleDownDelay !== 'never' && parseDuration(i.scaleDownDelay) === undefined)
    throw new InputError('scale-down-delay', i.scaleDownDelay, "expected a duration such as 30s or 0, or 'never'");
  checkAccess(i);
}

async function main(i: I): Promise<void> {
  const [{ runnerLogger: logger, setOutput }, { gateSummary, metricGate, runBlueGreen }, { renderSummary }, kube] = await Promise.all([
    import('@tripo04os/kit'),
    import('./bluegreen.ts'),
    import('./summary.ts'),
    import('@tripo04os/kube'),
  ]);
  if (i.strategy === 'blue-green') return runBlueGreen(i, logger, () => connect(i, logger));
  const expect = kube.parseStatusRange(i.healthCheckExpect);
  const health = healthCheckOptions(i.healthCheckUrl, expect, i.healthCheckRetries, i.healthCheckInterval, logger);
  const common = {
    logger,
    namespace: i.namespace,
    timeoutMs: i.timeout,
    failureGraceMs: i.failureGrace,
    autoRollback: i.autoRollback,
    health,
  };

  let report: Awaited<ReturnType<typeof kube.deploy>>;
  if (i.action === 'rollback') {
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
    if (i.configMap) objects.push(kube.configMapObject(i.configMap, i.namespace, i.configMapData));
    if (i.secret) {
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
      ifSuperseded: i.ifSuperseded,
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
  if (!report.ok) throw new UserError(kube.failureLine(report));
}

// Every input that can be checked alone is checked before @actions/core, the Kubernetes client
// and the AWS SDK load (kit/early): a bad one fails fast and with nothing loaded.
maskHealthCheckCredentials({ mask: maskEarly }); // before anything, an input error included, could print them
const checked = await checkInputs(spec, (inputs, mask) => {
  for (const k of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) mask(process.env[k] ?? '');
  checkEarly(inputs);
  return inputs;
});
if (checked) {
  const { run } = await import('@tripo04os/kit');
  await run(() => main(checked));
}
// Nothing may keep the step alive once the work is done (a stray socket must not hang the job).
process.exit(process.exitCode ?? 0);
