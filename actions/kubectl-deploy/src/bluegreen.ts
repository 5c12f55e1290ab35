/** strategy: blue-green and the metric gate: inputs → @tripo04os/kube / @tripo04os/metrics → outputs and summary. */
import { InputError, type Logger, parseDuration, runContext, UserError } from '@tripo04os/common';
import { formatDuration, type Inputs, Summary, setOutput } from '@tripo04os/kit';
import { type BlueGreenReport, formatDiagnosis, type KubeClient, type WorkloadResult } from '@tripo04os/kube';
import type { GateResult, MetricCheck, PrometheusAuth, PrometheusClient } from '@tripo04os/metrics';
import type { spec } from './inputs.ts';

type I = Inputs<typeof spec>;

/** The metric gate from the inputs, checked before anything changes; undefined without metric-checks. */
export async function metricGate(i: I, logger: Logger): Promise<{ client: PrometheusClient; checks: MetricCheck[] } | undefined> {
  const { parseMetricChecks, PrometheusClient } = await import('@tripo04os/metrics');
  const checks = parseMetricChecks(i.metricChecks ?? '');
  if (checks.length === 0) {
    if (i.prometheusUrl) logger.warning('prometheus-url is set but metric-checks is empty: no metric gate');
    return undefined;
  }
  if (!i.prometheusUrl) throw new InputError('prometheus-url', '', 'metric-checks needs the URL of a Prometheus server');
  if (i.strategy === 'rolling') {
    const pre = checks.find((c) => c.phase === 'pre');
    if (pre)
      throw new InputError(
        'metric-checks',
        i.metricChecks ?? '',
        `check '${pre.name}' has phase: pre, which only blue-green has (rolling: post)`,
      );
  }
  let auth: PrometheusAuth = { kind: 'none' };
  if (i.prometheusAuth === 'bearer') {
    if (!i.prometheusToken) throw new InputError('prometheus-token', '', 'prometheus-auth: bearer needs a token');
    auth = { kind: 'bearer', token: i.prometheusToken };
  } else if (i.prometheusAuth === 'basic') {
    if (!i.prometheusUsername) throw new InputError('prometheus-username', '', 'prometheus-auth: basic needs a user name');
    auth = { kind: 'basic', username: i.prometheusUsername, password: i.prometheusPassword ?? '' };
  } else if (i.prometheusAuth === 'sigv4') {
    if (!i.region) throw new InputError('region', '', 'prometheus-auth: sigv4 needs the AWS region (or AWS_REGION)');
    const { defaultCredentials } = await import('@tripo04os/aws');
    auth = { kind: 'sigv4', region: i.region, credentials: await defaultCredentials() };
  }
  return { client: new PrometheusClient({ url: i.prometheusUrl, auth }), checks };
}

function scaleDownDelay(text: string): number | null {
  if (text === 'never') return null;
  const ms = parseDuration(text);
  if (ms === undefined) throw new InputError('scale-down-delay', text, "expected a duration such as 30s or 0, or 'never'");
  return ms;
}

/** Runs a blue-green deploy or rollback; writes the outputs and the summary. */
export async function runBlueGreen(i: I, logger: Logger, connect: () => Promise<KubeClient>): Promise<void> {
  const kube = await import('@tripo04os/kube');
  const delay = scaleDownDelay(i.scaleDownDelay);
  const health = i.healthCheckPath
    ? {
        path: i.healthCheckPath,
        retries: i.healthCheckRetries,
        intervalMs: i.healthCheckInterval,
        expect: kube.parseStatusRange(i.healthCheckExpect) as [number, number],
      }
    : undefined;
  if (i.healthCheckUrl) logger.warning('blue-green checks health through the Services (health-check-path); health-check-url is not used');
  const run = runContext();
  const owner = `${run.repository} run ${run.runUrl}`;
  let report: BlueGreenReport;
  if (i.action === 'rollback') {
    if (i.deployments.length === 0) throw new InputError('deployments', '', 'name the blue-green workloads (Services) to roll back');
    const client = await connect();
    report = await kube.blueGreenRollback({
      client,
      logger,
      namespace: i.namespace,
      names: i.deployments,
      colorLabel: i.colorLabel,
      timeoutMs: i.timeout,
      scaleDownDelayMs: delay,
      owner,
    });
  } else {
    const images = kube.parseImages(i.images);
    const objects = await kube.loadManifests(i.manifests, {
      cwd: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      substitute: i.substituteEnv,
    });
    const other = objects.find((o) => o.object.kind !== 'Deployment' && o.object.kind !== 'Service');
    if (other)
      throw new InputError(
        'manifests',
        i.manifests.join(' '),
        `blue-green applies Deployment and Service manifests only; ${other.object.kind} ${other.object.metadata.name} (${other.file}:${other.line}) belongs in a rolling step`,
      );
    if (i.configMap || i.secret)
      throw new InputError(
        i.configMap ? 'config-map' : 'secret',
        i.configMap ?? i.secret ?? '',
        'blue-green does not apply ConfigMaps or Secrets: use a rolling step before it',
      );
    if (images.length === 0 && !objects.some((o) => o.object.kind === 'Deployment'))
      throw new InputError(
        'images',
        '',
        'give the workloads to deploy blue-green (NAME=image, NAME being the active Service) or Deployment manifests',
      );
    kube.defaultNamespace(objects, i.namespace);
    kube.substituteImages(objects, images);
    const gate = await metricGate(i, logger);
    const client = await connect();
    report = await kube.blueGreenDeploy({
      client,
      logger,
      namespace: i.namespace,
      images,
      objects,
      colorLabel: i.colorLabel,
      previewService: i.previewService === 'none' ? undefined : (name) => i.previewService.replaceAll('NAME', name),
      previewReplicas: i.previewReplicas,
      timeoutMs: i.timeout,
      failureGraceMs: i.failureGrace,
      health,
      gate,
      analysisDurationMs: i.analysisDuration,
      scaleDownDelayMs: delay,
      rollbackScope: i.rollbackScope,
      owner,
      annotations: i.annotate
        ? {
            'kubernetes.io/change-cause': `kubectl-deploy blue-green ${images.map((e) => e.image).join(' ')} (${run.repository}@${run.shortSha} by ${run.actor}, ${run.runUrl})`,
            'tripo04os.io/deployed-by': JSON.stringify({ repo: run.repository, sha: run.sha, run: run.runUrl, actor: run.actor }),
          }
        : undefined,
    });
  }
  const colors = (pick: (w: WorkloadResult) => string | null) => {
    const values = report.workloads.map(pick);
    if (report.workloads.length === 1) return values[0] ?? '';
    return JSON.stringify(Object.fromEntries(report.workloads.map((w, k) => [w.name, values[k]])));
  };
  setOutput(
    'active-color',
    colors((w) => w.colorAfter),
  );
  setOutput(
    'previous-color',
    colors((w) => w.colorBefore),
  );
  setOutput('result', report.workloads);
  setOutput('rolled-back', String(report.rolledBack));
  await renderBlueGreenSummary(
    report,
    i.action === 'rollback' ? 'kubectl-deploy blue-green rollback' : 'kubectl-deploy blue-green',
  ).write();
  if (!report.ok) {
    const rolled = report.rolledBack ? `; switched back: ${report.rollback.join('; ')}` : '';
    throw new UserError(`${report.failure ?? 'blue-green deploy failed'}${rolled}`);
  }
}

