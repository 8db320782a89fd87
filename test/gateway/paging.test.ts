// Stable cursors through the real gateway and the real embedded Segmentation Service: a page
// after a cursor never repeats a job an earlier page returned and never skips one that existed
// when that page was read, though jobs are created or deleted between pages; forged cursors are
// refused before any upstream call; and each page's upstream list calls are counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobsDocument, type SegmentJobsQuery } from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';

const HEADERS = tenantHeaders('PAGING@AdobeOrg');
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** Upstream list calls one page may make: the re-read of the previous page plus three more. */
const MAX_CALLS_PER_PAGE = 4;

let harness: GatewayHarness;
let definitionId: string;

type Page = SegmentJobsQuery['segmentJobs'];

beforeAll(async () => {
  harness = await startGatewayHarness({ env: { AUTH_MODE: 'passthrough' } });
  [definitionId = ''] = await createDefinitions(harness, HEADERS, ['person.name.firstName = "x"']);
  for (let index = 0; index < 8; index++) await createJob();
  await waitForValue(
    async () => ((await listOnUpstream()).every((job) => FINAL.has(job.status)) ? true : undefined),
    10_000,
    'every job to finish',
  );
});

afterAll(async () => {
  await harness?.close();
});

async function createJob(): Promise<string> {
  const response = await harness.upstreamRest('POST', '/segment/jobs', HEADERS, [
    { segmentId: definitionId },
  ]);
  if (response.status !== 200) throw new Error(`expected a job, but got ${response.status}`);
  return (response.body as { id: string }).id;
}

/** Every job of the tenant, newest first, straight from the embedded service. */
async function listOnUpstream(): Promise<{ id: string; status: string }[]> {
  const response = await harness.upstreamRest('GET', '/segment/jobs?limit=100', HEADERS);
  return (response.body as { children: { id: string; status: string }[] }).children;
}

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

/** Pages to the end; `between` runs before every page but the first. */
async function allPages(
  first: number,
  between?: (pageIndex: number, pages: readonly Page[]) => Promise<void>,
): Promise<{ pages: Page[]; ids: string[]; callsPerPage: number[] }> {
  const pages: Page[] = [];
  const callsPerPage: number[] = [];
  let after: string | null = null;
  for (let index = 0; index < 30; index++) {
    if (index > 0) await between?.(index, pages);
    harness.resetCalls();
    const current: Page = await page(first, after);
    callsPerPage.push(harness.callsTo('GET', '/segment/jobs').length);
    pages.push(current);
    if (!current.pageInfo.hasNextPage) {
      const ids = pages.flatMap((each) => each.edges.map((edge) => edge.node.id));
      return { pages, ids, callsPerPage };
    }
    after = current.pageInfo.endCursor;
  }
  throw new Error('expected the list to end within 30 pages');
}

describe('segmentJobs cursors are stable', () => {
  it('pages with the re-read of the previous page and one more call while nothing changes', async () => {
    const expected = (await listOnUpstream()).map((job) => job.id);
    const { ids, callsPerPage, pages } = await allPages(3);
    expect(ids).toEqual(expected);
    expect(callsPerPage).toEqual([1, 2, 2]);
    expect(pages.every((each) => each.totalCount === expected.length)).toBe(true);
  });

  it('repeats no job of page 1 when jobs are created between page 1 and page 2', async () => {
    const expected = (await listOnUpstream()).map((job) => job.id);
    const created: string[] = [];
    const { ids, callsPerPage } = await allPages(3, async (pageIndex) => {
      if (pageIndex === 1) created.push(await createJob(), await createJob());
    });
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected);
    expect(ids).not.toEqual(expect.arrayContaining(created.slice(0, 1)));
    // Page 2: the re-read of page 1 (all seen), the next page (two seen), one more.
    expect(callsPerPage[1]).toBe(3);
    for (const calls of callsPerPage) expect(calls).toBeLessThanOrEqual(MAX_CALLS_PER_PAGE);
  });

  it('skips no job when a job of page 1 is deleted between page 1 and page 2', async () => {
    await waitForValue(
      async () =>
        (await listOnUpstream()).every((job) => FINAL.has(job.status)) ? true : undefined,
      10_000,
      'every job to finish',
    );
    const expected = (await listOnUpstream()).map((job) => job.id);
    let deleted = '';
    const { ids } = await allPages(3, async (pageIndex, pages) => {
      if (pageIndex !== 1) return;
      deleted = pages[0]?.edges[1]?.node.id ?? '';
      const response = await harness.upstreamRest('DELETE', `/segment/jobs/${deleted}`, HEADERS);
      expect(response.status).toBe(204);
    });
    expect(ids).toEqual(expected);
    expect((await listOnUpstream()).map((job) => job.id)).not.toContain(deleted);
  });
});

/** A real cursor's JSON, changed by `edit`, encoded again: what a forger can send. */
async function forged(edit: (cursor: Record<string, unknown>) => void): Promise<string> {
  const first = await page(2, null);
  const cursor = first.pageInfo.endCursor ?? '';
  const json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  edit(json);
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

describe('forged cursors', () => {
  it.each<[string, (cursor: Record<string, unknown>) => void]>([
    ['a start that smuggles another parameter', (c) => Object.assign(c, { start: '2&status=NEW' })],
    ['a start far too long', (c) => Object.assign(c, { start: '9'.repeat(500) })],
    ['a page size over the maximum', (c) => Object.assign(c, { limit: 10_000 })],
    ['a parameter the gateway never sends', (c) => Object.assign(c, { orgId: 'OTHER@AdobeOrg' })],
    ['a sort the API does not have', (c) => Object.assign(c, { sort: 'imsOrgId:asc' })],
    ['a job id of 1,000 characters', (c) => Object.assign(c, { id: 'x'.repeat(1_000) })],
    ['a sort key of the wrong type', (c) => Object.assign(c, { key: { $gt: 1 } })],
  ])('refuses %s as BAD_USER_INPUT without an upstream call', async (_name, edit) => {
    const after = await forged(edit);
    harness.resetCalls();
    const result = await harness.execute(SegmentJobsDocument, { first: 2, after }, HEADERS);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(
      /^after: expected a cursor from a previous page, but got /,
    );
    expect(harness.calls).toHaveLength(0);
  });

  it('refuses a cursor of another list (other filters) as BAD_USER_INPUT', async () => {
    const first = await page(2, null);
    harness.resetCalls();
    const result = await harness.execute(
      SegmentJobsDocument,
      { first: 2, after: first.pageInfo.endCursor, status: 'FAILED' },
      HEADERS,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/^after: expected a cursor from a previous page/);
    expect(harness.calls).toHaveLength(0);
  });
});
