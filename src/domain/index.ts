export { jobIdProblem } from './job-id.ts';
export * from './segment-job.ts';
export type { Tenant } from './tenant.ts';
