// Mutations against the real gateway and the real embedded Segmentation Service: creating and
// cancelling jobs, and every union member the embedded service can produce (the fault-only
// member UpstreamError is proven against the fake upstream in upstream-faults.test.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelSegmentJobDocument,
  CreateSegmentJobDocument,
  type CreateSegmentJobMutation,
  SegmentJobStatusDocument,
} from '../generated/graphql.ts';
import type { CreateSegmentJobInput } from '../generated/schema-types.ts';
import {
  DEMO_HEADERS,
  type GatewayHarness,
  startGatewayHarness,
  waitForValue,
} from '../support/gateway-harness.ts';

type CreatePayload = CreateSegmentJobMutation['createSegmentJob'];

async function definitionIdsOf(harness: GatewayHarness): Promise<string[]> {
  const response = await harness.upstreamRest(
    'GET',
    '/segment/definitions?limit=100',
    DEMO_HEADERS,
  );
  return (response.body as { segments: { id: string }[] }).segments.map((item) => item.id);
}

async function create(
  harness: GatewayHarness,
  input: CreateSegmentJobInput,
): Promise<CreatePayload> {
  const result = await harness.execute(CreateSegmentJobDocument, { input });
  expect(result.errors).toBeUndefined();
  const payload = result.data?.createSegmentJob;
  if (!payload) throw new Error(`expected a payload, but got ${JSON.stringify(result)}`);
  return payload;
}

async function createdId(harness: GatewayHarness, input: CreateSegmentJobInput): Promise<string> {
  const payload = await create(harness, input);
  if (payload.__typename !== 'CreateSegmentJobSuccess') {
    throw new Error(`expected CreateSegmentJobSuccess, but got ${JSON.stringify(payload)}`);
  }
  return payload.job.id;
}

function statusOf(harness: GatewayHarness, id: string) {
  return async () => {
    const result = await harness.execute(SegmentJobStatusDocument, { id });
    return result.data?.segmentJob?.status ?? null;
  };
}

