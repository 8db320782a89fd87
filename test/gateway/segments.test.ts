// Segments over the real gateway and the real embedded Segmentation Service: definition fields on
// jobs, in metrics and by id; a deleted definition; the definitions list and its paging; a
// definition's jobs and history (checked against the service's own REST answers); and the
// upstream calls each costs (counted through the client's onCall).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSegmentJobWithNamesDocument,
  SegmentDocument,
  SegmentHistoryDocument,
  SegmentJobsOfSegmentDocument,
  SegmentJobsWithNamesDocument,
  SegmentJobsWithSnapshotsDocument,
  SegmentJobWithNamesDocument,
  SegmentsDocument,
  type SegmentsQuery,
} from '../generated/graphql.ts';
import {
  DEMO_HEADERS,
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
  waitForValue,
} from '../support/gateway-harness.ts';

const DEFINITIONS_BULK_GET = '/segment/definitions/bulk-get';

interface RestDefinition {
  id: string;
  name: string;
  creationTime: number;
}

interface RestJob {
  id: string;
  status: string;
  creationTime: number;
  segments: { segmentId?: string }[];
  metrics?: {
    segmentedProfileCounter?: Record<string, number>;
    segmentedProfileByStatusCounter?: Record<string, { realized?: number; exited?: number }>;
    segmentedProfileByNamespaceCounter?: Record<string, Record<string, number>>;
  };
}

let harness: GatewayHarness;
let definitions: RestDefinition[];
/** Jobs this suite created, in creation order. */
let createdJobIds: string[];

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await harness.upstreamRest(method, path, DEMO_HEADERS, body);
  if (response.status >= 300) {
    throw new Error(`expected ${method} ${path} to succeed, but got ${response.status}`);
  }
  return response.body as T;
}

