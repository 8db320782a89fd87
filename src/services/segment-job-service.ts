// The segment job operations of one request: what resolvers call. Owns the lazy tenant, the
// request's loaders and the mapping of upstream failures; holds no state beyond the request.
import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { SegmentJobModel, SegmentJobStatus, Tenant } from '../domain/index.ts';
import { isFinal, jobIdProblem } from '../domain/index.ts';
import { readJobsAfter } from '../upstream/job-pager.ts';
import type { ListPosition } from '../upstream/list-paging.ts';
import type {
  CallOptions,
  JobSortField,
  ListJobsParams,
  UpstreamClient,
} from '../upstream/types.ts';
import { type CreateSegmentJobInputModel, toCreateJobRequest } from './create-job-input.ts';
import { NotFoundError, ValidationError } from './domain-errors.ts';
import { createRequestScope, type RequestScope } from './request-scope.ts';
import { toMutationError, toQueryError } from './upstream-error-mapping.ts';

export interface JobListQuery {
  /** Jobs per page, 1..100. */
  limit: number;
  status?: SegmentJobStatus | undefined;
  /** Only jobs that evaluate this segment definition. */
  segmentId?: string | undefined;
  sort: { field: JobSortField; direction: 'asc' | 'desc' };
  /** Where the previous page ended (what its cursor stands for); undefined for the first page. */
  after?: JobListPosition | undefined;
}

/**
 * A place in a listing, right after one job: what a cursor stands for. The page to re-read is
 * the upstream's own (`start` from its next href, never computed); the job is its sort key and id.
 */
export interface JobListPosition {
  /** The upstream's `start` of the page that held the job; absent for the list's first page. */
  start?: string | undefined;
  /** The upstream page size of the listing, fixed by its first page. */
  limit: number;
  key: number | string | null;
  id: string;
}

export interface JobListPage {
  totalCount: number;
  hasNextPage: boolean;
  jobs: SegmentJobModel[];
  /** The position right after each job of `jobs`, in order. */
  positions: JobListPosition[];
  /** Where the next page starts; undefined when no job was served yet (an empty first page). */
  end: JobListPosition | undefined;
  /** One GraphQL error each for the page's jobs that could not be read (left out of `jobs`). */
  unreadable: UnreadableJobProblem[];
}

/** A job of a page that could not be read, as the caller is told of it. */
export interface UnreadableJobProblem {
  message: string;
  /** `code` (UPSTREAM_UNAVAILABLE), `requestId`, `upstreamIndex` and `jobId` when known. */
  extensions: Record<string, unknown>;
}

/** Segment job operations for one request and its tenant. */
export interface SegmentJobService {
  /** One job by id; null when the upstream does not know it for this tenant. */
  get(id: string): Promise<SegmentJobModel | null>;
  /**
   * Jobs by id, in order; null for an unknown id, and an error (already mapped for the caller)
   * for an id the upstream could not return: it costs that item alone. One bulk-get per 100 ids
   * for the whole request.
   */
  getMany(ids: readonly string[]): Promise<(SegmentJobModel | null | Error)[]>;
  /**
   * One page of jobs after `query.after`, paged the way the upstream says (see job-pager): at
   * most `MAX_LIST_CALLS_PER_PAGE` list calls. Listed jobs are primed for later lookups.
   */
  list(query: JobListQuery): Promise<JobListPage>;
  /** Creates a job. Throws a `DomainError` for expected failures. */
  create(input: CreateSegmentJobInputModel): Promise<SegmentJobModel>;
  /**
   * Cancels a job and returns it as it stands: CANCELLING, or already final. A job that was
   * already final is deleted by the upstream; then the state read before the cancel is returned.
   */
  cancel(id: string): Promise<SegmentJobModel>;
}

export interface SegmentJobServiceOptions {
  /** Resolves the caller once; throws the error the caller should see when it cannot. */
  resolveTenant: () => Tenant;
  upstream: UpstreamClient;
  /** Passed to every upstream call of the request. */
  callOptions?: CallOptions | undefined;
  /** The request's shared tenant and loaders; made here from `resolveTenant` when absent. */
  scope?: (() => RequestScope) | undefined;
  /**
   * Told about a job this request created or cancelled, as the upstream just returned it (or
   * without a snapshot when none could be read), so live subscribers see it at once.
   */
  onJobChanged?: ((tenant: Tenant, jobId: string, job?: SegmentJobModel) => void) | undefined;
}

/** The service's view of a pager position that follows a served job. */
function toJobListPosition(position: ListPosition, limit: number): JobListPosition {
  const mark = position.after ?? { key: null, id: '' };
  return {
    start: position.params.start,
    limit: position.params.limit ?? limit,
    key: mark.key,
    id: mark.id,
  };
}

/** The property filter the upstream uses for "jobs that evaluate segment X". */
export function segmentIdFilter(segmentId: string): string {
  return `segments~segmentId==${segmentId}`;
}

/**
 * Refuses ids that cannot name a job (empty, `.`/`..`, lone surrogates) before anything reaches
 * the upstream: a GraphQL error with BAD_USER_INPUT naming the argument.
 */
