// Queries against the real gateway and the real embedded Segmentation Service: one job, many
// jobs, the paged list with filters and sorting, argument errors, and the upstream calls each
// operation makes (counted through the client's onCall).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSegmentJobDocument,
  SegmentJobDocument,
  SegmentJobsByIdsDocument,
  SegmentJobsDocument,
  type SegmentJobsQuery,
  type SegmentJobsQueryVariables,
} from '../generated/graphql.ts';
import {
  DEMO_HEADERS,
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
} from '../support/gateway-harness.ts';

const BULK_GET = '/segment/jobs/bulk-get';

let harness: GatewayHarness;
let definitionIds: string[];
let createdIds: string[];

async function demoDefinitionIds(): Promise<string[]> {
  const response = await harness.upstreamRest(
    'GET',
    '/segment/definitions?limit=100',
    DEMO_HEADERS,
  );
  const body = response.body as { segments: { id: string }[] };
  return body.segments.map((definition) => definition.id);
}

async function createJob(segmentIds: string[]): Promise<string> {
  const result = await harness.execute(CreateSegmentJobDocument, { input: { segmentIds } });
  const payload = result.data?.createSegmentJob;
  if (payload?.__typename !== 'CreateSegmentJobSuccess') {
    throw new Error(`expected a created job, but got ${JSON.stringify(result)}`);
  }
  return payload.job.id;
}

async function allPages(
  variables: SegmentJobsQueryVariables,
): Promise<SegmentJobsQuery['segmentJobs'][]> {
  const pages: SegmentJobsQuery['segmentJobs'][] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 50; guard++) {
    const result: GraphQLResponse<SegmentJobsQuery> = await harness.execute(SegmentJobsDocument, {
      ...variables,
      after,
    });
    expect(result.errors).toBeUndefined();
    const page: SegmentJobsQuery['segmentJobs'] | undefined = result.data?.segmentJobs;
    if (!page) throw new Error('expected a page');
    pages.push(page);
    if (!page.pageInfo.hasNextPage) return pages;
    after = page.pageInfo.endCursor;
  }
  throw new Error('expected the list to end within 50 pages');
}

/** An operation asking `segmentJob` once per id, each under its own alias. */
function lookupsOperation(ids: readonly string[]): string {
  return `query Lookups { ${ids.map((id, index) => `j${index}: segmentJob(id: "${id}") { id status }`).join(' ')} }`;
}

beforeAll(async () => {
  harness = await startGatewayHarness({
    // Room for one operation with 250 aliased lookups; the calls counted here are the loaders'
    // batching, so no final job is answered from the cache (test/gateway/job-caches.test.ts).
    env: {
      GRAPHQL_MAX_ALIASES: '300',
      GRAPHQL_MAX_TOKENS: '100000',
      GRAPHQL_MAX_COST: '100000',
      FINAL_JOB_CACHE_SIZE: '0',
    },
  });
  definitionIds = await demoDefinitionIds();
  createdIds = [];
  // Five jobs besides the demo seed's; every other one names the first definition.
  for (let index = 0; index < 5; index++) {
    const segmentIds = index % 2 === 0 ? [definitionIds[0] ?? ''] : [definitionIds[1] ?? ''];
    createdIds.push(await createJob(segmentIds));
  }
});

afterAll(async () => {
  await harness?.close();
});

