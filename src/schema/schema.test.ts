// The schema executed directly over a recorded fake of the request's job service: shapes,
// argument rules and union members, without HTTP or an upstream.
import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { SegmentJobModel } from '../domain/index.ts';
import {
  DomainError,
  NotFoundError,
  RateLimitedError,
  UpstreamFailureError,
  ValidationError,
} from '../services/domain-errors.ts';
import type { JobListQuery, SegmentJobService } from '../services/segment-job-service.ts';
import { schema } from './index.ts';
import { createResolvedItemsBudget } from './resolved-items.ts';

const sampleJob: SegmentJobModel = {
  id: 'b31aed3d-b3b1-4613-98c6-7d3846e8d48f',
  imsOrgId: 'E95186D65A28ABF00A495D82@AdobeOrg',
  sandbox: {
    sandboxId: '28e74200-e3de-11e9-8f5d-7f27416c5f0d',
    sandboxName: 'prod',
    type: 'production',
    default: true,
  },
  profileInstanceId: 'ups',
  source: 'scheduler',
  status: 'SUCCEEDED',
  batchId: '678f53bc-e21d-4c47-a7ec-5ad0064f8e4c',
  computeJobId: 8811,
  computeGatewayJobId: '9ea97b25-a0f5-410e-ae87-b2d85e58f399',
  segments: [
    {
      segmentId: '30230300-ccf1-48ad-8012-c5563a007069',
      segment: {
        id: '30230300-ccf1-48ad-8012-c5563a007069',
        expression: { type: 'PQL', format: 'pql/json', value: '{PQL_EXPRESSION}' },
        mergePolicyId: '25c548a0-ca7f-4dcd-81d5-997642f178b9',
        mergePolicy: { id: '25c548a0-ca7f-4dcd-81d5-997642f178b9', version: 1 },
      },
    },
  ],
  metrics: {
    totalTime: {
      startTimeInMs: 1_573_203_617_195,
      endTimeInMs: 1_573_204_395_655,
      totalTimeInMs: 778_460,
    },
    profileSegmentationTime: {
      startTimeInMs: 1_573_204_266_727,
      endTimeInMs: 1_573_204_395_655,
      totalTimeInMs: 128_928,
    },
    totalProfiles: 13_146_432,
    segmentedProfileCounter: { seg1: 1033, seg2: 5e12 },
    segmentedProfileByNamespaceCounter: {
      seg1: { tenantiduserobjid: 1033, campaign_profile_mscom_mkt_prod2: 1033 },
    },
    segmentedProfileByStatusCounter: {
      seg1: { exited: 144_646, realized: 2056, existing: 7 },
      seg3: { realized: 1 },
    },
    totalProfilesByMergePolicy: { '25c548a0-ca7f-4dcd-81d5-997642f178b9': 13_146_432 },
  },
  requestId: '4e538382-dbd8-449e-988a-4ac639ebe72b-1573203600264',
  schema: { name: '_xdm.context.profile' },
  properties: {
    scheduleId: '4e538382-dbd8-449e-988a-4ac639ebe72b',
    runId: 'e6c1308d-0d4b-4246-b2eb-43697b50a149',
  },
  errors: [{ code: '0100000003', msg: 'Error during segment evaluation' }],
  updateTime: 1_573_204_395_000,
  creationTime: 1_573_203_600_535,
  updateEpoch: 1_573_204_395,
};

const allSegmentsJob: SegmentJobModel = {
  id: 'all-1',
  imsOrgId: 'DEMO@AdobeOrg',
  status: 'PROCESSING',
  segments: [{ segmentId: '*' }],
  metrics: { totalTime: { startTimeInMs: 1_700_000_000_000 }, profileSegmentationTime: {} },
};

