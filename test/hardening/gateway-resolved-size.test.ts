// Jobs whose lists and metric maps are huge, served by a fake upstream over real HTTP to the real
// gateway: an operation that would resolve more list items than GRAPHQL_MAX_RESOLVED_ITEMS ends
// with that one error and sends nothing else; metric maps are read only when a query selects
// them, and a malformed one fails only the metrics of its job.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeUpstream,
  jobListBody,
  jobWithMetrics,
  type MetricSizes,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';

/** The fake tenant's passthrough headers (what `sampleJob` stamps its jobs with). */
const HEADERS = tenantHeaders('ORG1@AdobeOrg', 'prod', 'test-token');

const SEGMENT_METRICS =
  'metrics { segments { segmentId qualified realized exited byNamespace { namespace count } } }';
const EVERY_MAP =
  'metrics { segments { segmentId qualified byNamespace { namespace count } } totalProfilesByMergePolicy { mergePolicyId count } }';

function limitMessage(limit: number): RegExp {
  return new RegExp(
    `^This operation resolves at least (\\d+) list items \\(segments, metric entries, namespaces\\); the limit is ${limit} \\(GRAPHQL_MAX_RESOLVED_ITEMS\\)\\. Ask for fewer jobs or fewer metric fields\\.$`,
  );
}

/** The refusal: no data, exactly one error, BAD_USER_INPUT, naming the count and the limit. */
function expectLimitError(result: GraphQLResponse<unknown>, limit: number): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors ?? [];
  expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
  const count = Number(limitMessage(limit).exec(error?.message ?? '')?.[1]);
  expect(error?.message).toMatch(limitMessage(limit));
  expect(count).toBeGreaterThan(limit);
}

function jobs(count: number, sizes: MetricSizes, overrides: Record<string, unknown> = {}) {
  return Array.from({ length: count }, (_, index) =>
    jobWithMetrics(sizes, { id: `job-${index}`, ...overrides }),
  );
}

/** Bytes of an answer as the client received it (small when no data was sent). */
async function postRaw(harness: GatewayHarness, query: string): Promise<string> {
  const response = await fetch(harness.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...HEADERS },
    body: JSON.stringify({ query }),
  });
  return response.text();
}

