// The gateway-wide job caches in front of the upstream client: final jobs by id and (opt-in)
// list pages, fed by reads and by the watcher's observations, emptied by the gateway's own
// creates and cancels. Operations only are answered from them; the watcher reads the upstream
// itself, and the final jobs its reads return are held on the way (observeReads).
import { isFinal } from '../domain/index.ts';
import type { JobEventBus, JobStatusEvent } from '../pubsub/index.ts';
import type { BulkGetResult, UpstreamClient } from '../upstream/types.ts';
import {
  type CacheEvictionReason,
  createFinalJobCache,
  type FinalJobCache,
} from './final-job-cache.ts';
import { createListPageCache, type ListPageCache } from './list-page-cache.ts';

export type CacheName = 'final_jobs' | 'list_pages';

/** Where cache lookups and evictions are counted (the gateway's metrics). */
export interface CacheRecorder {
  recordCacheLookup(cache: CacheName, result: 'hit' | 'miss'): void;
  recordCacheEviction(cache: CacheName, reason: CacheEvictionReason, count?: number): void;
}

export interface JobCachesOptions {
  /** `FINAL_JOB_CACHE_SIZE`: final jobs held across tenants; 0 turns it off. @default 10000 */
  finalJobMaxEntries?: number | undefined;
  /** `FINAL_JOB_TTL_MS`: how long a final job is served after its read. @default 60000 */
  finalJobTtlMs?: number | undefined;
  /** `LIST_CACHE_TTL_MS`: how long a list page is served; 0 (off) by default. @default 0 */
  listTtlMs?: number | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
  recorder?: CacheRecorder | undefined;
}

export interface JobCaches {
  readonly finalJobs: FinalJobCache;
  readonly listPages: ListPageCache;
  /**
   * The client operations use: bulk-gets answer cached final jobs and ask only for the rest;
   * list pages come from the list cache when it is on; creates and cancels invalidate.
   */
  wrap(upstream: UpstreamClient): UpstreamClient;
  /**
   * A job status the watcher (or a create/cancel nudge) observed: a final job is held, and the
   * tenant's list pages are dropped.
   */
  observe(event: JobStatusEvent): void;
  /** The bus the watcher publishes on: the same bus, each published event observed first. */
  observeBus(bus: JobEventBus): JobEventBus;
  /**
   * The client the watcher reads with: the same calls and answers (never one from a cache), the
   * final jobs its bulk-gets return held on the way. A job already final when a subscription
   * begins is seen by the watcher's first read and published to nobody, so the bus alone would
   * miss it.
   */
  observeReads(upstream: UpstreamClient): UpstreamClient;
}

/** Creates the caches of one gateway. */
export function createJobCaches(options: JobCachesOptions = {}): JobCaches {
  const recorder = options.recorder;
  const observerOf = (cache: CacheName) => ({
    lookup: (result: 'hit' | 'miss') => recorder?.recordCacheLookup(cache, result),
    evicted: (reason: CacheEvictionReason, count?: number) =>
      recorder?.recordCacheEviction(cache, reason, count),
  });
  const finalJobs = createFinalJobCache({
    maxEntries: options.finalJobMaxEntries,
    ttlMs: options.finalJobTtlMs,
    now: options.now,
    observer: observerOf('final_jobs'),
  });
  const listPages = createListPageCache({
    ttlMs: options.listTtlMs,
    now: options.now,
    observer: observerOf('list_pages'),
  });

  function observe(event: JobStatusEvent): void {
    if (isFinal(event.status) && event.job.id === event.jobId) {
      finalJobs.put(event.job, finalJobs.mark(event.tenantKey));
    }
    listPages.dropTenant(event.tenantKey);
  }

  /** A bulk-get of `ids` whose final jobs are held, marked before the call (see `put`). */
  async function bulkGetHolding(
    upstream: UpstreamClient,
    ...[tenant, ids, callOptions]: Parameters<UpstreamClient['bulkGetJobs']>
  ): Promise<BulkGetResult> {
    const mark = finalJobs.mark(tenant.key);
    const fetched = await upstream.bulkGetJobs(tenant, ids, callOptions);
    for (const result of fetched.values()) {
      if (!(result instanceof Error)) finalJobs.put(result, mark);
    }
    return fetched;
  }

  function wrap(upstream: UpstreamClient): UpstreamClient {
    const wrapped: Partial<UpstreamClient> = {
      async bulkGetJobs(tenant, ids, callOptions) {
        const cached: BulkGetResult = new Map();
        const missing: string[] = [];
        for (const id of new Set(ids)) {
          const job = finalJobs.get(tenant.key, id);
          if (job === undefined) missing.push(id);
          else cached.set(id, job);
        }
        if (missing.length === 0) return cached;
        const fetched = await bulkGetHolding(upstream, tenant, missing, callOptions);
        if (cached.size === 0) return fetched;
        const merged: BulkGetResult = new Map();
        for (const id of ids) {
          const result = cached.get(id) ?? fetched.get(id);
          if (result !== undefined) merged.set(id, result);
        }
        return merged;
      },
      async listJobs(tenant, params, callOptions) {
        const hit = listPages.get(tenant.key, params);
        if (hit !== undefined) return hit;
        const listMark = listPages.mark(tenant.key, params);
        const jobMark = finalJobs.mark(tenant.key);
        let page: Awaited<ReturnType<UpstreamClient['listJobs']>> | undefined;
        try {
          page = await upstream.listJobs(tenant, params, callOptions);
          for (const job of page.jobs) finalJobs.put(job, jobMark);
          return page;
        } finally {
          listPages.settle(listMark, page);
        }
      },
      async createJob(tenant, request, callOptions) {
        try {
          return await upstream.createJob(tenant, request, callOptions);
        } finally {
          // Even a failed create may have made a job (a lost response): lists re-read.
          listPages.dropTenant(tenant.key);
        }
      },
      async cancelJob(tenant, id, callOptions) {
        try {
          await upstream.cancelJob(tenant, id, callOptions);
        } finally {
          // Cancelling a final job deletes it; any outcome may have changed the job.
          finalJobs.evict(tenant.key, id);
          listPages.dropTenant(tenant.key);
        }
      },
    };
    return Object.assign(Object.create(upstream) as UpstreamClient, wrapped);
  }

  function observeReads(upstream: UpstreamClient): UpstreamClient {
    const observed: Partial<UpstreamClient> = {
      bulkGetJobs: (tenant, ids, callOptions) => bulkGetHolding(upstream, tenant, ids, callOptions),
    };
    return Object.assign(Object.create(upstream) as UpstreamClient, observed);
  }

  return {
    finalJobs,
    listPages,
    wrap,
    observeReads,
    observe,
    observeBus(bus) {
      return Object.assign(Object.create(bus) as JobEventBus, {
        publish(topic: string, event: JobStatusEvent) {
          observe(event);
          bus.publish(topic, event);
        },
      });
    },
  };
}
