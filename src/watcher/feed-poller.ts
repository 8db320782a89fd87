// The tenant feed's poll: the first read is a baseline, later reads report what changed, and a
// read pages on only while a page holds nothing but updates. Owns whether the baseline is taken;
// the states it compares against and what an observation means belong to the tenant poller.
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import type { UpstreamClient } from '../upstream/types.ts';
import { readFeedPages } from './feed-pages.ts';

export interface FeedPollerOptions {
  upstream: UpstreamClient;
  pageSize: number;
  maxPages: number;
  signal: AbortSignal;
  now: () => number;
  /** Whether the feed would count this listed job as an update (it pages on while all are). */
  isUpdate: (job: SegmentJobModel) => boolean;
  /** Applies one listed job. */
  observe: (job: SegmentJobModel, observedAt: number, isBaseline: boolean) => void;
  /**
   * Start without a baseline: the states compared against already hold what was listed
   * before (another replica's, kept in Redis). @default false
   */
  isBaselined?: boolean | undefined;
  /** Told when a baseline read starts: changes before it are absorbed, never published. */
  onBaseline?: (() => void) | undefined;
}

export interface FeedPoller {
  /** Lists the newest jobs; resolves with the ids it saw (none when cancelled). */
  poll(tenant: Tenant): Promise<Set<string>>;
  readonly isBaselined: boolean;
  /** Abandons a poll in flight: its later pages are neither read nor applied. */
  cancel(): void;
}

export function createFeedPoller(options: FeedPollerOptions): FeedPoller {
  let isBaselined = options.isBaselined === true;
  let isCancelled = false;
  return {
    async poll(tenant) {
      const listed = new Set<string>();
      if (isCancelled) return listed;
      const isBaseline = !isBaselined;
      if (isBaseline) options.onBaseline?.();
      const isComplete = await readFeedPages({
        upstream: options.upstream,
        tenant,
        pageSize: options.pageSize,
        maxPages: options.maxPages,
        signal: options.signal,
        onPage: (pageJobs) => {
          if (isCancelled) return 'abandon';
          const observedAt = options.now();
          let updated = 0;
          for (const job of pageJobs) {
            // Jobs shift between pages while we read them: take each once.
            if (listed.has(job.id)) continue;
            listed.add(job.id);
            if (options.isUpdate(job)) updated += 1;
            options.observe(job, observedAt, isBaseline);
          }
          return isBaseline || updated !== pageJobs.length ? 'stop' : 'more';
        },
      });
      if (isComplete && !isCancelled) isBaselined = true;
      return listed;
    },
    get isBaselined() {
      return isBaselined;
    },
    cancel() {
      isCancelled = true;
    },
  };
}
