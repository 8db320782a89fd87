// Topic names of the job event bus. Every topic starts with the tenant key, so no subscription
// can ever receive another tenant's events; names are built here and nowhere else.

const PREFIX = 'segment-jobs';

function part(value: string): string {
  // Escaping keeps the mapping one-to-one: a key or id holding '/' cannot forge another topic.
  return encodeURIComponent(value);
}

/** The topic of one job's status events, within one tenant. */
export function jobTopic(tenantKey: string, jobId: string): string {
  return `${PREFIX}/${part(tenantKey)}/jobs/${part(jobId)}`;
}

/** The topic of every job status event of one tenant (the tenant feed). */
export function tenantFeedTopic(tenantKey: string): string {
  return `${PREFIX}/${part(tenantKey)}/feed`;
}
