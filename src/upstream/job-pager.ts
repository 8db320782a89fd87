// Reads one client page of a list (jobs or definitions) from a position, over the upstream's own
// paging: it re-reads the upstream page that held the last item served (so a deletion before it
// cannot skip one), drops what was served already, and reads on through next hrefs while short.
import type { SegmentJobModel } from '../domain/index.ts';
import {
  DEFAULT_SORT,
  isPlacedAtOrBefore,
  type ListMark,
  type ListParams,
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

/** An item served, with the position right after it: what its cursor stands for. */
export interface PagedItem<T, P extends ListParams> {
  item: T;
  position: ListPosition<P>;
}

/** How the pager reads the items of one kind of list. */
export interface ListReader<T, P extends ListParams, Page> {
  itemsOf(page: Page): readonly T[];
  /** The item's id and its value of the list's sort field (null when it has none). */
  markOf(item: T, sortField: string): ListMark;
  /** The parameters of the page after `page`; undefined when there is none to follow. */
  nextOf(page: Page): P | undefined;
  totalCountOf(page: Page): number;
  /**
   * Only items this accepts are served; the others are read past (a page-local filter the
   * upstream cannot apply). Read past or served, an item moves the end position on.
   */
  accepts?: ((item: T) => boolean) | undefined;
}

export interface ItemPagerResult<T, P extends ListParams, Page> {
  items: PagedItem<T, P>[];
  /** Every upstream page read, in order (one per list call). */
  pages: Page[];
  /** The upstream's count, from the first call. */
  totalCount: number;
  /** True when items may follow: the page was cut short, or the upstream has a next page. */
  hasMore: boolean;
  /** Where the next page starts: after the last item served or read past. */
  end: ListPosition<P>;
}

/**
 * Up to `want` items after `from`. `list` makes one upstream call; a page makes at most
 * `maxCalls` of them and may come back short (never wrong) when that is not enough.
 */
export async function readItemsAfter<T, P extends ListParams, Page>(
  list: (params: P) => Promise<Page>,
  reader: ListReader<T, P, Page>,
  from: ListPosition<P>,
  want: number,
  maxCalls = MAX_LIST_CALLS_PER_PAGE,
): Promise<ItemPagerResult<T, P, Page>> {
  const sort = from.params.sort ?? DEFAULT_SORT;
  const pages: Page[] = [];
  const items: PagedItem<T, P>[] = [];
  const seen = new Set<string>();
  let params = from.params;
  let reached = from.after;
  for (;;) {
    const page = await list(params);
    pages.push(page);
    let isCut = false;
    for (const item of reader.itemsOf(page)) {
      const mark = reader.markOf(item, sort.field);
      if (from.after !== undefined && isPlacedAtOrBefore(mark, from.after, sort.direction)) {
        continue;
      }
      // The upstream may shift while we read: an item read twice is served once.
      if (seen.has(mark.id)) continue;
      if (reader.accepts !== undefined && !reader.accepts(item)) {
        seen.add(mark.id);
        reached = mark;
        continue;
      }
      if (items.length === want) {
        isCut = true;
        break;
      }
      seen.add(mark.id);
      reached = mark;
      items.push({ item, position: { params, after: mark } });
    }
    const next = reader.nextOf(page);
    if (!shouldReadOn(items.length, want, next !== undefined, pages.length, maxCalls)) {
      const isShortByBudget = items.length < want && next !== undefined;
      const lastServed = items.at(-1)?.position.after;
      return {
        items,
        pages,
        totalCount: pages[0] === undefined ? 0 : reader.totalCountOf(pages[0]),
        hasMore: isCut || next !== undefined || isShortByBudget,
        // Cut: the items after the last one served were not all served. Otherwise every item
        // read was served or read past, so the next page starts after the last one read.
        end: { params, after: isCut ? lastServed : reached },
      };
    }
    if (next === undefined) throw new Error('unreachable: read on without a next page');
    params = next;
  }
}

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

/** Reads the jobs list: {@link readItemsAfter} with a job's id and sort key. */
export function jobReader<P extends JobPage>(): ListReader<SegmentJobModel, ListJobsParams, P> {
  return {
    itemsOf: (page) => page.jobs,
    markOf: (job, field) => ({ key: sortKeyOf(job, field as JobSortFieldOf), id: job.id }),
    nextOf: (page) => page.next,
    totalCountOf: (page) => page.totalCount,
  };
}

type JobSortFieldOf = NonNullable<ListJobsParams['sort']>['field'];

/** Up to `want` jobs after `from` (see {@link readItemsAfter}). */
export async function readJobsAfter<P extends JobPage>(
  list: (params: ListJobsParams) => Promise<P>,
  from: ListPosition,
  want: number,
  maxCalls = MAX_LIST_CALLS_PER_PAGE,
): Promise<PagerResult<P>> {
  const result = await readItemsAfter(list, jobReader<P>(), from, want, maxCalls);
  return {
    jobs: result.items.map(({ item, position }) => ({ job: item, position })),
    pages: result.pages,
    totalCount: result.totalCount,
    hasMore: result.hasMore,
    end: result.end,
  };
}