describe('with jobs that run quickly', () => {
  let harness: GatewayHarness;
  let definitionIds: string[];

  beforeAll(async () => {
    harness = await startGatewayHarness();
    definitionIds = await definitionIdsOf(harness);
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('creates a job for the given segment definitions', async () => {
    const segmentIds = definitionIds.slice(0, 2);
    harness.resetCalls();
    const payload = await create(harness, { segmentIds });
    expect(payload).toMatchObject({
      __typename: 'CreateSegmentJobSuccess',
      job: {
        status: 'NEW',
        allSegments: false,
        imsOrgId: 'DEMO@AdobeOrg',
        schemaName: '_xdm.context.profile',
        segments: segmentIds.map((id) => ({ id })),
      },
    });
    expect(harness.callsTo('POST', '/segment/jobs')).toHaveLength(1);
    expect(harness.calls).toHaveLength(1);
  });

  it('creates an all-segments job that lists no segments', async () => {
    const payload = await create(harness, { allSegments: true });
    expect(payload).toMatchObject({
      __typename: 'CreateSegmentJobSuccess',
      job: { allSegments: true, segments: [], schemaName: '_xdm.context.profile' },
    });
  });

  it('runs a created job to SUCCEEDED, readable through segmentJob', async () => {
    const id = await createdId(harness, { segmentIds: [definitionIds[0] ?? ''] });
    const status = await waitForValue(async () => {
      const current = await statusOf(harness, id)();
      return current === 'SUCCEEDED' ? current : undefined;
    });
    expect(status).toBe('SUCCEEDED');
  });

  it.each<[string, CreateSegmentJobInput, string, RegExp]>([
    ['neither ids nor allSegments', {}, 'input', /but got neither/],
    ['allSegments: false alone', { allSegments: false }, 'input', /but got neither/],
    ['both ids and allSegments', { segmentIds: ['a'], allSegments: true }, 'input', /but got both/],
    ['an empty id list', { segmentIds: [] }, 'segmentIds', /expected 1 to 1500 segment ids/],
    [
      '1501 ids',
      { segmentIds: Array.from({ length: 1501 }, (_, index) => `segment-${index}`) },
      'segmentIds',
      /but got 1501/,
    ],
    [
      'an empty id',
      { segmentIds: ['a', ''] },
      'segmentIds',
      /non-empty segment id at segmentIds\[1\]/,
    ],
    ['a duplicate id', { segmentIds: ['a', 'a'] }, 'segmentIds', /"a" appears more than once/],
    ['an empty schema name', { allSegments: true, schemaName: '' }, 'schemaName', /empty string/],
  ])(
    'returns ValidationError for %s, with no upstream call',
    async (_name, input, field, message) => {
      harness.resetCalls();
      const payload = await create(harness, input);
      expect(payload).toMatchObject({
        __typename: 'ValidationError',
        code: 'BAD_USER_INPUT',
        field,
      });
      expect(payload.__typename === 'ValidationError' && payload.message).toMatch(message);
      expect(harness.calls).toHaveLength(0);
    },
  );

  it('returns ValidationError when the upstream refuses unknown definitions, after one call', async () => {
    const unknown = randomUUID();
    harness.resetCalls();
    const payload = await create(harness, { segmentIds: [unknown] });
    expect(payload).toMatchObject({
      __typename: 'ValidationError',
      code: 'BAD_USER_INPUT',
      field: 'segmentIds',
    });
    expect(payload.__typename === 'ValidationError' && payload.message).toContain(unknown);
    expect(harness.calls).toHaveLength(1);
  });

  it('cancels a finished job: the upstream deletes it and the answer is its last known state', async () => {
    const id = await createdId(harness, { segmentIds: [definitionIds[0] ?? ''] });
    await waitForValue(async () =>
      (await statusOf(harness, id)()) === 'SUCCEEDED' ? true : undefined,
    );
    const result = await harness.execute(CancelSegmentJobDocument, { id });
    expect(result.data?.cancelSegmentJob).toEqual({
      __typename: 'CancelSegmentJobSuccess',
      job: { id, status: 'SUCCEEDED', isFinal: true },
    });
    expect(await statusOf(harness, id)()).toBeNull();
  });

  it('returns NotFoundError with the id for a job the upstream does not know', async () => {
    const id = randomUUID();
    const result = await harness.execute(CancelSegmentJobDocument, { id });
    expect(result.data?.cancelSegmentJob).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      id,
    });
  });

  it('returns ValidationError on id for an empty id, with no upstream call', async () => {
    harness.resetCalls();
    const result = await harness.execute(CancelSegmentJobDocument, { id: '' });
    expect(result.data?.cancelSegmentJob).toMatchObject({
      __typename: 'ValidationError',
      field: 'id',
    });
    expect(harness.calls).toHaveLength(0);
  });
});

describe('with one unfinished job allowed and slow steps', () => {
  let harness: GatewayHarness;
  let definitionIds: string[];

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { EMULATOR_MAX_ACTIVE_JOBS: '1', EMULATOR_STEP_MS: '60000' },
    });
    definitionIds = await definitionIdsOf(harness);
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('returns RateLimitedError while a job is unfinished, without retrying the create', async () => {
    const segmentIds = [definitionIds[0] ?? ''];
    await createdId(harness, { segmentIds });
    harness.resetCalls();
    const refused = await create(harness, { segmentIds });
    expect(refused).toMatchObject({
      __typename: 'RateLimitedError',
      code: 'RATE_LIMITED',
      retryAfterSeconds: null,
    });
    expect(refused.__typename === 'RateLimitedError' && refused.message).toMatch(/too many/);
    expect(harness.callsTo('POST', '/segment/jobs')).toHaveLength(1);
    expect(harness.calls).toHaveLength(1);
  });

  it('cancels an unfinished job: reads it, DELETEs it, and answers it as it now stands', async () => {
    const listed = await harness.post<{ segmentJobs: { edges: { node: { id: string } }[] } }>({
      query: '{ segmentJobs(first: 1, status: NEW) { edges { node { id } } } }',
    });
    const id = listed.data?.segmentJobs.edges[0]?.node.id ?? '';
    harness.resetCalls();
    const result = await harness.execute(CancelSegmentJobDocument, { id });
    expect(result.data?.cancelSegmentJob).toEqual({
      __typename: 'CancelSegmentJobSuccess',
      job: { id, status: 'CANCELLING', isFinal: false },
    });
    expect(harness.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /segment/jobs/bulk-get',
      `DELETE /segment/jobs/${id}`,
      'POST /segment/jobs/bulk-get',
    ]);
    expect(await statusOf(harness, id)()).toBe('CANCELLING');
  });
});
