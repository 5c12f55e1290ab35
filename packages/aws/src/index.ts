export * from './ecr.ts';
export * from './eks.ts';
