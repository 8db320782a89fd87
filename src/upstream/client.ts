// The upstream client's factory: one function per segment jobs and definitions endpoint, built from the call
// executor (attempts, retries, breaker), the HTTP exchange (I/O) and the pure readers. It sends
// the tenant's four credential headers and nothing a client sent.
import { jobIdProblem, type SegmentJobModel, type Tenant } from '../domain/index.ts';
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import { responseDetails } from './attempt-outcome.ts';
import { type CallSpec, createCallExecutor, type UpstreamLogger } from './call-executor.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import { parseDefinitionList } from './definition-document.ts';
import type { UpstreamError } from './errors.ts';
import {
  UpstreamBadRequestError,
  UpstreamNotFoundError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
} from './errors.ts';
import { createHttpExchange, isAborted, sleepFor } from './http-exchange.ts';
import { parseJobDocument } from './job-document.ts';
import { nextPageParams, readNextHref } from './list-paging.ts';
import {
  BULK_GET_PATH,
  bulkGetBody,
  chunkIds,
  createJobBody,
  DEFINITIONS_BULK_GET_PATH,
  DEFINITIONS_PATH,
  JOBS_PATH,
  jobPath,
  listDefinitionsQuery,
  listJobsQuery,
} from './paths.ts';
import {
  bulkItem,
  bulkResultOf,
  definitionBulkItem,
  foreignReason,
  parseBulkResults,
  parseJobList,
  readJson,
} from './response-reading.ts';
import { DEFAULT_RETRY_AFTER_MAX_MS } from './retry-after.ts';
import type {
  BulkGetResult,
  CallOptions,
  CreateJobRequest,
  DefinitionBulkGetResult,
  DefinitionPage,
  ForeignJobDrop,
  JobPage,
  ListDefinitionsParams,
  ListJobsParams,
  UpstreamCallEvent,
  UpstreamClient,
} from './types.ts';

export type { UpstreamLogger } from './call-executor.ts';

/** The default of `UPSTREAM_MAX_BODY_BYTES`; why 16 MiB is said in the config. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Options of {@link createUpstreamClient}; they map 1:1 to `UpstreamSettings`. */
export interface UpstreamClientOptions {
  /** Base URL ending before `/segment/jobs`, e.g. `https://platform.adobe.io/data/core/ups`. */
  baseUrl: string;
  /** Per attempt, from sending the request to reading the whole body. @default 10000 */
  timeoutMs?: number | undefined;
  /** Attempts in total for idempotent calls (GET, bulk-get, DELETE). @default 3 */
  maxAttempts?: number | undefined;
  /** Backoff cap of the first retry; doubles per retry. @default 200 */
  retryBaseMs?: number | undefined;
  /** Longest wait between attempts, and the longest `Retry-After` worth waiting for. @default 5000 */
  retryMaxMs?: number | undefined;
  /**
   * The longest `Retry-After` believed (delta-seconds or HTTP-date); a longer one, or a date
   * that far ahead (clock skew included), reads as this in errors and in the watcher's backoff.
   * @default 300000
   */
  retryAfterMaxMs?: number | undefined;
  /** Keep-alive connections to the upstream origin. @default 64 */
  connections?: number | undefined;
  /**
   * Largest response body read, in bytes, counted while reading; a declared content-length over
   * it is refused before reading. @default 16777216 (see `UPSTREAM_MAX_BODY_BYTES`)
   */
  maxBodyBytes?: number | undefined;
  /**
   * Attempts of one tenant in flight at once, well under `connections`, so that one tenant's
   * slow upstream cannot hold the shared pool. @default 16
   */
  maxConcurrencyPerTenant?: number | undefined;
  /** Attempts of one tenant waiting for a slot; more fail fast with RATE_LIMITED. @default 256 */
  maxQueuedPerTenant?: number | undefined;
  /** Consecutive failed exchanges (5xx, network, timeout) of one tenant that open its circuit. @default 5 */
  breakerThreshold?: number | undefined;
  /** How long an open circuit fails fast before one probe goes through. @default 10000 */
  breakerCooldownMs?: number | undefined;
  /** Ids per bulk-get POST (the upstream accepts at most 100). @default 100 */
  bulkGetMaxIds?: number | undefined;
  /** Told of every job dropped for belonging to another org or sandbox (also logged, counted). */
  onForeignJobDropped?: ((drop: ForeignJobDrop) => void) | undefined;
  /** Observes every HTTP exchange of every call. */
  onCall?: ((event: UpstreamCallEvent) => void) | undefined;
  /** Told each time a tenant's circuit opens (for metrics). */
  onCircuitOpened?: (() => void) | undefined;
  /** Source of jitter in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
  /** Waits between attempts; resolves early when `signal` aborts. @default a cleared setTimeout */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Monotonic clock for the circuit breaker, in ms. @default performance.now */
  now?: (() => number) | undefined;
  logger?: UpstreamLogger | undefined;
  /** @default 'segment-jobs-gateway' */
  userAgent?: string | undefined;
}

