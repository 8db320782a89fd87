// Short-lived upstream list pages per tenant, keyed by tenant and every list parameter (the
// upstream's `start` included), dropped for a whole tenant at its first observed change. Pure: a
// clock is injected; it never calls the upstream. Off (holds nothing) with a TTL of 0.
import type { JobPage, ListJobsParams } from '../upstream/types.ts';
import type { CacheObserver } from './final-job-cache.ts';

export interface ListPageCacheOptions {
  /** How long a page is served after its read started; 0 turns the cache off. @default 0 */
  ttlMs?: number | undefined;
  /** Pages held across all tenants (a page of 100 jobs is about 45 KB). @default 500 */
  maxPages?: number | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
  observer?: CacheObserver | undefined;
}

/** A list read in flight: its page is stored only if its tenant saw no change meanwhile. */
export interface ListReadMark {
  readonly tenantKey: string;
  readonly key: string;
  readonly startedAtMs: number;
  isStale: boolean;
}

export interface ListPageCache {
  readonly isOn: boolean;
  /** The tenant's page for these parameters, or undefined. Counts a hit or a miss. */
  get(tenantKey: string, params: ListJobsParams): JobPage | undefined;
  /** Call before reading the upstream; pass the mark to `settle` whatever the outcome. */
  mark(tenantKey: string, params: ListJobsParams): ListReadMark;
  /** Ends a read: stores `page` unless the tenant changed since `mark` or the read failed. */
  settle(mark: ListReadMark, page: JobPage | undefined): void;
  /** Drops every page of the tenant, and the pages of its reads in flight. */
  dropTenant(tenantKey: string): void;
  readonly size: number;
}

const noObserver: CacheObserver = { lookup() {}, evicted() {} };

/** Every parameter of a list call, in a fixed order: the same request, the same key. */
export function listParamsKey(params: ListJobsParams): string {
  return JSON.stringify([
    params.start ?? null,
    params.limit ?? null,
    params.status ?? null,
    params.sort?.field ?? null,
    params.sort?.direction ?? null,
    params.properties ?? [],
  ]);
}

interface Entry {
  tenantKey: string;
  page: JobPage;
  expiresAtMs: number;
}

/** Creates a list page cache; with `ttlMs` 0 it holds nothing and counts nothing. */
export function createListPageCache(options: ListPageCacheOptions = {}): ListPageCache {
  const ttlMs = options.ttlMs ?? 0;
  const maxPages = options.maxPages ?? 500;
  const now = options.now ?? Date.now;
  const observer = options.observer ?? noObserver;
  const isOn = ttlMs > 0 && maxPages > 0;
  // Per tenant, in insertion order; the total is bounded across tenants (oldest first).
  const byTenant = new Map<string, Map<string, Entry>>();
  const order = new Map<string, Entry>();
  const inFlight = new Map<string, Set<ListReadMark>>();

  const orderKey = (tenantKey: string, key: string): string => `${tenantKey}\n${key}`;

  function remove(entry: Entry, key: string): void {
    order.delete(orderKey(entry.tenantKey, key));
    const pages = byTenant.get(entry.tenantKey);
    pages?.delete(key);
    if (pages?.size === 0) byTenant.delete(entry.tenantKey);
  }

  return {
    isOn,
    get(tenantKey, params) {
      if (!isOn) return undefined;
      const key = listParamsKey(params);
      const entry = byTenant.get(tenantKey)?.get(key);
      if (entry === undefined) {
        observer.lookup('miss');
        return undefined;
      }
      if (entry.expiresAtMs <= now()) {
        remove(entry, key);
        observer.evicted('expired');
        observer.lookup('miss');
        return undefined;
      }
      observer.lookup('hit');
      return entry.page;
    },
    mark(tenantKey, params) {
      const mark: ListReadMark = {
        tenantKey,
        // Off, a mark is stale from the start and its key never read: no key is built.
        key: isOn ? listParamsKey(params) : '',
        startedAtMs: now(),
        isStale: !isOn,
      };
      if (isOn) {
        let marks = inFlight.get(tenantKey);
        if (marks === undefined) {
          marks = new Set();
          inFlight.set(tenantKey, marks);
        }
        marks.add(mark);
      }
      return mark;
    },
    settle(mark, page) {
      const marks = inFlight.get(mark.tenantKey);
      marks?.delete(mark);
      if (marks?.size === 0) inFlight.delete(mark.tenantKey);
      if (mark.isStale || page === undefined) return;
      const expiresAtMs = mark.startedAtMs + ttlMs;
      if (expiresAtMs <= now()) return;
      let pages = byTenant.get(mark.tenantKey);
      if (pages === undefined) {
        pages = new Map();
        byTenant.set(mark.tenantKey, pages);
      }
      const previous = pages.get(mark.key);
      if (previous !== undefined) remove(previous, mark.key);
      const entry: Entry = { tenantKey: mark.tenantKey, page, expiresAtMs };
      pages.set(mark.key, entry);
      order.set(orderKey(mark.tenantKey, mark.key), entry);
      while (order.size > maxPages) {
        const oldest = order.entries().next();
        if (oldest.done === true) break;
        const [composite, victim] = oldest.value;
        remove(victim, composite.slice(victim.tenantKey.length + 1));
        observer.evicted('capacity');
      }
    },
    dropTenant(tenantKey) {
      const marks = inFlight.get(tenantKey);
      if (marks !== undefined) {
        for (const mark of marks) mark.isStale = true;
        inFlight.delete(tenantKey);
      }
      const pages = byTenant.get(tenantKey);
      if (pages === undefined) return;
      byTenant.delete(tenantKey);
      for (const key of pages.keys()) order.delete(orderKey(tenantKey, key));
      observer.evicted('invalidated', pages.size);
    },
    get size() {
      return order.size;
    },
  };
}
