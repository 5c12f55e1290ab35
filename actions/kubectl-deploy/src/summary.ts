import { formatDuration, Summary } from '@tripo04os/kit';
import { type DeploymentResult, formatDiagnosis, type RunReport } from '@tripo04os/kube';

function images(r: DeploymentResult): string {
  const names = new Set([...Object.keys(r.imagesBefore), ...Object.keys(r.imagesAfter)]);
  const single = names.size === 1;
  return [...names]
    .map((c) => {
      const before = r.imagesBefore[c];
      const after = r.imagesAfter[c];
      const tried = r.imagesTried?.[c];
      const change =
        tried && tried !== after
          ? `${before ?? '(new)'} → ${tried} (rolled back)`
          : before === after || !after
            ? (before ?? '—')
            : `${before ?? '(new)'} → ${after}`;
      return single ? change : `${c}: ${change}`;
    })
    .join('\n');
}

function revision(r: DeploymentResult): string {
  const b = r.revisionBefore ?? '—';
  const a = r.revisionAfter ?? '—';
  return b === a ? String(a) : `${b} → ${a}`;
}

const ICON: Record<string, string> = {
  'rolled out': '✅ rolled out',
  unchanged: '✅ unchanged',
  failed: '❌ failed',
  aborted: '⏹️ stopped',
  'rolled back': '↩️ rolled back',
  deleted: '🗑️ deleted',
  'not rolled back': '⚠️ not rolled back',
  superseded: '⚠️ superseded by another change',
};

/** The job summary: one row per Deployment, then the diagnosis and what was rolled back. */
export function renderSummary(report: RunReport, title: string): Summary {
  const s = new Summary();
  s.heading(`${title}: ${report.ok ? 'succeeded' : 'failed'}`);
  if (report.deployments.length > 0) {
    s.table(
      ['Deployment', 'Image (before → after)', 'Revision', 'Time', 'Status'],
      report.deployments.map((r) => [
        `${r.namespace}/${r.name}`,
        images(r),
        revision(r),
        formatDuration(r.seconds * 1000),
        ICON[r.status] ?? r.status,
      ]),
    );
  }
  if (report.applied.length > 0) {
    s.table(
      ['Object', 'Result'],
      report.applied.map((a) => [`${a.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`, a.action]),
    );
  }
  if (report.health) s.text(`${report.health.ok ? '✅' : '❌'} Health check: ${report.health.message}`);
  if (report.failure) s.text(`**Failure:** ${report.failure}`);
  for (const d of report.diagnoses) s.details(`Diagnosis of ${d.namespace}/${d.deployment}`, formatDiagnosis(d));
  if (report.leftOn.length > 0) s.text(`**Rollback failed, the cluster is left on:** ${report.leftOn.join(', ')}`);
  if (report.rollback.length > 0) s.text(`**Rolled back:**\n\n${report.rollback.map((l) => `- ${l}`).join('\n')}`);
  return s;
}
