/**
 * The metric gate after a rolling deploy: once every rollout (and the health check) succeeded,
 * the `phase: post` checks run for each rolled-out Deployment ({{deployment}} is its name,
 * {{color}} and {{service}} are empty); a failure rolls those Deployments back to their previous
 * revision (when auto-rollback is on), like a failed rollout.
 */
import type { GateResult, MetricCheck, PrometheusClient } from '@tripo04os/metrics';
import { runGate } from '@tripo04os/metrics';
import { type DeployOptions, deploy } from './deploy.ts';
import type { RunReport } from './report.ts';
import { rollback } from './rollback.ts';

export interface GatedReport extends RunReport {
  checks: GateResult[];
}

export async function deployWithGate(
  o: DeployOptions & { gate?: { client: PrometheusClient; checks: readonly MetricCheck[] }; analysisDurationMs: number },
): Promise<GatedReport> {
  const report: GatedReport = { ...(await deploy(o)), checks: [] };
  if (!report.ok || !o.gate) return report;
  const rolled = report.deployments.filter((d) => d.status === 'rolled out');
  const gate = o.gate;
  report.checks = await o.logger.group('Metric checks after the rollout', () =>
    Promise.all(
      rolled.map((d) =>
        runGate({
          client: gate.client,
          checks: gate.checks,
          phase: 'post',
          vars: { color: '', namespace: d.namespace, deployment: d.name, service: '' },
          logger: o.logger,
          durationMs: o.analysisDurationMs,
        }),
      ),
    ),
  );
  // Every measurement goes to the `result` row of its Deployment too.
  report.checks.forEach((g, k) => {
    Object.assign(rolled[k]!, { checks: g });
  });
  const failed = report.checks.map((g, k) => ({ g, d: rolled[k]! })).filter((x) => x.g.verdict !== 'pass');
  if (failed.length === 0) return report;
  report.ok = false;
  report.failure = failed.map((x) => `deployment ${x.d.namespace}/${x.d.name}: ${x.g.message}`).join('; ');
  if (!o.autoRollback) {
    o.logger.warning('auto-rollback is off: the release that failed its metric checks stays in place');
    return report;
  }
  const back = await rollback({
    client: o.client,
    logger: o.logger,
    namespace: o.namespace,
    deployments: rolled.map((d) => d.name),
    timeoutMs: o.timeoutMs,
    failureGraceMs: o.failureGraceMs,
    autoRollback: false,
  });
  for (const d of back.deployments) {
    const r = report.deployments.find((x) => x.name === d.name);
    if (!r) continue;
    r.imagesTried = r.imagesAfter;
    r.imagesAfter = d.imagesAfter;
    r.revisionAfter = d.revisionAfter;
    r.status = d.status === 'rolled back' ? 'rolled back' : 'not rolled back';
  }
  report.rolledBack = back.rolledBack;
  report.rollback.push(...back.rollback);
  return report;
}
