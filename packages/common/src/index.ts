export * from './duration.ts';
export * from './errors.ts';
export * from './exec.ts';
export * from './github.ts';
export * from './image-ref.ts';
export * from './logger.ts';
export * from './net.ts';
export * from './retry.ts';