describe('the default budget of 20000 resolved list items', () => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    harness = await startGatewayHarness({ upstreamBaseUrl: upstream.baseUrl });
  });
  afterAll(async () => {
    await harness?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.reset();
  });

  function serve(page: readonly unknown[]): void {
    upstream.respondWith('GET /segment/jobs', () => ({ body: jobListBody(page) }));
  }

  it('answers an ordinary page: 100 jobs × 20 segments × 3 namespaces, every list selected', async () => {
    serve(jobs(100, { segments: 20, namespaces: 3 }));
    const result = await harness.post<{
      segmentJobs: {
        edges: {
          node: {
            segments: unknown[];
            metrics: { segments: { byNamespace: unknown[] }[] };
          };
        }[];
      };
    }>(
      {
        query: `{ segmentJobs(first: 100) { edges { node { id segments { id } errors { code } ${SEGMENT_METRICS} } } } }`,
      },
      HEADERS,
    );
    expect(result.errors).toBeUndefined();
    const nodes = result.data?.segmentJobs.edges.map((edge) => edge.node) ?? [];
    expect(nodes).toHaveLength(100);
    for (const node of nodes) {
      expect(node.segments).toHaveLength(20);
      expect(node.metrics.segments).toHaveLength(20);
      for (const entry of node.metrics.segments) expect(entry.byNamespace).toHaveLength(3);
    }
  });

  it('ends a page of 100 jobs × 300 segments × 3 namespaces with the limit error, sending no data', async () => {
    serve(jobs(100, { segments: 300, namespaces: 3 }));
    const text = await postRaw(
      harness,
      `{ segmentJobs(first: 100) { edges { node { id ${SEGMENT_METRICS} } } } }`,
    );
    // Nothing of what was resolved before the limit is serialized.
    expect(text.length).toBeLessThan(1_000);
    expectLimitError({ status: 200, ...JSON.parse(text) }, 20_000);
  });

  it('ends one job whose metric maps hold 30,000 keys each with the limit error', async () => {
    serve(jobs(1, { segments: 30_000, namespaces: 2, mergePolicies: 30_000 }, { segments: [] }));
    const result = await harness.post(
      { query: `{ segmentJobs(first: 1) { edges { node { id ${EVERY_MAP} } } } }` },
      HEADERS,
    );
    expectLimitError(result, 20_000);
  });

  it('ends ten jobs with 5,000-key metric maps with the limit error', async () => {
    serve(jobs(10, { segments: 5_000, namespaces: 2, mergePolicies: 5_000 }, { segments: [] }));
    const result = await harness.post(
      { query: `{ segmentJobs(first: 10) { edges { node { id ${EVERY_MAP} } } } }` },
      HEADERS,
    );
    expectLimitError(result, 20_000);
  });

  it('answers a query that selects no metrics over those ten jobs', async () => {
    serve(jobs(10, { segments: 5_000, namespaces: 2, mergePolicies: 5_000 }, { segments: [] }));
    const result = await harness.post<{ segmentJobs: { edges: unknown[] } }>(
      {
        query:
          '{ segmentJobs(first: 10) { edges { node { id status metrics { totalProfiles } } } } }',
      },
      HEADERS,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJobs.edges).toHaveLength(10);
  });

  it("fails only a malformed metric map's job, as UPSTREAM_UNAVAILABLE, and only when selected", async () => {
    const malformed = sampleJob({
      id: 'job-malformed',
      metrics: { totalProfiles: 3, segmentedProfileCounter: { a: 1, b: 'two' } },
    });
    serve([malformed, jobWithMetrics({ segments: 2 }, { id: 'job-sound' })]);
    const withMaps = await harness.post<{
      segmentJobs: { edges: { node: { id: string; metrics: unknown } }[] };
    }>(
      {
        query:
          '{ segmentJobs(first: 2) { edges { node { id metrics { segments { segmentId } } } } } }',
      },
      HEADERS,
    );
    expect(withMaps.data?.segmentJobs.edges.map((edge) => edge.node.id)).toEqual([
      'job-malformed',
      'job-sound',
    ]);
    expect(withMaps.data?.segmentJobs.edges[0]?.node.metrics).toBeNull();
    expect(withMaps.data?.segmentJobs.edges[1]?.node.metrics).toEqual({
      segments: [{ segmentId: 'segment-0' }, { segmentId: 'segment-1' }],
    });
    expect(withMaps.errors).toHaveLength(1);
    expect(withMaps.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(withMaps.errors?.[0]?.path).toEqual([
      'segmentJobs',
      'edges',
      0,
      'node',
      'metrics',
      'segments',
    ]);
    expect(withMaps.errors?.[0]?.message).toContain(
      'metrics.segmentedProfileCounter.b: expected a number, but got a string',
    );
    // The value itself is never echoed.
    expect(withMaps.errors?.[0]?.message).not.toContain('two');

    const withoutMaps = await harness.post<{ segmentJobs: { edges: unknown[] } }>(
      { query: '{ segmentJobs(first: 2) { edges { node { id metrics { totalProfiles } } } } }' },
      HEADERS,
    );
    expect(withoutMaps.errors).toBeUndefined();
    expect(withoutMaps.data?.segmentJobs.edges).toHaveLength(2);
  });
});

describe('GRAPHQL_MAX_RESOLVED_ITEMS=50', () => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    harness = await startGatewayHarness({
      upstreamBaseUrl: upstream.baseUrl,
      env: { GRAPHQL_MAX_RESOLVED_ITEMS: '50' },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.reset();
  });

  // Segments of the job over the limit and of the one at it; a metric segment counts itself
  // and each of its namespaces.
  it.each<[string, string, number, number]>([
    ['segments', 'segments { id }', 51, 50],
    ['errors', 'errors { code }', 0, 0],
    ['metric segments', 'metrics { segments { segmentId } }', 51, 50],
    ['namespaces', 'metrics { segments { byNamespace { count } } }', 13, 12],
    ['merge policies', 'metrics { totalProfilesByMergePolicy { count } }', 0, 0],
  ])('refuses %s past 50 items and answers at 50', async (_name, selection, over, atLimit) => {
    const errors = Array.from({ length: 51 }, (_, index) => ({ code: String(index), msg: 'x' }));
    const query = `{ segmentJobs(first: 1) { edges { node { id ${selection} } } } }`;
    upstream.respondWith('GET /segment/jobs', () => ({
      body: jobListBody([
        jobWithMetrics({ segments: over, namespaces: 3, mergePolicies: 51 }, { errors }),
      ]),
    }));
    expectLimitError(await harness.post({ query }, HEADERS), 50);

    upstream.reset();
    upstream.respondWith('GET /segment/jobs', () => ({
      body: jobListBody([
        jobWithMetrics(
          { segments: atLimit, namespaces: 3, mergePolicies: 50 },
          { errors: errors.slice(0, 50) },
        ),
      ]),
    }));
    const answered = await harness.post({ query }, HEADERS);
    expect(answered.errors).toBeUndefined();
  });
});
