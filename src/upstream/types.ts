// The upstream client's contract: one function per segment jobs endpoint. Everything else in
// the gateway reaches the Segmentation Service through this interface.
import type { SegmentJobModel, SegmentJobStatus, Tenant } from '../domain/index.ts';
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import type { UpstreamError, UpstreamUnavailableError } from './errors.ts';

export type JobSortField = 'creationTime' | 'updateTime' | 'status';

export interface ListJobsParams {
  /**
   * Where the page starts, as the upstream's own next href says (`_links.next.href`): an opaque
   * token, never computed by the gateway. Absent on a list's first page.
   */
  start?: string | undefined;
  /** Page size, 1..100. @default 20 */
  limit?: number | undefined;
  status?: SegmentJobStatus | undefined;
  sort?: { field: JobSortField; direction: 'asc' | 'desc' } | undefined;
  /** Raw `property` filters, ANDed, e.g. `segments~segmentId==abc`. */
  properties?: readonly string[] | undefined;
}

export type DefinitionSortField = 'creationTime' | 'updateTime' | 'name';

/** The parameters of `GET /segment/definitions` (the OpenAPI documents no filter). */
export interface ListDefinitionsParams {
  /** As the upstream's own next href says (`link.next`); absent on a list's first page. */
  start?: string | undefined;
  /** Page size, 1..100. */
  limit?: number | undefined;
  sort?: { field: DefinitionSortField; direction: 'asc' | 'desc' } | undefined;
}

export interface DefinitionPage {
  totalCount: number;
  /** The definitions of the page that belong to the tenant, in page order. */
  definitions: SegmentDefinitionModel[];
  /** The parameters of the next page, from `link.next`; undefined on the last page. */
  next?: ListDefinitionsParams | undefined;
}

/** Result of a definitions bulk-get: one entry per requested id, a definition or its error. */
export type DefinitionBulkGetResult = Map<string, SegmentDefinitionModel | UpstreamError>;

/** A job of a list page the upstream sent in a shape that cannot be read (no id, an unknown status). */
export interface UnreadableJob {
  /** Its index among the page's `children`. */
  index: number;
  /** Its id, when it had one that is safe to show. */
  jobId: string | undefined;
  /** Says where and what was wrong; never an upstream value. */
  error: UpstreamUnavailableError;
}

/** A job the client dropped because the upstream stamped it with another org or sandbox. */
export interface ForeignJobDrop {
  tenantKey: string;
  /** The endpoint that returned it, e.g. `/segment/jobs/bulk-get`. */
  path: string;
  jobId: string;
  /** The field that did not match: `imsOrgId` or `sandbox.sandboxName`. */
  mismatch: string;
}

export interface JobPage {
  totalCount: number;
  pageSize: number;
  /** The jobs of the page that could be read and belong to the tenant, in page order. */
  jobs: SegmentJobModel[];
  /** Jobs of the page that could not be read: each costs itself alone, never the page. */
  unreadable: UnreadableJob[];
  /** True when `_links.next.href` is present. */
  hasNext: boolean;
  /** The parameters of the next page, from `_links.next.href`; undefined when it cannot be followed. */
  next?: ListJobsParams | undefined;
}

export type CreateJobRequest =
  | { kind: 'segments'; segmentIds: readonly string[] }
  | { kind: 'all'; schemaName: string };

/** One HTTP exchange with the upstream, reported after it ends (for logs, metrics and tests). */
export interface UpstreamCallEvent {
  tenantKey: string;
  method: string;
  /** Path below the base URL, without query string. */
  path: string;
  /** HTTP status, or undefined on a network fault or timeout. */
  status: number | undefined;
  attempt: number;
  durationMs: number;
}

export interface CallOptions {
  /** Aborts the upstream call (client went away). */
  signal?: AbortSignal | undefined;
  /** Called after each HTTP attempt, in addition to the client-wide `onCall`. */
  onCall?: ((event: UpstreamCallEvent) => void) | undefined;
}

/** Result of a bulk-get: one entry per requested id, a job or the error for that id. */
export type BulkGetResult = Map<string, SegmentJobModel | UpstreamError>;

export interface UpstreamClient {
  listJobs(tenant: Tenant, params: ListJobsParams, options?: CallOptions): Promise<JobPage>;
  /** Throws `UpstreamNotFoundError` when the upstream does not know the id. */
  getJob(tenant: Tenant, id: string, options?: CallOptions): Promise<SegmentJobModel>;
  /**
   * Any number of ids: chunked by `bulkGetMaxIds`, one POST per chunk (in parallel). Duplicates
   * asked once. One entry per requested id: the job; `UpstreamNotFoundError` for an id missing
   * from the answer, a not-found error entry, a chunk answered 404 as a whole (no id known), or a
   * job of another org or sandbox (never served); or `UpstreamUnavailableError` for an entry that
   * cannot be read or reports a server fault (5xx, 429). Rejects when a chunk fails as a whole
   * otherwise (after its retries).
   */
  bulkGetJobs(
    tenant: Tenant,
    ids: readonly string[],
    options?: CallOptions,
  ): Promise<BulkGetResult>;
  /** One page of segment definitions. */
  listDefinitions(
    tenant: Tenant,
    params: ListDefinitionsParams,
    options?: CallOptions,
  ): Promise<DefinitionPage>;
  /**
   * Definitions by id, as `bulkGetJobs` does jobs: chunked, one POST per chunk to
   * `/segment/definitions/bulk-get`, one entry per id (`UpstreamNotFoundError` for an unknown id).
   */
  bulkGetDefinitions(
    tenant: Tenant,
    ids: readonly string[],
    options?: CallOptions,
  ): Promise<DefinitionBulkGetResult>;
  /** Never retried. A lost response throws `UpstreamOutcomeUnknownError`. */
  createJob(
    tenant: Tenant,
    request: CreateJobRequest,
    options?: CallOptions,
  ): Promise<SegmentJobModel>;
  /** DELETE; resolves on 204. */
  cancelJob(tenant: Tenant, id: string, options?: CallOptions): Promise<void>;
  /** Jobs dropped so far because they belong to another org or sandbox (a metric to expose). */
  readonly droppedForeignJobs: number;
  /** Tenants whose circuit is open right now (a metric to expose). */
  openCircuits(): number;
  /** Resolves when the upstream answers HTTP at all (for `/readyz`). */
  ping(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}
