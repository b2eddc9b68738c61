export * from './common.ts';
export * from './event.ts';
export * from './evidence.ts';
export * from './finding.ts';
export * from './inventory.ts';
export * from './metric.ts';
