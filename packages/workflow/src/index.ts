/**
 * @tripo04os/workflow: runs GitHub Actions workflow files on this machine with GitHub's own
 * parser and expression evaluator. See README.md.
 */

export { main as cli, parseArgs } from './command.ts';
export { InvalidError } from './load.ts';
export type { Annotation, Terminal } from './log.ts';
export { type RunOptions, type RunOutcome, runWorkflow, writeReportHook } from './run.ts';
export { SERVICE_IMAGES } from './services.ts';
export { STANDINS } from './standins.ts';
export type { JobRecord, Result, RunRecord, StepRecord } from './types.ts';
