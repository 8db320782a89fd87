import { describe, expect, it } from 'vitest';
import type { SegmentJobModel, SegmentJobStatus } from '../domain/index.ts';
import { type CacheEvictionReason, createFinalJobCache } from './final-job-cache.ts';

function job(id: string, status: SegmentJobStatus, orgId = 'A@AdobeOrg'): SegmentJobModel {
  return { id, imsOrgId: orgId, status, segments: [{ segmentId: 's1' }] };
}

function setup(options: { maxEntries?: number; ttlMs?: number } = {}) {
  let clockMs = 1_000;
  const lookups: string[] = [];
  const evictions: CacheEvictionReason[] = [];
  const cache = createFinalJobCache({
    ...options,
    now: () => clockMs,
    observer: {
      lookup: (result) => lookups.push(result),
      evicted: (reason) => evictions.push(reason),
    },
  });
  return {
    cache,
    lookups,
    evictions,
    advance(ms: number) {
      clockMs += ms;
    },
  };
}

describe('final job cache', () => {
  it.each<[SegmentJobStatus, boolean]>([
    ['NEW', false],
    ['QUEUED', false],
    ['PROCESSING', false],
    ['CANCELLING', false],
    ['SUCCEEDED', true],
    ['FAILED', true],
    ['CANCELLED', true],
  ])('holds a %s job: %s', (status, isHeld) => {
    const { cache } = setup();
    expect(cache.put(job('j1', status), cache.mark('t1'))).toBe(isHeld);
    expect(cache.get('t1', 'j1')?.status).toBe(isHeld ? status : undefined);
  });

  it('keeps the same job id of two tenants apart', () => {
    const { cache } = setup();
    cache.put(job('same', 'SUCCEEDED', 'A@AdobeOrg'), cache.mark('tenant-a'));
    expect(cache.get('tenant-b', 'same')).toBeUndefined();
    cache.put(job('same', 'FAILED', 'B@AdobeOrg'), cache.mark('tenant-b'));
    expect(cache.get('tenant-a', 'same')).toMatchObject({ imsOrgId: 'A@AdobeOrg' });
    expect(cache.get('tenant-b', 'same')).toMatchObject({ imsOrgId: 'B@AdobeOrg' });
    cache.evict('tenant-a', 'same');
    expect(cache.get('tenant-a', 'same')).toBeUndefined();
    expect(cache.get('tenant-b', 'same')?.status).toBe('FAILED');
  });

  it('serves an entry until the TTL since its read started, then drops it as expired', () => {
    const { cache, advance, lookups, evictions } = setup({ ttlMs: 100 });
    const mark = cache.mark('t');
    advance(30);
    cache.put(job('j', 'SUCCEEDED'), mark);
    advance(69);
    expect(cache.get('t', 'j')).toBeDefined();
    advance(1);
    expect(cache.get('t', 'j')).toBeUndefined();
    expect(lookups).toEqual(['hit', 'miss']);
    expect(evictions).toEqual(['expired']);
    expect(cache.size).toBe(0);
  });

  it('drops expired entries when it stores another, even if nobody asks for them again', () => {
    const { cache, evictions, advance } = setup({ ttlMs: 100 });
    for (const id of ['a', 'b', 'c']) cache.put(job(id, 'SUCCEEDED'), cache.mark('tenant-a'));
    advance(100);
    cache.put(job('d', 'SUCCEEDED'), cache.mark('tenant-a'));
    expect(cache.size).toBe(1);
    expect(evictions).toEqual(['expired', 'expired', 'expired']);
    expect(cache.get('tenant-a', 'd')?.id).toBe('d');
  });

  it('drops the least recently used entry beyond its size', () => {
    const { cache, evictions } = setup({ maxEntries: 2 });
    cache.put(job('a', 'SUCCEEDED'), cache.mark('t'));
    cache.put(job('b', 'SUCCEEDED'), cache.mark('t'));
    cache.get('t', 'a');
    cache.put(job('c', 'SUCCEEDED'), cache.mark('t'));
    expect(cache.size).toBe(2);
    expect(['a', 'b', 'c'].map((id) => cache.get('t', id) !== undefined)).toEqual([
      true,
      false,
      true,
    ]);
    expect(evictions).toEqual(['capacity']);
  });

  it('drops the least recently used entry of any tenant beyond its size', () => {
    const { cache, evictions } = setup({ maxEntries: 3 });
    cache.put(job('a', 'SUCCEEDED'), cache.mark('t1'));
    cache.put(job('a', 'FAILED'), cache.mark('t2'));
    cache.put(job('b', 'SUCCEEDED'), cache.mark('t1'));
    cache.get('t1', 'a');
    // Stored again: t1's b becomes the most recent, so t2's a is the oldest.
    cache.put(job('b', 'CANCELLED'), cache.mark('t1'));
    cache.put(job('c', 'SUCCEEDED'), cache.mark('t2'));
    expect(cache.size).toBe(3);
    expect(evictions).toEqual(['capacity']);
    expect(cache.get('t2', 'a')).toBeUndefined();
    expect(cache.get('t1', 'a')?.status).toBe('SUCCEEDED');
    expect(cache.get('t1', 'b')?.status).toBe('CANCELLED');
    expect(cache.get('t2', 'c')?.status).toBe('SUCCEEDED');
  });

  it('drops expired entries of every tenant at the front, then stores the new one', () => {
    const { cache, evictions, advance } = setup({ ttlMs: 100 });
    cache.put(job('a', 'SUCCEEDED'), cache.mark('t1'));
    cache.put(job('a', 'SUCCEEDED'), cache.mark('t2'));
    advance(50);
    cache.put(job('b', 'SUCCEEDED'), cache.mark('t1'));
    advance(50);
    cache.put(job('b', 'FAILED'), cache.mark('t1'));
    expect(evictions).toEqual(['expired', 'expired']);
    expect(cache.size).toBe(1);
    expect(cache.get('t1', 'b')?.status).toBe('FAILED');
    cache.put(job('a', 'SUCCEEDED'), cache.mark('t2'));
    expect(cache.get('t2', 'a')?.status).toBe('SUCCEEDED');
    // Storing drops the tenant's only other entry first: the new one is still found.
    advance(100);
    cache.put(job('c', 'SUCCEEDED'), cache.mark('t2'));
    expect(cache.get('t2', 'c')?.status).toBe('SUCCEEDED');
    expect(cache.get('t2', 'a')).toBeUndefined();
  });

  it('does not store a read that started before an eviction (a cancel raced it)', () => {
    const { cache, evictions } = setup();
    cache.put(job('j', 'SUCCEEDED'), cache.mark('t'));
    const olderRead = cache.mark('t');
    cache.evict('t', 'j');
    expect(cache.put(job('j', 'SUCCEEDED'), olderRead)).toBe(false);
    expect(cache.get('t', 'j')).toBeUndefined();
    expect(cache.put(job('j', 'SUCCEEDED'), cache.mark('t'))).toBe(true);
    expect(evictions).toEqual(['invalidated']);
  });

  it('holds and counts nothing with a size of 0', () => {
    const { cache, lookups } = setup({ maxEntries: 0 });
    expect(cache.put(job('j', 'SUCCEEDED'), cache.mark('t'))).toBe(false);
    expect(cache.get('t', 'j')).toBeUndefined();
    expect(lookups).toEqual([]);
  });
});
