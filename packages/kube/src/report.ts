import type { Diagnosis } from './diagnose.ts';
import type { HealthResult } from './health.ts';
import type { Target, TargetOutcome } from './strategies/strategy.ts';
import { containerImages, revisionOf } from './types.ts';

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