/** Every job of the demo tenant, read straight from the service, page by page. */
async function allRestJobs(): Promise<RestJob[]> {
  const jobs: RestJob[] = [];
  let path: string | undefined = '/segment/jobs?limit=100';
  while (path !== undefined) {
    const page: { children: RestJob[]; _links?: { next?: { href?: string } } } = await rest(
      'GET',
      path,
    );
    jobs.push(...page.children);
    const href = page._links?.next?.href;
    path = href === undefined || href === '' ? undefined : href.slice(href.indexOf('/segment'));
  }
  return jobs;
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

beforeAll(async () => {
  harness = await startGatewayHarness({ env: { GRAPHQL_MAX_COST: '100000' } });
  const listed = await rest<{ segments: RestDefinition[] }>(
    'GET',
    '/segment/definitions?limit=100',
  );
  definitions = listed.segments;
  expect(definitions.length).toBeGreaterThanOrEqual(6);
  // 20 jobs over the first 6 definitions, one definition each, round robin.
  createdJobIds = [];
  for (let index = 0; index < 20; index++) {
    const definition = definitions[index % 6];
    const job = await rest<{ id: string }>('POST', '/segment/jobs', [
      { segmentId: definition?.id },
    ]);
    createdJobIds.push(job.id);
  }
  await waitForValue(
    async () => {
      const jobs = await allRestJobs();
      return jobs.every((job) => FINAL.has(job.status)) ? true : undefined;
    },
    20_000,
    'every job to finish',
  );
});

afterAll(async () => {
  await harness?.close();
});

describe('segment names on jobs', () => {
  it('costs 1 list call and 1 definitions bulk-get for 20 jobs over 6 definitions', async () => {
    harness.resetCalls();
    const result = await harness.execute(SegmentJobsWithNamesDocument, { first: 20 });
    expect(result.errors).toBeUndefined();
    const jobs = result.data?.segmentJobs.edges.map((edge) => edge.node) ?? [];
    expect(jobs.map((job) => job.id)).toEqual([...createdJobIds].reverse());
    const byId = new Map(definitions.map((definition) => [definition.id, definition.name]));
    for (const job of jobs) {
      expect(job.segments).toHaveLength(1);
      const [segment] = job.segments;
      expect(segment?.name).toBe(byId.get(segment?.id ?? ''));
      expect(segment?.isDeleted).toBe(false);
      // metrics → segment: the same definition, the same name.
      for (const entry of job.metrics?.segments ?? []) {
        expect(entry.segment.id).toBe(entry.segmentId);
        expect(entry.segment.name).toBe(byId.get(entry.segmentId));
      }
    }
    expect(new Set(jobs.map((job) => job.segments[0]?.id)).size).toBe(6);
    expect(harness.callsTo('GET', '/segment/jobs')).toHaveLength(1);
    expect(harness.callsTo('POST', DEFINITIONS_BULK_GET)).toHaveLength(1);
    expect(harness.calls).toHaveLength(2);
  });

  it('makes no definitions bulk-get when only what the job document carries is selected', async () => {
    harness.resetCalls();
    const result = await harness.execute(SegmentJobsWithSnapshotsDocument, { first: 20 });
    expect(result.errors).toBeUndefined();
    const jobs = result.data?.segmentJobs.edges.map((edge) => edge.node) ?? [];
    expect(jobs).toHaveLength(20);
    const expressions = new Map(
      (
        await rest<{ segments: { id: string; expression: { value: string } }[] }>(
          'GET',
          '/segment/definitions?limit=100',
        )
      ).segments.map((definition) => [definition.id, definition.expression.value]),
    );
    harness.resetCalls();
    const again = await harness.execute(SegmentJobsWithSnapshotsDocument, { first: 20 });
    for (const job of again.data?.segmentJobs.edges.map((edge) => edge.node) ?? []) {
      const [segment] = job.segments;
      expect(segment?.expression?.value).toBe(expressions.get(segment?.id ?? ''));
    }
    expect(harness.callsTo('POST', DEFINITIONS_BULK_GET)).toHaveLength(0);
    expect(harness.calls).toHaveLength(1);
  });

  it('resolves names on the job a createSegmentJob returns through the same loader', async () => {
    const [first, second] = definitions;
    harness.resetCalls();
    const result = await harness.execute(CreateSegmentJobWithNamesDocument, {
      input: { segmentIds: [first?.id ?? '', second?.id ?? ''] },
    });
    const payload = result.data?.createSegmentJob;
    if (payload?.__typename !== 'CreateSegmentJobSuccess') throw new Error('expected a job');
    expect(payload.job.segments.map((segment) => segment.name)).toEqual([
      first?.name,
      second?.name,
    ]);
    expect(harness.callsTo('POST', '/segment/jobs')).toHaveLength(1);
    expect(harness.callsTo('POST', DEFINITIONS_BULK_GET)).toHaveLength(1);
  });
});

describe('segment(id)', () => {
  it('returns the definition with every field as the service has it', async () => {
    const definition = definitions[0];
    const full = await rest<{
      id: string;
      name: string;
      description: string;
      mergePolicyId: string;
      schema: { name: string };
      expression: { type: string; format: string; value: string };
      evaluationInfo: Record<string, { enabled: boolean }>;
      creationTime: number;
      updateTime: number;
    }>('GET', `/segment/definitions/${definition?.id}`);
    harness.resetCalls();
    const result = await harness.execute(SegmentDocument, { id: full.id });
    expect(result.errors).toBeUndefined();
    expect(result.data?.segment).toEqual({
      __typename: 'Segment',
      id: full.id,
      name: full.name,
      description: full.description,
      isDeleted: false,
      schemaName: full.schema.name,
      mergePolicyId: full.mergePolicyId,
      creationTime: new Date(full.creationTime).toISOString(),
      updateTime: new Date(full.updateTime).toISOString(),
      creationTimeMs: full.creationTime,
      expression: full.expression,
      evaluationInfo: {
        batch: full.evaluationInfo.batch?.enabled,
        continuous: full.evaluationInfo.continuous?.enabled,
        synchronous: full.evaluationInfo.synchronous?.enabled,
      },
    });
    expect(harness.callsTo('POST', DEFINITIONS_BULK_GET)).toHaveLength(1);
    expect(harness.calls).toHaveLength(1);
  });

  it('answers null for an unknown id, and refuses "..", without a call', async () => {
    const unknown = await harness.execute(SegmentDocument, { id: randomUUID() });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data?.segment).toBeNull();
    harness.resetCalls();
    const refused = await harness.execute(SegmentDocument, { id: '..' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/^id: expected a segment definition id/);
    expect(harness.calls).toHaveLength(0);
  });
});

describe('a deleted definition', () => {
  it('leaves its jobs readable: definition fields null, isDeleted true, snapshot kept', async () => {
    const created = await rest<{ id: string }>('POST', '/segment/definitions', {
      name: `deleted later ${randomUUID()}`,
      expression: { type: 'PQL', format: 'pql/text', value: 'loyalty.points >= 0' },
      schema: { name: '_xdm.context.profile' },
    });
    const job = await rest<{ id: string }>('POST', '/segment/jobs', [{ segmentId: created.id }]);
    await rest('DELETE', `/segment/definitions/${created.id}`);
    const result = await harness.execute(SegmentJobWithNamesDocument, { id: job.id });
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJob?.segments).toEqual([
      {
        id: created.id,
        name: null,
        isDeleted: true,
        expression: { value: 'loyalty.points >= 0' },
      },
    ]);
    const lookup = await harness.execute(SegmentDocument, { id: created.id });
    expect(lookup.data?.segment).toBeNull();
  });
});