/** A job service double: answers from a table and records list queries. */
function fakeJobs(overrides: Partial<SegmentJobService> = {}) {
  const listQueries: JobListQuery[] = [];
  const jobs = new Map([sampleJob, allSegmentsJob].map((job) => [job.id, job]));
  const service: SegmentJobService = {
    get: async (id) => jobs.get(id) ?? null,
    getMany: async (ids) => ids.map((id) => jobs.get(id) ?? null),
    list: async (query) => {
      listQueries.push(query);
      const all = [...jobs.values()];
      const from =
        query.after === undefined ? 0 : all.findIndex((job) => job.id === query.after?.id) + 1;
      const page = all.slice(from, from + query.limit);
      const positions = page.map((job) => ({ limit: query.limit, key: null, id: job.id }));
      return {
        totalCount: all.length,
        hasNextPage: from + query.limit < all.length,
        jobs: page,
        positions,
        end: positions.at(-1),
        unreadable: [],
      };
    },
    create: async () => sampleJob,
    cancel: async () => sampleJob,
    ...overrides,
  };
  return { service, listQueries };
}

async function run(
  source: string,
  service: SegmentJobService = fakeJobs().service,
  variableValues?: Record<string, unknown>,
) {
  const contextValue = { jobs: service, resolvedItems: createResolvedItemsBudget(20_000) };
  return graphql({ schema, source, contextValue, variableValues });
}

