// The upstream's request targets and bodies, built from typed inputs: paths below the base URL,
// list query strings, create bodies and bulk-get chunks. Pure: no I/O.
import type { CreateJobRequest, ListDefinitionsParams, ListJobsParams } from './types.ts';

export const JOBS_PATH = '/segment/jobs';
export const BULK_GET_PATH = '/segment/jobs/bulk-get';
export const DEFINITIONS_PATH = '/segment/definitions';
export const DEFINITIONS_BULK_GET_PATH = '/segment/definitions/bulk-get';

/** `/segment/jobs/{id}` with the id as one encoded path segment. */
export function jobPath(id: string): string {
  return `${JOBS_PATH}/${encodeURIComponent(id)}`;
}

/** `/segment/definitions/{id}` with the id as one encoded path segment. */
export function definitionPath(id: string): string {
  return `${DEFINITIONS_PATH}/${encodeURIComponent(id)}`;
}

/** The query string of `GET /segment/definitions`. */
export function listDefinitionsQuery(params: ListDefinitionsParams): URLSearchParams {
  const query = new URLSearchParams();
  if (params.start !== undefined) query.set('start', params.start);
  if (params.limit !== undefined) query.set('limit', String(params.limit));
  if (params.sort !== undefined) query.set('sort', `${params.sort.field}:${params.sort.direction}`);
  return query;
}

/** The query string of `GET /segment/jobs`. */
export function listJobsQuery(params: ListJobsParams): URLSearchParams {
  const query = new URLSearchParams();
  if (params.start !== undefined) query.set('start', String(params.start));
  if (params.limit !== undefined) query.set('limit', String(params.limit));
  if (params.status !== undefined) query.set('status', params.status);
  if (params.sort !== undefined) query.set('sort', `${params.sort.field}:${params.sort.direction}`);
  for (const property of params.properties ?? []) query.append('property', property);
  return query;
}

/** The path and query as sent: no `?` when the query is empty. */
export function withQuery(path: string, query: URLSearchParams | undefined): string {
  return query === undefined || query.size === 0 ? path : `${path}?${query}`;
}

/** The body of `POST /segment/jobs`: an array of segment ids, or the `*` wildcard with a schema. */
export function createJobBody(request: CreateJobRequest): unknown {
  return request.kind === 'all'
    ? { schema: { name: request.schemaName }, segments: [{ segmentId: '*' }] }
    : request.segmentIds.map((segmentId) => ({ segmentId }));
}

/** The body of one bulk-get POST. */
export function bulkGetBody(ids: readonly string[]): unknown {
  return { ids: ids.map((id) => ({ id })) };
}

/** Distinct ids in first-asked order, split into chunks of at most `size`. */
export function chunkIds(ids: readonly string[], size: number): string[][] {
  const unique = [...new Set(ids)];
  const chunks: string[][] = [];
  for (let index = 0; index < unique.length; index += size) {
    chunks.push(unique.slice(index, index + size));
  }
  return chunks;
}
