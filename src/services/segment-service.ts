// The segment definition operations of one request: one definition (through the request's
// definition loader), the paged definitions list, and a definition's run history over the jobs
// list. Holds no state beyond the request; maps upstream failures for the caller.
import { createGraphQLError } from 'graphql-yoga';
import { jobIdProblem, type SegmentJobModel } from '../domain/index.ts';
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import { type ListReader, readItemsAfter, readJobsAfter } from '../upstream/job-pager.ts';
import type { ListPosition } from '../upstream/list-paging.ts';
import type {
  CallOptions,
  DefinitionPage,
  ListDefinitionsParams,
  UpstreamClient,
} from '../upstream/types.ts';
import type { RequestScope } from './request-scope.ts';
import { type JobListPosition, segmentIdFilter } from './segment-job-service.ts';
import { toQueryError } from './upstream-error-mapping.ts';

/** A place in the definitions list, right after one definition: the same shape as a job's. */
export type SegmentListPosition = JobListPosition;

/** The definitions list order: the upstream's default, newest first, ties by id. */
export const SEGMENT_LIST_SORT = { field: 'creationTime', direction: 'desc' } as const;

/** Upstream page size while a name filter scans: the largest the upstream serves. */
export const NAME_SCAN_PAGE_SIZE = 100;

/** Points one upstream list call serves at most: `history(last)` costs ceil(last / 100) calls. */
export const HISTORY_POINTS_PER_CALL = 100;

export interface SegmentListQuery {
  /** Definitions per page, 1..100. */
  limit: number;
  /** Only definitions whose name contains this, ignoring case (a filter the gateway applies). */
  name?: string | undefined;
  after?: SegmentListPosition | undefined;
}

export interface SegmentListPage {
  totalCount: number;
  hasNextPage: boolean;
  definitions: SegmentDefinitionModel[];
  /** The position right after each definition of `definitions`, in order. */
  positions: SegmentListPosition[];
  /** Where the next page starts; undefined when nothing was read past the start. */
  end: SegmentListPosition | undefined;
}

/** One successful run of a definition: the job and its counts for that definition. */
export interface SegmentHistoryPointModel {
  jobId: string;
  /** When the job was created (the history's order), epoch ms. */
  creationTime: number | undefined;
  /** When the run ended (`metrics.totalTime.endTimeInMs`), epoch ms. */
  endTime: number | undefined;
  qualified: number | undefined;
  realized: number | undefined;
  exited: number | undefined;
  namespaces: Readonly<Record<string, number>> | undefined;
}

export interface SegmentService {
  /** One definition by id (validated like a job id); null when the upstream does not know it. */
  get(id: string): Promise<SegmentDefinitionModel | null>;
  /** A definition for a Segment's fields; null when deleted. Batched with every other lookup. */
  definition(id: string): Promise<SegmentDefinitionModel | null>;
  /** One page of definitions after `query.after`; listed definitions are primed. */
  list(query: SegmentListQuery): Promise<SegmentListPage>;
  /**
   * The last `last` successful runs of the definition that name it, oldest first (newest last):
   * one list call per 100 points, over `segments~segmentId==<id>` and status SUCCEEDED.
   */
  history(segmentId: string, last: number): Promise<SegmentHistoryPointModel[]>;
}

export interface SegmentServiceOptions {
  scope: () => RequestScope;
  upstream: Pick<UpstreamClient, 'listDefinitions' | 'listJobs'>;
  callOptions?: CallOptions | undefined;
}

/** Refuses an id that cannot name a definition before anything reaches the upstream. */
export function checkSegmentId(id: string, argument = 'id'): void {
  const problem = jobIdProblem(id, 'a segment definition id');
  if (problem === undefined) return;
  throw createGraphQLError(`${argument}: ${problem}`, {
    extensions: { code: 'BAD_USER_INPUT', field: argument },
  });
}

