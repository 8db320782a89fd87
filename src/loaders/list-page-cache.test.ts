import { describe, expect, it } from 'vitest';
import type { JobPage, ListJobsParams } from '../upstream/types.ts';
import type { CacheEvictionReason } from './final-job-cache.ts';
import { createListPageCache, listParamsKey } from './list-page-cache.ts';

function page(totalCount: number): JobPage {
  return { totalCount, pageSize: 20, jobs: [], unreadable: [], hasNext: false };
}

function setup(options: { ttlMs?: number; maxPages?: number } = { ttlMs: 1_000 }) {
  let clockMs = 0;
  const lookups: string[] = [];
  const evictions: [CacheEvictionReason, number | undefined][] = [];
  const cache = createListPageCache({
    ...options,
    now: () => clockMs,
    observer: {
      lookup: (result) => lookups.push(result),
      evicted: (reason, count) => evictions.push([reason, count]),
    },
  });
  const store = (tenantKey: string, params: ListJobsParams, value: JobPage) =>
    cache.settle(cache.mark(tenantKey, params), value);
  return { cache, lookups, evictions, store, advance: (ms: number) => (clockMs += ms) };
}

const first: ListJobsParams = { limit: 20, sort: { field: 'creationTime', direction: 'desc' } };

describe('list page cache', () => {
  it.each<[string, ListJobsParams]>([
    ['another start', { ...first, start: 'abc' }],
    ['another limit', { ...first, limit: 21 }],
    ['another status', { ...first, status: 'FAILED' }],
    ['another sort field', { ...first, sort: { field: 'updateTime', direction: 'desc' } }],
    ['another direction', { ...first, sort: { field: 'creationTime', direction: 'asc' } }],
    ['a property filter', { ...first, properties: ['segments~segmentId==s1'] }],
  ])('keys every parameter: %s is another page', (_name, other) => {
    expect(listParamsKey(other)).not.toBe(listParamsKey(first));
    const { cache, store } = setup();
    store('t', first, page(1));
    expect(cache.get('t', other)).toBeUndefined();
    expect(cache.get('t', { ...first })?.totalCount).toBe(1);
  });

  it('never serves a page to another tenant', () => {
    const { cache, store } = setup();
    store('a', first, page(1));
    expect(cache.get('b', first)).toBeUndefined();
  });

  it('serves a page until the TTL since its read started', () => {
    const { cache, advance, lookups, evictions } = setup();
    const mark = cache.mark('t', first);
    advance(400);
    cache.settle(mark, page(1));
    advance(599);
    expect(cache.get('t', first)).toBeDefined();
    advance(1);
    expect(cache.get('t', first)).toBeUndefined();
    expect(lookups).toEqual(['hit', 'miss']);
    expect(evictions).toEqual([['expired', undefined]]);
  });

  it('drops every page of one tenant, and the page of a read in flight, not the others', () => {
    const { cache, store, evictions } = setup();
    store('a', first, page(1));
    store('a', { ...first, start: 'x' }, page(2));
    store('b', first, page(3));
    const inFlight = cache.mark('a', { ...first, status: 'NEW' });
    cache.dropTenant('a');
    cache.settle(inFlight, page(4));
    expect(cache.get('a', first)).toBeUndefined();
    expect(cache.get('a', { ...first, status: 'NEW' })).toBeUndefined();
    expect(cache.get('b', first)?.totalCount).toBe(3);
    expect(evictions).toEqual([['invalidated', 2]]);
    expect(cache.size).toBe(1);
  });

  it('holds at most maxPages across tenants, the oldest leaving first', () => {
    const { cache, store, evictions } = setup({ ttlMs: 1_000, maxPages: 2 });
    store('a', first, page(1));
    store('b', first, page(2));
    store('c', first, page(3));
    expect([cache.get('a', first), cache.get('b', first), cache.get('c', first)]).toEqual([
      undefined,
      page(2),
      page(3),
    ]);
    expect(evictions).toEqual([['capacity', undefined]]);
  });

  it('is off with a TTL of 0 (the default): stores and counts nothing', () => {
    const { cache, store, lookups } = setup({});
    store('t', first, page(1));
    expect(cache.isOn).toBe(false);
    expect(cache.get('t', first)).toBeUndefined();
    expect(lookups).toEqual([]);
  });
});