describe('SegmentJob', () => {
  it('exposes every upstream field, raw times and DateTime views', async () => {
    const result = await run(`{
      segmentJob(id: "${sampleJob.id}") {
        id status isFinal allSegments source imsOrgId profileInstanceId batchId computeJobId
        computeGatewayJobId requestId schemaName creationTime updateTime creationTimeMs
        updateTimeMs updateEpoch
        sandbox { sandboxId sandboxName type isDefault }
        properties { scheduleId runId }
        errors { code message }
        segments { id version mergePolicyId mergePolicy { id version } expression { type format value } }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJob).toEqual({
      id: sampleJob.id,
      status: 'SUCCEEDED',
      isFinal: true,
      allSegments: false,
      source: 'scheduler',
      imsOrgId: 'E95186D65A28ABF00A495D82@AdobeOrg',
      profileInstanceId: 'ups',
      batchId: '678f53bc-e21d-4c47-a7ec-5ad0064f8e4c',
      computeJobId: 8811,
      computeGatewayJobId: '9ea97b25-a0f5-410e-ae87-b2d85e58f399',
      requestId: '4e538382-dbd8-449e-988a-4ac639ebe72b-1573203600264',
      schemaName: '_xdm.context.profile',
      creationTime: '2019-11-08T09:00:00.535Z',
      updateTime: '2019-11-08T09:13:15.000Z',
      creationTimeMs: 1_573_203_600_535,
      updateTimeMs: 1_573_204_395_000,
      updateEpoch: 1_573_204_395,
      sandbox: {
        sandboxId: '28e74200-e3de-11e9-8f5d-7f27416c5f0d',
        sandboxName: 'prod',
        type: 'production',
        isDefault: true,
      },
      properties: {
        scheduleId: '4e538382-dbd8-449e-988a-4ac639ebe72b',
        runId: 'e6c1308d-0d4b-4246-b2eb-43697b50a149',
      },
      errors: [{ code: '0100000003', message: 'Error during segment evaluation' }],
      segments: [
        {
          id: '30230300-ccf1-48ad-8012-c5563a007069',
          version: null,
          mergePolicyId: '25c548a0-ca7f-4dcd-81d5-997642f178b9',
          mergePolicy: { id: '25c548a0-ca7f-4dcd-81d5-997642f178b9', version: 1 },
          expression: { type: 'PQL', format: 'pql/json', value: '{PQL_EXPRESSION}' },
        },
      ],
    });
  });

  it('joins the per-segment metric maps into one entry per segment and keeps large counts', async () => {
    const result = await run(`{
      segmentJob(id: "${sampleJob.id}") {
        metrics {
          totalProfiles
          totalTime { startTimeInMs endTimeInMs totalTimeInMs startTime endTime }
          profileSegmentationTime { totalTimeInMs }
          segments { segmentId qualified realized exited byNamespace { namespace count } }
          totalProfilesByMergePolicy { mergePolicyId count }
        }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJob).toEqual({
      metrics: {
        totalProfiles: 13_146_432,
        totalTime: {
          startTimeInMs: 1_573_203_617_195,
          endTimeInMs: 1_573_204_395_655,
          totalTimeInMs: 778_460,
          startTime: '2019-11-08T09:00:17.195Z',
          endTime: '2019-11-08T09:13:15.655Z',
        },
        profileSegmentationTime: { totalTimeInMs: 128_928 },
        segments: [
          {
            segmentId: 'seg1',
            qualified: 1033,
            realized: 2056,
            exited: 144_646,
            byNamespace: [
              { namespace: 'tenantiduserobjid', count: 1033 },
              { namespace: 'campaign_profile_mscom_mkt_prod2', count: 1033 },
            ],
          },
          { segmentId: 'seg2', qualified: 5e12, realized: null, exited: null, byNamespace: [] },
          { segmentId: 'seg3', qualified: null, realized: 1, exited: null, byNamespace: [] },
        ],
        totalProfilesByMergePolicy: [
          { mergePolicyId: '25c548a0-ca7f-4dcd-81d5-997642f178b9', count: 13_146_432 },
        ],
      },
    });
  });

  it('shows an all-segments job with no segments and partial metrics as nulls', async () => {
    const result = await run(`{
      segmentJob(id: "all-1") {
        allSegments isFinal segments { id } creationTime sandbox { sandboxName } errors { code }
        metrics {
          totalProfiles segments { segmentId } totalProfilesByMergePolicy { count }
          totalTime { startTime endTime totalTimeInMs }
          profileSegmentationTime { startTimeInMs }
        }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJob).toEqual({
      allSegments: true,
      isFinal: false,
      segments: [],
      creationTime: null,
      sandbox: null,
      errors: [],
      metrics: {
        totalProfiles: null,
        segments: [],
        totalProfilesByMergePolicy: [],
        totalTime: { startTime: '2023-11-14T22:13:20.000Z', endTime: null, totalTimeInMs: null },
        profileSegmentationTime: { startTimeInMs: null },
      },
    });
  });

  it('answers null for an unknown id, and many jobs in the order asked', async () => {
    const result = await run(`{
      missing: segmentJob(id: "nope") { id }
      many: segmentJobsByIds(ids: ["all-1", "nope", "${sampleJob.id}"]) { id }
    }`);
    expect(result.data).toEqual({
      missing: null,
      many: [{ id: 'all-1' }, null, { id: sampleJob.id }],
    });
  });

  it.each([
    ['no ids', '[]', /ids: expected 1 to 100 job ids, but got 0/],
    [
      '101 ids',
      JSON.stringify(Array.from({ length: 101 }, (_, index) => `j${index}`)),
      /but got 101/,
    ],
    ['an empty id', '["a", ""]', /ids\[1\]: expected a non-empty job id/],
  ])('refuses segmentJobsByIds with %s as BAD_USER_INPUT', async (_name, ids, message) => {
    const result = await run(`{ segmentJobsByIds(ids: ${ids}) { id } }`);
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('segmentJobs', () => {
  it('pages with opaque cursors: the next page starts after endCursor', async () => {
    const { service, listQueries } = fakeJobs();
    const query = `query($after: String) {
      segmentJobs(first: 1, after: $after) {
        totalCount
        edges { cursor node { id } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }`;
    const first = await run(query, service);
    const page1 = first.data?.segmentJobs as {
      totalCount: number;
      edges: { cursor: string; node: { id: string } }[];
      pageInfo: Record<string, unknown>;
    };
    expect(page1.totalCount).toBe(2);
    expect(page1.edges.map((edge) => edge.node.id)).toEqual([sampleJob.id]);
    expect(page1.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: page1.edges[0]?.cursor,
      endCursor: page1.edges[0]?.cursor,
    });
    const second = await run(query, service, { after: page1.pageInfo.endCursor });
    expect(second.data?.segmentJobs).toMatchObject({
      edges: [{ node: { id: 'all-1' } }],
      pageInfo: { hasNextPage: false, hasPreviousPage: true },
    });
    expect(listQueries.map((q) => [q.after?.id, q.limit])).toEqual([
      [undefined, 1],
      [sampleJob.id, 1],
    ]);
  });

  it('defaults to 20 jobs, newest created first, with no filters', async () => {
    const { service, listQueries } = fakeJobs();
    await run('{ segmentJobs { totalCount } }', service);
    expect(listQueries).toEqual([
      {
        limit: 20,
        status: undefined,
        segmentId: undefined,
        sort: { field: 'creationTime', direction: 'desc' },
        after: undefined,
      },
    ]);
  });

  it('passes status, segmentId and sort to the service', async () => {
    const { service, listQueries } = fakeJobs();
    await run(
      `{ segmentJobs(first: 100, status: QUEUED, segmentId: "seg-9",
           sort: { field: UPDATE_TIME, direction: ASC }) { totalCount } }`,
      service,
    );
    expect(listQueries[0]).toEqual({
      limit: 100,
      status: 'QUEUED',
      segmentId: 'seg-9',
      sort: { field: 'updateTime', direction: 'asc' },
    });
  });

  it.each([
    ['first: 0', 'first: 0', /first: expected 1 to 100, but got 0/],
    ['first: 101', 'first: 101', /first: expected 1 to 100, but got 101/],
    ['first: -5', 'first: -5', /but got -5/],
    [
      'a made-up cursor',
      'after: "bogus"',
      /after: expected a cursor from a previous page, but got/,
    ],
    ['an empty segmentId', 'segmentId: ""', /segmentId: expected a non-empty/],
  ])('refuses %s as BAD_USER_INPUT without calling the upstream', async (_name, args, message) => {
    const { service, listQueries } = fakeJobs();
    const result = await run(`{ segmentJobs(${args}) { totalCount } }`, service);
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(listQueries).toEqual([]);
  });
});

describe('mutation results', () => {
  const create = `mutation {
    createSegmentJob(input: { allSegments: true }) {
      __typename
      ... on Error { message code }
      ... on CreateSegmentJobSuccess { job { id } }
      ... on ValidationError { field }
      ... on NotFoundError { id }
      ... on RateLimitedError { retryAfterSeconds }
      ... on UpstreamError { requestId status }
    }
  }`;

  it.each<[string, Error, Record<string, unknown>]>([
    [
      'ValidationError',
      new ValidationError('expected X, but got Y', 'segmentIds'),
      { code: 'BAD_USER_INPUT', field: 'segmentIds' },
    ],
    ['NotFoundError', new NotFoundError('no such job', 'j1'), { code: 'NOT_FOUND', id: 'j1' }],
    [
      'RateLimitedError',
      new RateLimitedError('too many jobs', 30),
      { code: 'RATE_LIMITED', retryAfterSeconds: 30 },
    ],
    [
      'UpstreamError',
      new UpstreamFailureError('upstream down', 'UPSTREAM_UNAVAILABLE', {
        status: 503,
        requestId: 'r-1',
      }),
      { code: 'UPSTREAM_UNAVAILABLE', status: 503, requestId: 'r-1' },
    ],
    ['BaseError', new DomainError('something expected', 'CONFLICT'), { code: 'CONFLICT' }],
  ])('returns a thrown %s as that union member', async (typename, error, fields) => {
    const { service } = fakeJobs({
      create: async () => {
        throw error;
      },
    });
    const result = await run(create, service);
    expect(result.errors).toBeUndefined();
    expect(result.data?.createSegmentJob).toMatchObject({
      __typename: typename,
      message: error.message,
      ...fields,
    });
  });

  it('returns the job on success', async () => {
    const result = await run(create);
    expect(result.data?.createSegmentJob).toEqual({
      __typename: 'CreateSegmentJobSuccess',
      job: { id: sampleJob.id },
    });
  });

  it('keeps an internal failure an error, never data', async () => {
    const { service } = fakeJobs({
      create: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    });
    const result = await run(create, service);
    expect(result.data?.createSegmentJob).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/cannot read properties/);
  });

  it('refuses to cancel an empty id as a ValidationError on id', async () => {
    const result = await run(`mutation {
      cancelSegmentJob(id: "") { __typename ... on ValidationError { field message } }
    }`);
    expect(result.data?.cancelSegmentJob).toEqual({
      __typename: 'ValidationError',
      field: 'id',
      message: 'expected a non-empty job id, but got ""',
    });
  });
});
