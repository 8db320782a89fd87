import { describe, expect, it } from 'vitest';
import type { SegmentJobModel } from '../domain/index.ts';
import { MAX_LIST_CALLS_PER_PAGE, readJobsAfter } from './job-pager.ts';
import type { ListPosition } from './list-paging.ts';
import type { JobPage, ListJobsParams } from './types.ts';

/** An upstream over 0-based offsets, newest first, that counts its list calls. */
function offsetUpstream(jobs: SegmentJobModel[]) {
  let calls = 0;
  const list = async (params: ListJobsParams): Promise<JobPage> => {
    calls += 1;
    const all = [...jobs].sort((a, b) => (b.creationTime ?? 0) - (a.creationTime ?? 0));
    const start = Number(params.start ?? 0);
    const limit = params.limit ?? 20;
    const page = all.slice(start, start + limit);
    const hasNext = start + limit < all.length;
    return {
      totalCount: all.length,
      pageSize: page.length,
      jobs: page,
      hasNext,
      next: hasNext ? { ...params, start: String(start + limit) } : undefined,
    } as JobPage;
  };
  return { list, calls: () => calls };
}

function jobs(count: number, from = 0): SegmentJobModel[] {
  return Array.from(
    { length: count },
    (_, index) => ({ id: `j${from + index}`, creationTime: from + index }) as SegmentJobModel,
  );
}

const first: ListPosition = {
  params: { limit: 3, sort: { field: 'creationTime', direction: 'desc' } },
};

describe('readJobsAfter', () => {
  it.each<[string, number, number, number]>([
    // created between pages, list calls of page 2, jobs on page 2
    ['nothing changed', 0, 2, 3],
    ['two jobs created', 2, 3, 3],
    ['five jobs created', 5, 4, 3],
    ['seven jobs created: the budget is spent, the page is short', 7, 4, 2],
    ['ten jobs created: an empty page that still moves on', 10, 4, 0],
  ])('%s', async (_name, created, calls, served) => {
    const held = jobs(12);
    const upstream = offsetUpstream(held);
    const page1 = await readJobsAfter(upstream.list, first, 3);
    expect(upstream.calls()).toBe(1);
    held.push(...jobs(created, 100));
    const page2 = await readJobsAfter(upstream.list, page1.end, 3);
    expect(upstream.calls() - 1).toBe(calls);
    expect(calls).toBeLessThanOrEqual(MAX_LIST_CALLS_PER_PAGE);
    expect(page2.jobs).toHaveLength(served);
    expect(page2.hasMore).toBe(true);
    // Reading on from there: every old job once, none of the new ones.
    const seen = [...page1.jobs, ...page2.jobs].map((paged) => paged.job.id);
    let position = page2.end;
    for (let guard = 0; guard < 20; guard++) {
      const next = await readJobsAfter(upstream.list, position, 3);
      seen.push(...next.jobs.map((paged) => paged.job.id));
      if (!next.hasMore) break;
      position = next.end;
    }
    expect(seen).toEqual(
      jobs(12)
        .map((job) => job.id)
        .reverse(),
    );
  });
});
