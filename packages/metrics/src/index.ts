export * from './checks.ts';
export * from './gate.ts';
export * from './prometheus.ts';