describe('segmentJob', () => {
  it('returns a job with every field, metrics as lists and times as DateTime', async () => {
    const listed = await harness.execute(SegmentJobsDocument, {
      status: 'SUCCEEDED',
      sort: { field: 'CREATION_TIME', direction: 'ASC' },
      first: 1,
    });
    const id = listed.data?.segmentJobs.edges[0]?.node.id;
    expect(id).toBeDefined();
    const result = await harness.execute(SegmentJobDocument, { id: id ?? '' });
    expect(result.errors).toBeUndefined();
    const job = result.data?.segmentJob;
    expect(job).toMatchObject({
      __typename: 'SegmentJob',
      id,
      status: 'SUCCEEDED',
      isFinal: true,
      imsOrgId: 'DEMO@AdobeOrg',
      sandbox: { sandboxName: 'prod' },
    });
    expect(job?.creationTime).toBe(new Date(job?.creationTimeMs ?? Number.NaN).toISOString());
    expect(job?.metrics?.totalProfiles).toBe(60);
    expect(job?.metrics?.segments.length).toBeGreaterThan(0);
    for (const entry of job?.metrics?.segments ?? []) {
      expect(typeof entry.qualified).toBe('number');
      expect(entry.byNamespace.every((count) => count.count >= 0)).toBe(true);
    }
    expect(job?.metrics?.totalProfilesByMergePolicy[0]?.count).toBe(60);
    expect(job?.metrics?.totalTime?.endTime).toBe(
      new Date(job?.metrics?.totalTime?.endTimeInMs ?? Number.NaN).toISOString(),
    );
  });

  it('answers null, not an error, for an id the upstream does not know', async () => {
    const result = await harness.execute(SegmentJobDocument, { id: randomUUID() });
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJob).toBeNull();
  });

  it('refuses an empty id as BAD_USER_INPUT without an upstream call', async () => {
    harness.resetCalls();
    const result = await harness.execute(SegmentJobDocument, { id: '' });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(harness.calls).toHaveLength(0);
  });

  it.each([1, 10, 100, 250])(
    'turns %i lookups in one operation into ceil(K/100) bulk-gets and no single GETs',
    async (count) => {
      const ids = Array.from({ length: count }, (_, index) =>
        index < createdIds.length ? (createdIds[index] ?? '') : randomUUID(),
      );
      harness.resetCalls();
      const result = await harness.post<Record<string, { id: string } | null>>({
        query: lookupsOperation(ids),
      });
      expect(result.errors).toBeUndefined();
      const found = Object.values(result.data ?? {}).filter((job) => job !== null);
      expect(found).toHaveLength(Math.min(count, createdIds.length));
      expect(harness.callsTo('POST', BULK_GET)).toHaveLength(Math.ceil(count / 100));
      expect(harness.calls.filter((call) => call.method === 'GET')).toHaveLength(0);
      expect(harness.calls).toHaveLength(Math.ceil(count / 100));
    },
  );

  it('asks for a duplicated id once', async () => {
    const id = createdIds[0] ?? '';
    harness.resetCalls();
    const result = await harness.post<Record<string, { id: string } | null>>({
      query: lookupsOperation([id, id, id]),
    });
    expect(Object.values(result.data ?? {}).map((job) => job?.id)).toEqual([id, id, id]);
    expect(harness.calls).toHaveLength(1);
  });

  it.each([
    [
      'after',
      'list: segmentJobs(first: 100) { edges { node { id } } } a: segmentJob(id: $a) { id } b: segmentJob(id: $b) { id }',
    ],
    [
      'before',
      'a: segmentJob(id: $a) { id } b: segmentJob(id: $b) { id } list: segmentJobs(first: 100) { edges { node { id } } }',
    ],
  ])(
    'makes no call for listed jobs looked up in the same operation (lookups %s the list)',
    async (_order, fields) => {
      harness.resetCalls();
      const result = await harness.post<{
        list: { edges: { node: { id: string } }[] };
        a: { id: string } | null;
        b: { id: string } | null;
      }>({
        query: `query ListThenLookups($a: ID!, $b: ID!) { ${fields} }`,
        variables: { a: createdIds[0], b: createdIds[1] },
      });
      expect(result.errors).toBeUndefined();
      expect(result.data?.list.edges.map((edge) => edge.node.id)).toEqual(
        expect.arrayContaining([createdIds[0], createdIds[1]]),
      );
      expect([result.data?.a?.id, result.data?.b?.id]).toEqual([createdIds[0], createdIds[1]]);
      expect(harness.calls).toHaveLength(1);
      expect(harness.callsTo('GET', '/segment/jobs')).toHaveLength(1);
    },
  );

  it('still batches lookups of ids the list did not return into one bulk-get', async () => {
    harness.resetCalls();
    const result = await harness.post<{ a: { id: string } | null; b: null }>({
      query: `query ListAndOthers($a: ID!, $b: ID!) {
        list: segmentJobs(first: 1, sort: { field: CREATION_TIME, direction: ASC }) { totalCount }
        a: segmentJob(id: $a) { id }
        b: segmentJob(id: $b) { id }
      }`,
      variables: { a: createdIds.at(-1), b: randomUUID() },
    });
    expect(result.data?.a?.id).toBe(createdIds.at(-1));
    expect(result.data?.b).toBeNull();
    expect(harness.callsTo('GET', '/segment/jobs')).toHaveLength(1);
    expect(harness.callsTo('POST', BULK_GET)).toHaveLength(1);
    expect(harness.calls).toHaveLength(2);
  });
});

describe('segmentJobsByIds', () => {
  it('returns jobs in the order asked with null for unknown ids, in one bulk-get', async () => {
    const unknown = randomUUID();
    const ids = [createdIds[1] ?? '', unknown, createdIds[0] ?? ''];
    harness.resetCalls();
    const result = await harness.execute(SegmentJobsByIdsDocument, { ids });
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJobsByIds.map((job) => job?.id ?? null)).toEqual([
      createdIds[1],
      null,
      createdIds[0],
    ]);
    expect(harness.callsTo('POST', BULK_GET)).toHaveLength(1);
    expect(harness.calls).toHaveLength(1);
  });

  it.each([
    ['no ids', [] as string[], /expected 1 to 100 job ids, but got 0/],
    ['101 ids', Array.from({ length: 101 }, () => randomUUID()), /but got 101/],
  ])('refuses %s as BAD_USER_INPUT', async (_name, ids, message) => {
    harness.resetCalls();
    const result = await harness.execute(SegmentJobsByIdsDocument, { ids });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(harness.calls).toHaveLength(0);
  });
});

