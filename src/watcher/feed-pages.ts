// How the tenant feed reads the list endpoint in one poll: which pages, in what order, and when
// to stop. It owns no feed state: each page's jobs go to the caller, who says whether to read on.
// Pages after the first follow the upstream's next href and never repeat or skip a job (job-pager).
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import { readJobsAfter } from '../upstream/job-pager.ts';
import type { ListPosition } from '../upstream/list-paging.ts';
import type { UpstreamClient } from '../upstream/types.ts';

/** What the caller makes of one page: read the next, stop here, or drop the poll altogether. */
export type FeedPageVerdict = 'more' | 'stop' | 'abandon';

export interface FeedPagesOptions {
  upstream: UpstreamClient;
  tenant: Tenant;
  /** Jobs per page (the upstream allows 1..100). */
  pageSize: number;
  /**
   * Pages per poll at most. The first page is one list call; each later one re-reads the
   * previous upstream page and may read on: at most `MAX_LIST_CALLS_PER_PAGE` calls.
   */
  maxPages: number;
  signal: AbortSignal;
  /** Called with each page, newest update first; `isFull` when the page may have a successor. */
  onPage: (jobs: readonly SegmentJobModel[], isFull: boolean) => FeedPageVerdict;
}

/** Reads the newest-updated jobs page by page; false when the caller abandoned the poll. */
export async function readFeedPages(options: FeedPagesOptions): Promise<boolean> {
  const { upstream, tenant, pageSize } = options;
  let position: ListPosition = {
    params: { limit: pageSize, sort: { field: 'updateTime', direction: 'desc' } },
  };
  for (let page = 0; page < options.maxPages; page += 1) {
    const result = await readJobsAfter(
      (params) => upstream.listJobs(tenant, params, { signal: options.signal }),
      position,
      pageSize,
    );
    const jobs = result.jobs.map((paged) => paged.job);
    const isFull = result.hasMore && jobs.length >= pageSize;
    const verdict = options.onPage(jobs, isFull);
    if (verdict === 'abandon') return false;
    if (verdict === 'stop' || !isFull) break;
    position = result.end;
  }
  return true;
}
