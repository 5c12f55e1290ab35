export { formatDuration, parseDuration, parseRetryAfter, RetryError, type RetryOptions, retry } from '@tripo04os/common';
export * from './inputs.ts';
export * from './runner.ts';
export * from './spec-check.ts';
export * from './summary.ts';
