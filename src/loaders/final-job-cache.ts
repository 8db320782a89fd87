// Final job documents (SUCCEEDED, FAILED, CANCELLED: they never change, only deletion remains),
// keyed by tenant key and job id, size-bounded (LRU) and aged out after a TTL. Pure: a clock is
// injected; it never calls the upstream and never holds a job that is not final.
import { isFinal, type SegmentJobModel } from '../domain/index.ts';

/** Why an entry left the cache. */
export type CacheEvictionReason = 'capacity' | 'expired' | 'invalidated';

/** What a cache reports, for metrics. */
export interface CacheObserver {
  lookup(result: 'hit' | 'miss'): void;
  evicted(reason: CacheEvictionReason, count?: number): void;
}

/**
 * Taken before an upstream read; a read's result is stored only when nothing was invalidated
 * since, and it ages from the moment the read started.
 */
export interface ReadMark {
  readonly tenantKey: string;
  readonly generation: number;
  readonly startedAtMs: number;
}

export interface FinalJobCacheOptions {
  /** Jobs held across all tenants; 0 turns the cache off. @default 10000 */
  maxEntries?: number | undefined;
  /** How long a document is served after it was read or observed. @default 60000 */
  ttlMs?: number | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
  observer?: CacheObserver | undefined;
}

export interface FinalJobCache {
  /** The tenant's final job, or undefined (never another tenant's). Counts a hit or a miss. */
  get(tenantKey: string, jobId: string): SegmentJobModel | undefined;
  /** Call before reading the upstream; pass the mark to `put`. */
  mark(tenantKey: string): ReadMark;
  /**
   * Holds the job when it is final and nothing was evicted since `mark` (an older
   * read must not bring back a job cancelled or deleted meanwhile). Returns whether it did.
   */
  put(job: SegmentJobModel, mark: ReadMark): boolean;
  /** Drops the tenant's job (cancel or delete through the gateway). */
  evict(tenantKey: string, jobId: string): void;
  readonly size: number;
}

const noObserver: CacheObserver = { lookup() {}, evicted() {} };

interface Entry {
  tenantKey: string;
  job: SegmentJobModel;
  expiresAtMs: number;
}

/** Creates a final job cache; with `maxEntries` 0 it holds nothing and counts nothing. */
export function createFinalJobCache(options: FinalJobCacheOptions = {}): FinalJobCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const observer = options.observer ?? noObserver;
  const isOn = maxEntries > 0 && ttlMs > 0;
  // Per tenant by job id: a lookup hashes the id alone, never a joined key. `order` holds every
  // entry in recency order: a hit moves its entry to the end, the front is evicted first.
  const byTenant = new Map<string, Map<string, Entry>>();
  const order = new Set<Entry>();
  // Bumped by every eviction: a read that started before one is not stored. One number for all
  // tenants keeps it bounded; an eviction costs in-flight reads of other tenants their caching.
  let generation = 0;

  const remove = (entry: Entry): void => {
    order.delete(entry);
    const jobs = byTenant.get(entry.tenantKey);
    if (jobs === undefined) return;
    jobs.delete(entry.job.id);
    if (jobs.size === 0) byTenant.delete(entry.tenantKey);
  };

  // Entries are stored in about the order they expire (one TTL from their read), so the expired
  // ones gather at the front: each store drops them there, and memory follows the TTL, not only
  // the size bound, even for entries nobody asks for again.
  const dropExpiredFront = (nowMs: number): void => {
    for (const entry of order) {
      if (entry.expiresAtMs > nowMs) break;
      remove(entry);
      observer.evicted('expired');
    }
  };

  return {
    get(tenantKey, jobId) {
      if (!isOn) return undefined;
      const entry = byTenant.get(tenantKey)?.get(jobId);
      if (entry === undefined) {
        observer.lookup('miss');
        return undefined;
      }
      if (entry.expiresAtMs <= now()) {
        remove(entry);
        observer.evicted('expired');
        observer.lookup('miss');
        return undefined;
      }
      order.delete(entry);
      order.add(entry);
      observer.lookup('hit');
      return entry.job;
    },
    mark(tenantKey) {
      return { tenantKey, generation, startedAtMs: now() };
    },
    put(job, mark) {
      if (!isOn || !isFinal(job.status)) return false;
      if (generation !== mark.generation) return false;
      const expiresAtMs = mark.startedAtMs + ttlMs;
      const nowMs = now();
      if (expiresAtMs <= nowMs) return false;
      let jobs = byTenant.get(mark.tenantKey);
      const previous = jobs?.get(job.id);
      if (previous !== undefined) order.delete(previous);
      dropExpiredFront(nowMs);
      // The front may have taken the tenant's last entry, and its map with it.
      jobs = byTenant.get(mark.tenantKey);
      if (jobs === undefined) {
        jobs = new Map();
        byTenant.set(mark.tenantKey, jobs);
      }
      const entry: Entry = { tenantKey: mark.tenantKey, job, expiresAtMs };
      jobs.set(job.id, entry);
      order.add(entry);
      while (order.size > maxEntries) {
        const oldest = order.values().next();
        if (oldest.done === true) break;
        remove(oldest.value);
        observer.evicted('capacity');
      }
      return true;
    },
    evict(tenantKey, jobId) {
      if (!isOn) return;
      generation += 1;
      const entry = byTenant.get(tenantKey)?.get(jobId);
      if (entry === undefined) return;
      remove(entry);
      observer.evicted('invalidated');
    },
    get size() {
      return order.size;
    },
  };
}
