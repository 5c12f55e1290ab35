import type { Annotation } from './log.ts';

export type Result = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface StepRecord {
  id: string;
  name: string;
  outcome: Result;
  conclusion: Result;
  started: string;
  ended: string;
}

export interface JobRecord {
  key: string;
  id: string;
  path: string;
  name: string;
  workflow: string[];
  needs: string[];
  result: Result;
  matrix: Record<string, unknown> | null;
  outputs: Record<string, string>;
  started: string;
  ended: string;
  log: string;
  summary: string | null;
  annotations: Annotation[];
  steps: StepRecord[];
  environment?: { name: string; url?: string } | null;
  concurrency?: string | null;
  permissions?: unknown;
  'continue-on-error'?: boolean;
}

export interface RunRecord {
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped';
  workflow: string;
  file: string;
  event: string;
  ref: string;
  sha: string;
  started: string;
  ended: string;
  reason?: string;
  artifacts: { name: string; size: number; files: number }[];
  jobs: JobRecord[];
}