describe('segmentJobs', () => {
  it('pages forward through every job, re-reading the previous upstream page, totalCount on each', async () => {
    harness.resetCalls();
    const pages = await allPages({ first: 2 });
    const total = pages[0]?.totalCount ?? 0;
    const listed = await harness.upstreamRest('GET', '/segment/jobs?limit=1', DEMO_HEADERS);
    expect(total).toBe((listed.body as { _page: { totalCount: number } })._page.totalCount);
    expect(total).toBeGreaterThanOrEqual(createdIds.length);
    expect(pages).toHaveLength(Math.ceil(total / 2));
    expect(pages.every((page) => page.totalCount === total)).toBe(true);
    const ids = pages.flatMap((page) => page.edges.map((edge) => edge.node.id));
    expect(new Set(ids).size).toBe(total);
    expect(ids).toEqual(expect.arrayContaining(createdIds));
    expect(pages[0]?.pageInfo.hasPreviousPage).toBe(false);
    expect(pages.slice(1).every((page) => page.pageInfo.hasPreviousPage)).toBe(true);
    expect(pages.at(-1)?.pageInfo.hasNextPage).toBe(false);
    // The first page is one call; each later one re-reads the upstream page before it, then reads on.
    expect(harness.calls).toHaveLength(1 + 2 * (pages.length - 1));
    expect(harness.callsTo('GET', '/segment/jobs')).toHaveLength(harness.calls.length);
  });

  it('lists newest first by default', async () => {
    const pages = await allPages({ first: 100 });
    const created = pages.flatMap((page) =>
      page.edges.map((edge) => edge.node.creationTimeMs ?? 0),
    );
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it.each([
    ['CREATION_TIME', 'ASC', 'creationTimeMs'],
    ['UPDATE_TIME', 'DESC', 'updateTimeMs'],
  ] as const)('sorts by %s %s', async (field, direction, key) => {
    const pages = await allPages({ first: 3, sort: { field, direction } });
    const values = pages.flatMap((page) => page.edges.map((edge) => edge.node[key] ?? 0));
    const sorted = [...values].sort((a, b) => (direction === 'ASC' ? a - b : b - a));
    expect(values).toEqual(sorted);
  });

  it('sorts by STATUS', async () => {
    const pages = await allPages({ first: 100, sort: { field: 'STATUS', direction: 'ASC' } });
    const statuses = pages.flatMap((page) => page.edges.map((edge) => edge.node.status));
    expect(statuses).toEqual([...statuses].sort());
  });

  it('filters by status', async () => {
    const pages = await allPages({ first: 100, status: 'SUCCEEDED' });
    const statuses = pages.flatMap((page) => page.edges.map((edge) => edge.node.status));
    expect(statuses.length).toBe(pages[0]?.totalCount);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['SUCCEEDED']));
  });

  it('filters by segment definition', async () => {
    const segmentId = definitionIds[1] ?? '';
    const pages = await allPages({ first: 100, segmentId });
    const jobs = pages.flatMap((page) => page.edges.map((edge) => edge.node));
    expect(jobs.length).toBe(pages[0]?.totalCount);
    // Two of the created jobs name it; the demo's segment-list job names it too.
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(jobs.map((job) => job.id)).toEqual(
      expect.arrayContaining([createdIds[1], createdIds[3]]),
    );
    for (const job of jobs) expect(job.segments.map((segment) => segment.id)).toContain(segmentId);
  });

  it('answers an empty page for a segment no job names', async () => {
    const result = await harness.execute(SegmentJobsDocument, { segmentId: randomUUID() });
    expect(result.data?.segmentJobs).toMatchObject({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, startCursor: null, endCursor: null },
    });
  });

  it.each([
    ['first = 0', { first: 0 }, /first: expected 1 to 100, but got 0/],
    ['first = 101', { first: 101 }, /first: expected 1 to 100, but got 101/],
    [
      'a made-up cursor',
      { after: 'not-a-cursor' },
      /after: expected a cursor from a previous page, but got/,
    ],
    [
      'a cursor of another shape',
      { after: Buffer.from('offset:3').toString('base64url') },
      /after: expected a cursor/,
    ],
  ] as const)(
    'refuses %s as BAD_USER_INPUT without an upstream call',
    async (_n, vars, message) => {
      harness.resetCalls();
      const result = await harness.execute(SegmentJobsDocument, vars);
      expect(result.data).toBeNull();
      expect(result.errors).toHaveLength(1);
      expect(result.errors?.[0]?.message).toMatch(message);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(harness.calls).toHaveLength(0);
    },
  );
});
