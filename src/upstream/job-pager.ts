// Reads one client page of jobs from a position, over the upstream's own paging: it re-reads the
// upstream page that held the last job served (so a deletion before it cannot skip a job), drops
// what was served already, and reads on through next hrefs while the page is short, bounded.
import type { SegmentJobModel } from '../domain/index.ts';
import {
  DEFAULT_SORT,
  isAtOrBefore,
  type ListMark,
  type ListPosition,
  shouldReadOn,
  sortKeyOf,
} from './list-paging.ts';
import type { JobPage, ListJobsParams } from './types.ts';

/**
 * List calls one page makes at most: the re-read of the upstream page that held the last job
 * served, and up to three more when jobs created (or dropped) between pages leave it short.
 */
export const MAX_LIST_CALLS_PER_PAGE = 4;

export interface PagedJob {
  job: SegmentJobModel;
  /** The position right after this job: what its cursor stands for. */
  position: ListPosition;
}

export interface PagerResult<P extends JobPage> {
  jobs: PagedJob[];
  /** Every upstream page read, in order (one per list call). */
  pages: P[];
  /** The upstream's count, from the first call. */
  totalCount: number;
  /** True when jobs may follow: the page was cut short, or the upstream has a next page. */
  hasMore: boolean;
  /** Where the next page starts: after the last job served, from the last upstream page read. */
  end: ListPosition;
}

/**
 * Up to `want` jobs after `from`. `list` makes one upstream call; a page makes at most
 * `maxCalls` of them and may come back short (never wrong) when that is not enough.
 */
export async function readJobsAfter<P extends JobPage>(
  list: (params: ListJobsParams) => Promise<P>,
  from: ListPosition,
  want: number,
  maxCalls = MAX_LIST_CALLS_PER_PAGE,
): Promise<PagerResult<P>> {
  const sort = from.params.sort ?? DEFAULT_SORT;
  const pages: P[] = [];
  const jobs: PagedJob[] = [];
  const served = new Set<string>();
  let params = from.params;
  for (;;) {
    const page = await list(params);
    pages.push(page);
    let isCut = false;
    for (const job of page.jobs) {
      if (from.after !== undefined && isAtOrBefore(job, from.after, sort)) continue;
      // The upstream may shift while we read: a job read twice is served once.
      if (served.has(job.id)) continue;
      if (jobs.length === want) {
        isCut = true;
        break;
      }
      served.add(job.id);
      jobs.push({ job, position: { params, after: markOf(job, sort.field) } });
    }
    const next = page.next;
    if (!shouldReadOn(jobs.length, want, next !== undefined, pages.length, maxCalls)) {
      const isShortByBudget = jobs.length < want && next !== undefined;
      return {
        jobs,
        pages,
        totalCount: pages[0]?.totalCount ?? 0,
        hasMore: isCut || next !== undefined || isShortByBudget,
        end: { params, after: jobs.at(-1)?.position.after ?? from.after },
      };
    }
    if (next === undefined) throw new Error('unreachable: read on without a next page');
    params = next;
  }
}

function markOf(job: SegmentJobModel, field: ListJobsParamsSortField): ListMark {
  return { key: sortKeyOf(job, field), id: job.id };
}

type ListJobsParamsSortField = NonNullable<ListJobsParams['sort']>['field'];