const ICON: Record<string, string> = {
  switched: '✅ switched',
  'rolled back': '↩️ switched back',
  'not switched': '❌ not switched',
  aborted: '⏹️ stopped',
  failed: '❌ failed',
};

/** The job summary: one row per workload, the checks with every measurement, the timeline. */
export function renderBlueGreenSummary(report: BlueGreenReport, title: string): Summary {
  const s = new Summary();
  s.heading(`${title}: ${report.ok ? 'succeeded' : 'failed'}`);
  s.table(
    ['Workload', 'Colour (before → after)', 'Images', 'Time', 'Status'],
    report.workloads.map((w) => [
      `${w.namespace}/${w.name}`,
      w.colorBefore === w.colorAfter ? (w.colorAfter ?? '—') : `${w.colorBefore ?? '(new)'} → ${w.colorAfter}`,
      Object.entries(w.imagesTried ?? w.imagesAfter)
        .map(([c, img]) => `${c}: ${img}${w.imagesTried ? ' (not live)' : ''}`)
        .join('\n'),
      formatDuration(w.seconds * 1000),
      ICON[w.status] ?? w.status,
    ]),
  );
  checksTable(
    s,
    report.workloads.flatMap((w) => w.checks.map((g) => ({ name: w.name, g }))),
  );
  for (const w of report.workloads)
    for (const h of w.health) s.text(`${h.ok ? '✅' : '❌'} ${w.name} health (${h.phase}-switch): ${h.message}`);
  if (report.failure) s.text(`**Failure:** ${report.failure}`);
  for (const d of report.diagnoses) s.details(`Diagnosis of ${d.namespace}/${d.deployment}`, formatDiagnosis(d));
  for (const w of report.workloads)
    if (w.timeline.length)
      s.details(`Timeline of ${w.name}`, w.timeline.map((e) => `+${e.t.toFixed(1)}s ${e.step}: ${e.message}`).join('\n'));
  if (report.rollback.length > 0) s.text(`**Switched back:**\n\n${report.rollback.map((l) => `- ${l}`).join('\n')}`);
  return s;
}

/** One row per measurement: workload or Deployment, check, value, bound, verdict. */
function checksTable(s: Summary, gates: { name: string; g: GateResult }[]): void {
  const rows = gates.flatMap(({ name, g }) =>
    g.checks.flatMap((c) =>
      c.measurements.map((m) => [
        name,
        `${c.name} (${c.phase})`,
        m.value === null ? '—' : String(Math.round(m.value * 10_000) / 10_000),
        m.bound,
        `${m.verdict === 'pass' ? '✅' : m.verdict === 'fail' ? '❌' : '❔'} ${m.message}`,
      ]),
    ),
  );
  if (rows.length) s.table(['Workload', 'Metric check', 'Value', 'Bound', 'Verdict'], rows);
}

/** The metric checks after a rolling deploy, for the job summary. */
export function gateSummary(report: { deployments: { name: string }[]; checks?: GateResult[] }): Summary {
  const s = new Summary();
  const gates = (report.deployments as { name: string; checks?: GateResult }[])
    .filter((d) => d.checks)
    .map((d) => ({ name: d.name, g: d.checks as GateResult }));
  if (gates.length) {
    s.heading('Metric checks after the rollout', 4);
    checksTable(s, gates);
  }
  return s;
}