describe('segments', () => {
  async function allPages(first: number, name?: string): Promise<SegmentsQuery['segments'][]> {
    const pages: SegmentsQuery['segments'][] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const result: GraphQLResponse<SegmentsQuery> = await harness.execute(SegmentsDocument, {
        first,
        after,
        name,
      });
      expect(result.errors).toBeUndefined();
      const page: SegmentsQuery['segments'] | undefined = result.data?.segments;
      if (!page) throw new Error('expected a page');
      pages.push(page);
      if (!page.pageInfo.hasNextPage) return pages;
      after = page.pageInfo.endCursor;
    }
    throw new Error('expected the list to end within 50 pages');
  }

  it('pages through every definition, newest first, each once, with totalCount', async () => {
    const rest_ = await rest<{ segments: RestDefinition[]; page: { totalCount: number } }>(
      'GET',
      '/segment/definitions?limit=100',
    );
    const pages = await allPages(2);
    const ids = pages.flatMap((page) => page.edges.map((edge) => edge.node.id));
    expect(ids).toEqual(rest_.segments.map((definition) => definition.id));
    expect(pages.every((page) => page.totalCount === rest_.page.totalCount)).toBe(true);
    expect(pages[0]?.pageInfo.hasPreviousPage).toBe(false);
    expect(pages.at(-1)?.pageInfo.hasNextPage).toBe(false);
  });

  it('skips none and repeats none when definitions are created and deleted between pages', async () => {
    const define = (label: string) =>
      rest<{ id: string }>('POST', '/segment/definitions', {
        name: `${label} ${randomUUID()}`,
        expression: { type: 'PQL', format: 'pql/text', value: 'loyalty.points >= 0' },
        schema: { name: '_xdm.context.profile' },
      });
    // Three definitions of its own, the newest of all: the first page holds two of them.
    for (const label of ['paging a', 'paging b', 'paging c']) await define(label);
    const first = await harness.execute(SegmentsDocument, { first: 2 });
    const seen = first.data?.segments.edges.map((edge) => edge.node.id) ?? [];
    expect(seen).toHaveLength(2);
    const extra = await define('created between pages');
    await rest('DELETE', `/segment/definitions/${seen[0]}`);
    const listed = await rest<{ segments: RestDefinition[] }>(
      'GET',
      '/segment/definitions?limit=100',
    );
    // The listing keeps the first page's upstream page size (2): a page reads at most 4 of
    // those, so the rest takes more than one page.
    const after: string[] = [];
    let cursor: string | null = first.data?.segments.pageInfo.endCursor ?? null;
    for (let guard = 0; guard < 20 && cursor !== null; guard++) {
      const next: GraphQLResponse<SegmentsQuery> = await harness.execute(SegmentsDocument, {
        first: 100,
        after: cursor,
      });
      const page = next.data?.segments;
      expect(page?.pageInfo.hasPreviousPage).toBe(true);
      after.push(...(page?.edges.flatMap((edge) => edge.node.id ?? []) ?? []));
      cursor = page?.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    }
    const expected = listed.segments
      .map((definition) => definition.id)
      .filter((id) => id !== extra.id && !seen.includes(id));
    expect(after).toEqual(expected);
  });

  it('filters by a name fragment, ignoring case', async () => {
    const target = definitions[2]?.name ?? '';
    const fragment = target.slice(1, 6).toUpperCase();
    const pages = await allPages(1, fragment);
    const names = pages.flatMap((page) => page.edges.map((edge) => edge.node.name));
    const rest_ = await rest<{ segments: RestDefinition[] }>(
      'GET',
      '/segment/definitions?limit=100',
    );
    expect(names).toEqual(
      rest_.segments
        .map((definition) => definition.name)
        .filter((name) => name.toLowerCase().includes(fragment.toLowerCase())),
    );
    expect(names).toContain(target);
  });

  it.each([
    [
      'a jobs cursor',
      'eyJsaW1pdCI6MjAsInNvcnQiOiJjcmVhdGlvblRpbWU6ZGVzYyIsImtleSI6MSwiaWQiOiJqIn0',
    ],
    ['garbage', 'not a cursor'],
  ])('refuses %s as after with BAD_USER_INPUT and no call', async (_name, after) => {
    harness.resetCalls();
    const result = await harness.execute(SegmentsDocument, { after });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(harness.calls).toHaveLength(0);
  });
});