function checkQueryIds(ids: readonly string[], argument: 'id' | 'ids'): void {
  for (const [index, id] of ids.entries()) {
    const problem = jobIdProblem(id);
    if (problem === undefined) continue;
    const at = argument === 'id' ? 'id' : `ids[${index}]`;
    throw createGraphQLError(`${at}: ${problem}`, {
      extensions: { code: 'BAD_USER_INPUT', field: argument },
    });
  }
}

/** Creates the job operations of one request; the tenant and loaders are made on first use. */
export function createSegmentJobService(options: SegmentJobServiceOptions): SegmentJobService {
  const { upstream } = options;
  const callOptions = options.callOptions ?? {};
  const requestScope =
    options.scope ?? createRequestScope(options.resolveTenant, upstream, callOptions);
  // List calls in flight in this request: lookups wait for them, since they prime the loader.
  const pendingLists = new Set<Promise<unknown>>();

  /**
   * Waits for list calls this operation has started. Root fields resolve side by side, so a
   * lookup next to a list would otherwise go out before the list's jobs are primed; one
   * microtask first lets every sibling resolver start.
   */
  async function settleLists(): Promise<void> {
    await Promise.resolve();
    if (pendingLists.size > 0) await Promise.allSettled([...pendingLists]);
  }

  async function loadForMutation(id: string): Promise<SegmentJobModel> {
    const { loaders } = requestScope();
    let job: SegmentJobModel | null;
    try {
      job = await loaders.segmentJob.load(id);
    } catch (error) {
      throw toMutationError(error, { id, field: 'id' });
    }
    if (job === null)
      throw new NotFoundError(`expected a segment job with id "${id}", but none exists`, id);
    return job;
  }

  return {
    async get(id) {
      checkQueryIds([id], 'id');
      const { loaders } = requestScope();
      await settleLists();
      try {
        return await loaders.segmentJob.load(id);
      } catch (error) {
        throw toQueryError(error);
      }
    },

    async getMany(ids) {
      checkQueryIds(ids, 'ids');
      const { loaders } = requestScope();
      await settleLists();
      const results = await loaders.segmentJob.loadMany(ids);
      return results.map((result) => {
        if (!(result instanceof Error)) return result;
        const mapped = toQueryError(result);
        return mapped instanceof Error ? mapped : result;
      });
    },

    async list(query) {
      const { tenant, loaders } = requestScope();
      const params: ListJobsParams = {
        limit: query.after?.limit ?? query.limit,
        status: query.status,
        sort: query.sort,
        properties: query.segmentId === undefined ? undefined : [segmentIdFilter(query.segmentId)],
      };
      const from: ListPosition =
        query.after === undefined
          ? { params }
          : {
              params: { ...params, start: query.after.start },
              after: { key: query.after.key, id: query.after.id },
            };
      const reading = readJobsAfter(
        (pageParams) =>
          upstream.listJobs(tenant, pageParams, callOptions).then((page) => {
            loaders.primeJobs(page.jobs);
            return page;
          }),
        from,
        query.limit,
      );
      pendingLists.add(reading);
      try {
        const result = await reading;
        return {
          totalCount: result.totalCount,
          hasNextPage: result.hasMore,
          jobs: result.jobs.map((paged) => paged.job),
          positions: result.jobs.map((paged) => toJobListPosition(paged.position, query.limit)),
          end:
            result.end.after === undefined ? undefined : toJobListPosition(result.end, query.limit),
          unreadable: result.pages.flatMap((page) =>
            page.unreadable.map(({ index, jobId, error }) => {
              const mapped = toQueryError(error) as GraphQLError;
              const extensions: Record<string, unknown> = { ...mapped.extensions };
              // The index among the children of the upstream page that sent it.
              extensions.upstreamIndex = index;
              if (jobId !== undefined) extensions.jobId = jobId;
              return { message: mapped.message, extensions };
            }),
          ),
        };
      } catch (error) {
        throw toQueryError(error);
      } finally {
        pendingLists.delete(reading);
      }
    },

    async create(input) {
      const request = toCreateJobRequest(input);
      const { tenant, loaders } = requestScope();
      try {
        const job = await upstream.createJob(tenant, request, callOptions);
        loaders.primeJobs([job]);
        options.onJobChanged?.(tenant, job.id, job);
        return job;
      } catch (error) {
        throw toMutationError(error, {
          field: request.kind === 'segments' ? 'segmentIds' : 'schemaName',
          id:
            request.kind === 'segments' && request.segmentIds.length === 1
              ? request.segmentIds[0]
              : undefined,
        });
      }
    },

    async cancel(id) {
      const problem = jobIdProblem(id);
      if (problem !== undefined) throw new ValidationError(problem, 'id');
      const before = await loadForMutation(id);
      const { tenant, loaders } = requestScope();
      try {
        await upstream.cancelJob(tenant, id, callOptions);
      } catch (error) {
        throw toMutationError(error, { id, field: 'id' });
      }
      loaders.segmentJob.clear(id);
      // A job that was already final is deleted by the upstream; reading it back would find
      // nothing, so its last known state is the answer.
      if (isFinal(before.status)) return before;
      let after: SegmentJobModel | null = null;
      try {
        after = await loaders.segmentJob.load(id);
      } catch {
        // The cancel went through; a failed read-back must not turn it into an error.
      }
      options.onJobChanged?.(tenant, id, after ?? undefined);
      return after ?? before;
    },
  };
}
