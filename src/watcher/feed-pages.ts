// How the tenant feed reads the list endpoint in one poll: which pages, in what order, and when
// to stop. It owns no feed state: each page's jobs go to the caller, who says whether to read on.
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import type { UpstreamClient } from '../upstream/types.ts';

/** What the caller makes of one page: read the next, stop here, or drop the poll altogether. */
export type FeedPageVerdict = 'more' | 'stop' | 'abandon';

export interface FeedPagesOptions {
  upstream: UpstreamClient;
  tenant: Tenant;
  /** Jobs per list call (the upstream allows 1..100). */
  pageSize: number;
  /** Pages per poll at most. */
  maxPages: number;
  signal: AbortSignal;
  /** Called with each page, newest update first; `isFull` when the page may have a successor. */
  onPage: (jobs: readonly SegmentJobModel[], isFull: boolean) => FeedPageVerdict;
}

/** Reads the newest-updated jobs page by page; false when the caller abandoned the poll. */
export async function readFeedPages(options: FeedPagesOptions): Promise<boolean> {
  const { upstream, tenant, pageSize } = options;
  for (let page = 0; page < options.maxPages; page += 1) {
    const result = await upstream.listJobs(
      tenant,
      { start: page * pageSize, limit: pageSize, sort: { field: 'updateTime', direction: 'desc' } },
      { signal: options.signal },
    );
    const isFull = result.hasNext && result.jobs.length >= pageSize;
    const verdict = options.onPage(result.jobs, isFull);
    if (verdict === 'abandon') return false;
    if (verdict === 'stop' || !isFull) break;
  }
  return true;
}
