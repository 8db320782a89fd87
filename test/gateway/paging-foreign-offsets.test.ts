// segmentJobs over an upstream whose `start` is not a 0-based offset (1-based positions, or a
// created-time token like Adobe's `start=109103839`): the real gateway over real HTTP follows
// each page's `_links.next.href` and neither skips nor repeats a job, even when jobs are created
// or deleted between pages. The fake only emulates those semantics; it holds plain sample jobs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobsDocument, type SegmentJobsQuery } from '../generated/graphql.ts';
import {
  createFakeJobListing,
  type FakeStartSemantics,
  type FakeUpstream,
  fakeTenant,
  type RecordedRequest,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';

const TENANT = fakeTenant();
const HEADERS = tenantHeaders(TENANT.orgId, TENANT.sandboxName, 'test-token');
/** Upstream list calls one page may make: the re-read of the previous page plus three more. */
const MAX_CALLS_PER_PAGE = 4;

let fake: FakeUpstream;
let harness: GatewayHarness;

beforeAll(async () => {
  fake = await startFakeUpstream();
  harness = await startGatewayHarness({ upstreamBaseUrl: fake.baseUrl });
});

afterEach(() => {
  fake.reset();
});

afterAll(async () => {
  await harness?.close();
  await fake?.close();
});

/** Ten jobs created a second apart, newest last, times in the range of Adobe's example token. */
function tenJobs(): Record<string, unknown>[] {
  return Array.from({ length: 10 }, (_, index) =>
    sampleJob({
      id: `job-${String(index).padStart(2, '0')}`,
      status: 'SUCCEEDED',
      creationTime: 109_103_000 + index * 1_000,
      updateTime: 109_103_000 + index * 1_000,
    }),
  );
}

function newestFirst(jobs: readonly Record<string, unknown>[]): string[] {
  return [...jobs]
    .sort((a, b) => Number(b.creationTime) - Number(a.creationTime))
    .map((job) => String(job.id));
}

type Page = SegmentJobsQuery['segmentJobs'];

async function page(first: number, after: string | null): Promise<Page> {
  const result: GraphQLResponse<SegmentJobsQuery> = await harness.execute(
    SegmentJobsDocument,
    { first, after },
    HEADERS,
  );
  expect(result.errors).toBeUndefined();
  const data = result.data?.segmentJobs;
  if (data === undefined) throw new Error(`expected a page, but got ${JSON.stringify(result)}`);
  return data;
}

/** Every page in turn, with the list requests each one made at the fake. */
async function allPages(
  first: number,
  between?: (pageIndex: number) => void,
): Promise<{ ids: string[]; callsPerPage: number[] }> {
  const ids: string[] = [];
  const callsPerPage: number[] = [];
  let after: string | null = null;
  for (let index = 0; index < 30; index++) {
    if (index > 0) between?.(index);
    const before = listRequests().length;
    const current: Page = await page(first, after);
    callsPerPage.push(listRequests().length - before);
    ids.push(...current.edges.map((edge) => edge.node.id));
    if (!current.pageInfo.hasNextPage) return { ids, callsPerPage };
    after = current.pageInfo.endCursor;
  }
  throw new Error('expected the list to end within 30 pages');
}

function listRequests(): RecordedRequest[] {
  return fake.requests.filter((request) => request.method === 'GET');
}

describe.each<[FakeStartSemantics, 'relative' | 'foreign']>([
  ['one-based', 'relative'],
  ['created-time', 'relative'],
  ['created-time', 'foreign'],
])('an upstream whose start is %s (next href %s)', (semantics, hrefStyle) => {
  it('pages through every job once, sending only starts the upstream gave', async () => {
    const jobs = tenJobs();
    fake.respondWith('GET /segment/jobs', createFakeJobListing({ semantics, jobs, hrefStyle }));
    const { ids, callsPerPage } = await allPages(3);
    expect(ids).toEqual(newestFirst(jobs));
    const requests = listRequests();
    // The first page is the gateway's own: no start, its limit, its sort.
    expect(requests[0]?.query.has('start')).toBe(false);
    expect(requests[0]?.query.get('limit')).toBe('3');
    expect(requests[0]?.query.get('sort')).toBe('creationTime:desc');
    // Later pages: only the query of a next href, against the configured base and path.
    for (const request of requests) {
      expect(request.path).toBe('/segment/jobs');
      expect([...request.query.keys()].every((name) => name !== 'totalCount')).toBe(true);
    }
    for (const calls of callsPerPage) expect(calls).toBeLessThanOrEqual(MAX_CALLS_PER_PAGE);
    // No change between pages: the re-read of the previous page and the next one.
    expect(callsPerPage).toEqual([1, 2, 2, 2]);
  });

  it('neither repeats nor skips when jobs are created between pages', async () => {
    const jobs = tenJobs();
    const before = newestFirst(jobs);
    fake.respondWith('GET /segment/jobs', createFakeJobListing({ semantics, jobs, hrefStyle }));
    const { ids, callsPerPage } = await allPages(3, (pageIndex) => {
      if (pageIndex !== 1) return;
      for (const offset of [1, 2]) {
        jobs.push(
          sampleJob({
            id: `new-${offset}`,
            status: 'NEW',
            creationTime: 109_200_000 + offset,
            updateTime: 109_200_000 + offset,
          }),
        );
      }
    });
    expect(ids).toEqual(before);
    for (const calls of callsPerPage) expect(calls).toBeLessThanOrEqual(MAX_CALLS_PER_PAGE);
  });

  it('does not skip a job when a job of an earlier page is deleted between pages', async () => {
    const jobs = tenJobs();
    const before = newestFirst(jobs);
    fake.respondWith('GET /segment/jobs', createFakeJobListing({ semantics, jobs, hrefStyle }));
    const deleted = before[1];
    const { ids } = await allPages(3, (pageIndex) => {
      if (pageIndex !== 1) return;
      jobs.splice(
        jobs.findIndex((job) => job.id === deleted),
        1,
      );
    });
    expect(ids).toEqual(before);
  });
});
