// The `/segment/jobs` endpoints: list, create, get, bulk-get and cancel/delete. Handlers validate,
// read and write through the store and hand lifecycle work to the runner; they never step jobs.
import { isFinal } from '../domain/index.ts';
import type { DefinitionDocument } from './definition-document.ts';
import { createJobDocument, DEFAULT_SCHEMA_NAME, type JobDocument } from './job-document.ts';
import type { JobRunner } from './job-runner.ts';
import { nextPageHref, parseJobListQuery } from './list-query.ts';
import { bulkGetSchema, parseBody, parseCreateJobBody } from './request-schemas.ts';
import { API_BASE_PATH, type Route, type ServiceRequest, type ServiceResponse } from './router.ts';
import {
  type BulkGetErrorEntry,
  badRequest,
  bulkGetError,
  bulkGetNoneFound,
  notFound,
  ServiceError,
} from './service-errors.ts';
import type { SegmentationStore } from './store.ts';
import type { TenantScope } from './tenant-scope.ts';

export interface JobRoutesOptions {
  store: SegmentationStore;
  runner: JobRunner;
  /** Unfinished jobs per tenant before creates answer 429. */
  maxActiveJobs: number;
  /** @default Date.now */
  now?: () => number;
}

// Enough ids to act on without flooding a message.
const MAX_IDS_IN_MESSAGE = 10;

function listIds(ids: readonly string[]): string {
  const shown = ids.slice(0, MAX_IDS_IN_MESSAGE).join(', ');
  return ids.length > MAX_IDS_IN_MESSAGE
    ? `${shown} and ${ids.length - MAX_IDS_IN_MESSAGE} more`
    : shown;
}

export function jobRoutes(options: JobRoutesOptions): Route[] {
  const { store, runner } = options;
  const now = options.now ?? Date.now;
  const jobsPath = `${API_BASE_PATH}/segment/jobs`;

  function requireJob(scope: TenantScope, id: string) {
    const record = store.getJob(scope, id);
    if (record === undefined) throw notFound(`segment job ${id} not found`);
    return record;
  }

  function requireDefinitions(scope: TenantScope, ids: readonly string[]): DefinitionDocument[] {
    const found = store.getDefinitions(scope, ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw badRequest(
        `expected existing segment definition ids, but these are unknown: ${listIds(missing)}`,
      );
    }
    return ids.map((id) => found.get(id) as DefinitionDocument);
  }

  function list(request: ServiceRequest): ServiceResponse {
    const query = parseJobListQuery(request.query);
    const { totalCount, jobs } = store.listJobs(request.scope, query);
    const nextStart = query.start + query.limit;
    return {
      status: 200,
      body: {
        _page: { totalCount, pageSize: jobs.length },
        children: jobs,
        _links: {
          next:
            nextStart < totalCount
              ? { href: nextPageHref('/segment/jobs', request.query, nextStart) }
              : {},
        },
      },
    };
  }

  function tooManyJobs(active: number): ServiceError {
    return new ServiceError(
      429,
      `too many segmentation jobs in processing: expected fewer than ${options.maxActiveJobs} unfinished jobs for this org and sandbox, but there are ${active}; try again when some have finished`,
    );
  }

  function create(request: ServiceRequest): ServiceResponse {
    const { scope } = request;
    const body = parseCreateJobBody(request.body);
    const active = store.countActiveJobs(scope);
    if (active >= options.maxActiveJobs) throw tooManyJobs(active);

    let definitions: DefinitionDocument[] | 'all' = 'all';
    let schemaName: string;
    if (body.kind === 'all') {
      schemaName = body.schemaName;
    } else {
      definitions = requireDefinitions(scope, body.segmentIds);
      schemaName = definitions[0]?.schema.name ?? DEFAULT_SCHEMA_NAME;
    }
    const mergePolicyVersions = new Map<string, number>();
    for (const definition of definitions === 'all' ? [] : definitions) {
      if (mergePolicyVersions.has(definition.mergePolicyId)) continue;
      const policy = store.getMergePolicy(scope, definition.mergePolicyId);
      mergePolicyVersions.set(definition.mergePolicyId, policy?.version ?? 1);
    }
    const doc: JobDocument = createJobDocument({
      scope,
      definitions,
      schemaName,
      computeJobId: store.nextComputeJobId(),
      requestId: request.requestId,
      nowMs: now(),
      mergePolicyVersions,
    });
    const definitionIds = body.kind === 'all' ? null : body.segmentIds;
    if (!store.insertJob({ scope, doc, definitionIds }, options.maxActiveJobs)) {
      throw tooManyJobs(store.countActiveJobs(scope));
    }
    runner.enqueue(doc.id);
    return { status: 200, body: doc };
  }

  function get(request: ServiceRequest): ServiceResponse {
    return { status: 200, body: requireJob(request.scope, request.params.id ?? '').doc };
  }

  function bulkGet(request: ServiceRequest): ServiceResponse {
    const { ids } = parseBody(bulkGetSchema, request.body, 'bulk-get request');
    const found = new Map<string, JobDocument>();
    for (const { id } of ids) {
      const doc = store.getJob(request.scope, id)?.doc;
      if (doc !== undefined) found.set(id, doc);
    }
    // None known: one 404 for the whole request (docs/embedded-service.md says why).
    if (found.size === 0)
      throw bulkGetNoneFound(
        'segment job',
        ids.map(({ id }) => id),
      );
    // fromEntries defines own keys, so an id like "__proto__" gets its entry too.
    const results: Record<string, JobDocument | BulkGetErrorEntry> = Object.fromEntries(
      ids.map(({ id }) => [id, found.get(id) ?? bulkGetError(id, 'segment job')]),
    );
    return { status: 207, body: { results } };
  }

  function remove(request: ServiceRequest): ServiceResponse {
    const record = requireJob(request.scope, request.params.id ?? '');
    if (isFinal(record.doc.status)) store.deleteJob(request.scope, record.doc.id);
    else runner.cancel(record);
    return { status: 204 };
  }

  return [
    { method: 'GET', path: jobsPath, handler: list },
    { method: 'POST', path: jobsPath, hasBody: true, handler: create },
    { method: 'POST', path: `${jobsPath}/bulk-get`, hasBody: true, handler: bulkGet },
    { method: 'GET', path: `${jobsPath}/:id`, handler: get },
    { method: 'DELETE', path: `${jobsPath}/:id`, handler: remove },
  ];
}
