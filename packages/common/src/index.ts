export * from './duration.ts';
export * from './errors.ts';
export * from './exec.ts';
export * from './logger.ts';
export * from './retry.ts';