describe('Segment.jobs and Segment.history', () => {
  it('lists the jobs that named the definition', async () => {
    const definition = definitions[1];
    const result = await harness.execute(SegmentJobsOfSegmentDocument, {
      id: definition?.id ?? '',
      first: 100,
    });
    expect(result.errors).toBeUndefined();
    const jobs = result.data?.segment?.jobs?.edges.map((edge) => edge.node) ?? [];
    const expected = (await allRestJobs())
      .filter((job) => job.segments.some((segment) => segment.segmentId === definition?.id))
      .sort((a, b) => b.creationTime - a.creationTime || (a.id < b.id ? -1 : 1))
      .map((job) => job.id);
    expect(jobs.map((job) => job.id)).toEqual(expected);
    expect(result.data?.segment?.jobs?.totalCount).toBe(expected.length);
  });

  it('gives one point per successful run, newest last, with the counts the jobs reported', async () => {
    const definition = definitions[0];
    const id = definition?.id ?? '';
    // Independent expectation: every job of the tenant, filtered and ordered here.
    const runs = (await allRestJobs())
      .filter(
        (job) =>
          job.status === 'SUCCEEDED' && job.segments.some((segment) => segment.segmentId === id),
      )
      .sort((a, b) => a.creationTime - b.creationTime || (a.id < b.id ? 1 : -1));
    expect(runs.length).toBeGreaterThanOrEqual(4);
    const last = runs.length - 1;
    harness.resetCalls();
    const result = await harness.execute(SegmentHistoryDocument, { id, last });
    expect(result.errors).toBeUndefined();
    const points = result.data?.segment?.history ?? [];
    const expected = runs.slice(-last).map((job) => ({
      jobId: job.id,
      runTimeMs: job.creationTime,
      qualified: job.metrics?.segmentedProfileCounter?.[id] ?? null,
      realized: job.metrics?.segmentedProfileByStatusCounter?.[id]?.realized ?? null,
      exited: job.metrics?.segmentedProfileByStatusCounter?.[id]?.exited ?? null,
      byNamespace: Object.entries(job.metrics?.segmentedProfileByNamespaceCounter?.[id] ?? {}).map(
        ([namespace, count]) => ({ namespace, count }),
      ),
    }));
    expect(
      points.map(({ jobId, runTimeMs, qualified, realized, exited, byNamespace }) => ({
        jobId,
        runTimeMs,
        qualified,
        realized,
        exited,
        byNamespace,
      })),
    ).toEqual(expected);
    expect(points.every((point) => typeof point.qualified === 'number')).toBe(true);
    // One list call (≤ 100 points) and one bulk-get for the segment's name.
    expect(harness.callsTo('GET', '/segment/jobs')).toHaveLength(1);
    expect(harness.callsTo('POST', DEFINITIONS_BULK_GET)).toHaveLength(1);
    expect(harness.calls).toHaveLength(2);
  });

  it.each([0, 501])('refuses last: %i as BAD_USER_INPUT', async (last) => {
    const result = await harness.execute(SegmentHistoryDocument, {
      id: definitions[0]?.id ?? '',
      last,
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/last: expected 1 to 500/);
  });
});