/** Creates the upstream client. Call `close()` to release its connections. */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const bulkGetMaxIds = options.bulkGetMaxIds ?? 100;
  const logger = options.logger;

  const base = new URL(options.baseUrl);
  const http = createHttpExchange({
    origin: base.origin,
    basePath: base.pathname.replace(/\/+$/, ''),
    timeoutMs,
    connections: options.connections ?? 64,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxConcurrencyPerTenant: options.maxConcurrencyPerTenant ?? 16,
    maxQueuedPerTenant: options.maxQueuedPerTenant ?? 256,
  });
  const breaker = createCircuitBreaker({
    threshold: options.breakerThreshold ?? 5,
    cooldownMs: options.breakerCooldownMs ?? 10_000,
    now: options.now,
    onOpen: options.onCircuitOpened,
  });
  const { call, ping } = createCallExecutor({
    exchange: http.exchange,
    breaker,
    timeoutMs,
    maxAttempts: options.maxAttempts ?? 3,
    retryBaseMs: options.retryBaseMs ?? 200,
    retryMaxMs: options.retryMaxMs ?? 5_000,
    retryAfterMaxMs: options.retryAfterMaxMs ?? DEFAULT_RETRY_AFTER_MAX_MS,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? sleepFor,
    userAgent: options.userAgent ?? 'segment-jobs-gateway',
    logger,
    onCall: options.onCall,
  });

  /**
   * The services refuse such ids first; this is the last line before an id becomes a path
   * segment (`..` would climb out of /segment/jobs, a lone surrogate makes encoding throw).
   */
  function refusedId(
    method: string,
    id: string,
    path = `${JOBS_PATH}/{id}`,
  ): UpstreamBadRequestError | undefined {
    const problem = jobIdProblem(
      id,
      path.startsWith(DEFINITIONS_PATH) ? 'a segment id' : 'a job id',
    );
    if (problem === undefined) return undefined;
    return new UpstreamBadRequestError(`${problem}; not sent`, { method, path });
  }

  let droppedForeignJobs = 0;

  function warnForeign(tenant: Tenant, path: string, jobId: string, field: string): void {
    droppedForeignJobs += 1;
    const drop: ForeignJobDrop = { tenantKey: tenant.key, path, jobId, mismatch: field };
    logger?.warn({ ...drop }, 'upstream returned a job of another org or sandbox; dropped');
    options.onForeignJobDropped?.(drop);
  }

  async function listJobs(
    tenant: Tenant,
    params: ListJobsParams,
    callOptions?: CallOptions,
  ): Promise<JobPage> {
    const details = { method: 'GET', path: JOBS_PATH };
    return call({
      tenant,
      method: 'GET',
      path: JOBS_PATH,
      query: listJobsQuery(params),
      isIdempotent: true,
      options: callOptions,
      read: (response) => {
        let nextHref: string | undefined;
        const page = readJson(response, details, 'a job list', (value) => {
          nextHref = readNextHref(value);
          return parseJobList(value);
        });
        const jobs = page.jobs.filter((job) => {
          const reason = foreignReason(job, tenant);
          if (reason !== undefined) warnForeign(tenant, JOBS_PATH, job.id, reason);
          return reason === undefined;
        });
        const unreadable = page.unreadable.map(({ index, jobId, problem }) => ({
          index,
          jobId,
          error: new UpstreamUnavailableError(
            `upstream answered ${response.status} to GET ${JOBS_PATH} with a job that cannot be read: ${problem}`,
            responseDetails(details, response),
          ),
        }));
        if (unreadable.length > 0) {
          logger?.warn(
            { tenantKey: tenant.key, path: JOBS_PATH, unreadable: page.unreadable },
            'upstream returned jobs that cannot be read; left out of the page',
          );
        }
        return {
          totalCount: page.totalCount,
          pageSize: page.pageSize,
          jobs,
          unreadable,
          hasNext: page.hasNext,
          next: nextPageParams(nextHref, params),
        };
      },
    });
  }

  async function getJob(
    tenant: Tenant,
    id: string,
    callOptions?: CallOptions,
  ): Promise<SegmentJobModel> {
    const refusal = refusedId('GET', id);
    if (refusal !== undefined) throw refusal;
    const path = jobPath(id);
    const details = { method: 'GET', path };
    return call({
      tenant,
      method: 'GET',
      path,
      isIdempotent: true,
      options: callOptions,
      read: (response) => {
        const job = readJson(response, details, 'a segment job', (value) =>
          parseJobDocument(value),
        );
        const reason = foreignReason(job, tenant);
        if (reason !== undefined) {
          warnForeign(tenant, path, job.id, reason);
          throw new UpstreamNotFoundError(
            `upstream has no job ${JSON.stringify(id)} in this org and sandbox`,
            responseDetails(details, response),
          );
        }
        return job;
      },
    });
  }

  /** How one bulk-get endpoint names its items and reads each entry of its answer. */
  interface BulkGetSpec<T> {
    path: string;
    /** `job`, `segment definition`: what the messages call an item. */
    noun: string;
    readItem(
      id: string,
      item: unknown,
      response: Parameters<typeof bulkItem>[3],
      onForeign: (field: string) => void,
    ): T | UpstreamError;
  }

  const jobBulkGet = (tenant: Tenant): BulkGetSpec<SegmentJobModel> => ({
    path: BULK_GET_PATH,
    noun: 'job',
    readItem: (id, item, response, onForeign) => bulkItem(tenant, id, item, response, onForeign),
  });

  const definitionBulkGet = (tenant: Tenant): BulkGetSpec<SegmentDefinitionModel> => ({
    path: DEFINITIONS_BULK_GET_PATH,
    noun: 'segment definition',
    readItem: (id, item, response, onForeign) =>
      definitionBulkItem(tenant, id, item, response, onForeign),
  });

  async function bulkGetJobs(
    tenant: Tenant,
    ids: readonly string[],
    callOptions?: CallOptions,
  ): Promise<BulkGetResult> {
    return bulkGet(tenant, jobBulkGet(tenant), ids, callOptions);
  }

  async function bulkGetDefinitions(
    tenant: Tenant,
    ids: readonly string[],
    callOptions?: CallOptions,
  ): Promise<DefinitionBulkGetResult> {
    return bulkGet(tenant, definitionBulkGet(tenant), ids, callOptions);
  }

  async function bulkGet<T>(
    tenant: Tenant,
    spec: BulkGetSpec<T>,
    ids: readonly string[],
    callOptions?: CallOptions,
  ): Promise<Map<string, T | UpstreamError>> {
    const result = new Map<string, T | UpstreamError>();
    const refused = new Map<string, UpstreamBadRequestError>();
    for (const id of ids) {
      const refusal = refusedId('POST', id, spec.path);
      if (refusal !== undefined) refused.set(id, refusal);
    }
    const chunks = chunkIds(
      ids.filter((id) => !refused.has(id)),
      bulkGetMaxIds,
    );
    if (chunks.length === 0) {
      for (const [id, refusal] of refused) result.set(id, refusal);
      return result;
    }
    // A failed chunk fails the whole call; stop the others rather than wait for them.
    const siblings = new AbortController();
    const callerSignal = callOptions?.signal;
    const onCallerAbort = () => siblings.abort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const chunkOptions: CallOptions = { signal: siblings.signal, onCall: callOptions?.onCall };
      if (isAborted(callerSignal)) siblings.abort();
      const answers = await Promise.all(
        chunks.map((chunk) =>
          bulkGetChunk(tenant, spec, chunk, chunkOptions).catch((error: unknown) => {
            siblings.abort();
            throw error;
          }),
        ),
      );
      for (const answer of answers) {
        for (const [id, item] of answer) result.set(id, item);
      }
      for (const [id, refusal] of refused) result.set(id, refusal);
      // One entry per requested id, in the order first asked.
      const ordered = new Map<string, T | UpstreamError>();
      for (const id of new Set(ids)) {
        const item = result.get(id);
        if (item !== undefined) ordered.set(id, item);
      }
      return ordered;
    } finally {
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  function bulkGetChunk<T>(
    tenant: Tenant,
    spec: BulkGetSpec<T>,
    ids: readonly string[],
    callOptions: CallOptions,
  ): Promise<Map<string, T | UpstreamError>> {
    const details = { method: 'POST', path: spec.path };
    const answer = call({
      tenant,
      method: 'POST',
      path: spec.path,
      body: bulkGetBody(ids),
      isIdempotent: true,
      options: callOptions,
      read: (response) => {
        const results = readJson(
          response,
          details,
          'a multi-status body ({results: {...}})',
          parseBulkResults,
        );
        const out = new Map<string, T | UpstreamError>();
        for (const id of ids) {
          out.set(
            id,
            spec.readItem(id, bulkResultOf(results, id), response, (field) =>
              warnForeign(tenant, spec.path, id, field),
            ),
          );
        }
        return out;
      },
    });
    // Adobe's bulk-gets answer 404 as a whole when none of the ids is known: each is unknown.
    return answer.catch((error: unknown) => {
      if (!(error instanceof UpstreamNotFoundError) || error.status !== 404) throw error;
      const out = new Map<string, T | UpstreamError>();
      for (const id of ids) {
        out.set(
          id,
          new UpstreamNotFoundError(
            `upstream answered 404 to the whole bulk-get: no ${spec.noun} ${JSON.stringify(id)}`,
            {
              method: 'POST',
              path: spec.path,
              status: 404,
              upstreamCode: error.upstreamCode,
              requestId: error.requestId,
            },
          ),
        );
      }
      return out;
    });
  }

  async function listDefinitions(
    tenant: Tenant,
    params: ListDefinitionsParams,
    callOptions?: CallOptions,
  ): Promise<DefinitionPage> {
    const details = { method: 'GET', path: DEFINITIONS_PATH };
    return call({
      tenant,
      method: 'GET',
      path: DEFINITIONS_PATH,
      query: listDefinitionsQuery(params),
      isIdempotent: true,
      options: callOptions,
      read: (response) => {
        const page = readJson(
          response,
          details,
          'a definition list ({segments, page, link})',
          parseDefinitionList,
        );
        const definitions = page.definitions.filter((definition) => {
          const reason = foreignReason(definition, tenant);
          if (reason !== undefined) warnForeign(tenant, DEFINITIONS_PATH, definition.id, reason);
          return reason === undefined;
        });
        return {
          totalCount: page.totalCount,
          definitions,
          next: nextPageParams(page.nextHref, params),
        };
      },
    });
  }

  async function createJob(
    tenant: Tenant,
    request: CreateJobRequest,
    callOptions?: CallOptions,
  ): Promise<SegmentJobModel> {
    const details = { method: 'POST', path: JOBS_PATH };
    return call({
      tenant,
      method: 'POST',
      path: JOBS_PATH,
      body: createJobBody(request),
      isIdempotent: false,
      options: callOptions,
      read: (response) => {
        const job = readJson(response, details, 'a segment job', (value) =>
          parseJobDocument(value),
        );
        if (foreignReason(job, tenant) !== undefined) {
          throw new UpstreamOutcomeUnknownError(
            `upstream answered ${details.method} ${details.path} with a job of another org or sandbox: the job may or may not have been created`,
            responseDetails(details, response),
          );
        }
        return job;
      },
    });
  }

  async function cancelJob(tenant: Tenant, id: string, callOptions?: CallOptions): Promise<void> {
    const refusal = refusedId('DELETE', id);
    if (refusal !== undefined) throw refusal;
    const spec: CallSpec<undefined> = {
      tenant,
      method: 'DELETE',
      path: jobPath(id),
      isIdempotent: true,
      options: callOptions,
      read: () => undefined,
    };
    await call(spec);
  }

  return {
    listJobs,
    getJob,
    bulkGetJobs,
    listDefinitions,
    bulkGetDefinitions,
    createJob,
    cancelJob,
    get droppedForeignJobs() {
      return droppedForeignJobs;
    },
    openCircuits: () => breaker.openCount(),
    ping,
    close: () => http.close(),
  };
}
