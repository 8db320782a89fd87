export * from './segment-job.ts';
export type { Tenant } from './tenant.ts';
