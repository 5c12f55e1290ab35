import type { Diagnosis } from './diagnose.ts';
import type { HealthResult } from './health.ts';
import type { Target, TargetOutcome } from './targets.ts';
import { containerImages, type Deployment, revisionOf } from './types.ts';

export type DeploymentStatus =
  | 'rolled out'
  | 'unchanged'
  | 'failed'
  | 'aborted'
  | 'rolled back'
  | 'deleted'
  | 'not rolled back'
  /** Another change replaced this run's while it ran; this run left it alone. */
  | 'superseded';

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
  /** One line per thing rolled back (or that a rollback tried and could not put back). */
  rollback: string[];
  /** Objects another change replaced while this run ran, left as they are: one line each. */
  superseded: string[];
  /** Where the cluster stays when a rollback itself failed: one line per object. */
  leftOn: string[];
}

/** An empty report. */
export function newReport(): RunReport {
  return { ok: false, deployments: [], applied: [], diagnoses: [], rolledBack: false, rollback: [], superseded: [], leftOn: [] };
}

/**
 * The one line a failed run ends with: why it failed, then what the rollback could not do (the
 * cluster state it leaves), what another change superseded, and what was put back.
 */
export function failureLine(report: RunReport): string {
  const parts = [report.failure ?? 'deployment failed'];
  if (report.leftOn.length > 0) parts.push(`rollback failed, the cluster is left on ${report.leftOn.join(', ')}`);
  if (report.superseded.length > 0) parts.push(`superseded by another change and left alone: ${report.superseded.join(', ')}`);
  if (report.rolledBack) parts.push(`rolled back: ${report.rollback.join('; ')}`);
  return parts.join('; ');
}

/** `Deployment ns/name at revision N (container=image …)`: where a Deployment stands. */
export function describeDeployment(deployment: Deployment): string {
  const images = Object.entries(containerImages(deployment.spec?.template))
    .map(([container, image]) => `${container}=${image}`)
    .join(' ');
  const revision = revisionOf(deployment);
  return `Deployment ${deployment.metadata.namespace}/${deployment.metadata.name}${revision === undefined ? '' : ` at revision ${revision}`} (${images})`;
}

/** One Deployment's row of the report. */
export function result(t: Target, outcome: TargetOutcome | undefined, status: DeploymentStatus, message?: string): DeploymentResult {
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
