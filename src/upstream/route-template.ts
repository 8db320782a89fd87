// The route template of an upstream path: what metrics and spans name an endpoint by. Ids are
// replaced by `{id}`, so no label or span name ever carries a job or segment id. Pure.
import { BULK_GET_PATH, DEFINITIONS_BULK_GET_PATH, DEFINITIONS_PATH, JOBS_PATH } from './paths.ts';

const FIXED = new Set([JOBS_PATH, BULK_GET_PATH, DEFINITIONS_PATH, DEFINITIONS_BULK_GET_PATH]);

/**
 * `/segment/jobs/abc` → `/segment/jobs/{id}`; the fixed paths as they are; anything else (a path
 * this client does not send) → `other`, so the set of values stays the set of endpoints.
 */
export function routeTemplate(path: string): string {
  if (FIXED.has(path)) return path;
  for (const collection of [JOBS_PATH, DEFINITIONS_PATH]) {
    const rest = path.startsWith(`${collection}/`) ? path.slice(collection.length + 1) : undefined;
    if (rest !== undefined && rest !== '' && !rest.includes('/')) return `${collection}/{id}`;
  }
  return 'other';
}