function toPosition(position: ListPosition<ListDefinitionsParams>, limit: number) {
  const mark = position.after ?? { key: null, id: '' };
  return {
    start: position.params.start,
    limit: position.params.limit ?? limit,
    key: mark.key,
    id: mark.id,
  };
}

/** The point a successful job gives for one definition; counts it did not report are undefined. */
export function historyPointOf(job: SegmentJobModel, segmentId: string): SegmentHistoryPointModel {
  const metrics = job.metrics;
  const byStatus = metrics?.segmentedProfileByStatusCounter?.[segmentId];
  return {
    jobId: job.id,
    creationTime: job.creationTime,
    endTime: metrics?.totalTime?.endTimeInMs,
    qualified: metrics?.segmentedProfileCounter?.[segmentId],
    realized: byStatus?.realized,
    exited: byStatus?.exited,
    namespaces: metrics?.segmentedProfileByNamespaceCounter?.[segmentId],
  };
}

/** Creates the definition operations of one request. */
export function createSegmentService(options: SegmentServiceOptions): SegmentService {
  const { upstream } = options;
  const callOptions = options.callOptions ?? {};

  async function definition(id: string): Promise<SegmentDefinitionModel | null> {
    const { loaders } = options.scope();
    try {
      return await loaders.segmentDefinition.load(id);
    } catch (error) {
      throw toQueryError(error);
    }
  }

  return {
    async get(id) {
      checkSegmentId(id);
      return definition(id);
    },

    definition,

    async list(query) {
      const { tenant, loaders } = options.scope();
      const fragment = query.name?.toLocaleLowerCase();
      const params: ListDefinitionsParams = {
        limit: query.after?.limit ?? (fragment === undefined ? query.limit : NAME_SCAN_PAGE_SIZE),
        sort: SEGMENT_LIST_SORT,
      };
      const from: ListPosition<ListDefinitionsParams> =
        query.after === undefined
          ? { params }
          : {
              params: { ...params, start: query.after.start },
              after: { key: query.after.key, id: query.after.id },
            };
      const reader: ListReader<SegmentDefinitionModel, ListDefinitionsParams, DefinitionPage> = {
        itemsOf: (page) => page.definitions,
        markOf: (item) => ({ key: item.creationTime ?? null, id: item.id }),
        nextOf: (page) => page.next,
        totalCountOf: (page) => page.totalCount,
        accepts:
          fragment === undefined
            ? undefined
            : (item) => (item.name ?? '').toLocaleLowerCase().includes(fragment),
      };
      try {
        const result = await readItemsAfter(
          (pageParams) =>
            upstream.listDefinitions(tenant, pageParams, callOptions).then((page) => {
              loaders.primeDefinitions(page.definitions);
              return page;
            }),
          reader,
          from,
          query.limit,
        );
        return {
          totalCount: result.totalCount,
          hasNextPage: result.hasMore,
          definitions: result.items.map((paged) => paged.item),
          positions: result.items.map((paged) => toPosition(paged.position, query.limit)),
          end: result.end.after === undefined ? undefined : toPosition(result.end, query.limit),
        };
      } catch (error) {
        throw toQueryError(error);
      }
    },

    async history(segmentId, last) {
      checkSegmentId(segmentId);
      const { tenant, loaders } = options.scope();
      const from: ListPosition = {
        params: {
          limit: Math.min(last, HISTORY_POINTS_PER_CALL),
          status: 'SUCCEEDED',
          sort: { field: 'creationTime', direction: 'desc' },
          properties: [segmentIdFilter(segmentId)],
        },
      };
      try {
        const result = await readJobsAfter(
          (params) =>
            upstream.listJobs(tenant, params, callOptions).then((page) => {
              loaders.primeJobs(page.jobs);
              return page;
            }),
          from,
          last,
          Math.ceil(last / HISTORY_POINTS_PER_CALL),
        );
        // Newest first from the upstream; a history reads oldest to newest.
        return result.jobs.map(({ job }) => historyPointOf(job, segmentId)).reverse();
      } catch (error) {
        throw toQueryError(error);
      }
    },
  };
}
