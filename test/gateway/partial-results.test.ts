// Through the gateway: one job the upstream sent unreadable, or lacking a field Adobe leaves
// optional, costs that item alone; a bulk-get answered 404 as a whole reads as unknown ids.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bulkBody,
  type FakeUpstream,
  jobListBody,
  sampleJob,
  segmentationError,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';

const ORG = 'ORG1@AdobeOrg';
const headers = {
  authorization: 'Bearer test-token',
  'x-api-key': 'test-client',
  'x-gw-ims-org-id': ORG,
  'x-sandbox-name': 'prod',
};

let fake: FakeUpstream;
let harness: GatewayHarness;

beforeAll(async () => {
  fake = await startFakeUpstream();
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', UPSTREAM_MAX_ATTEMPTS: '1' },
  });
});

afterAll(async () => {
  await harness?.close();
  await fake?.close();
});

beforeEach(() => fake.reset());

interface PageData {
  segmentJobs: {
    totalCount: number;
    unreadableCount: number;
    edges: Array<{ node: { id: string; status: string } }>;
  };
}

describe('a page with one unreadable job', () => {
  it('20 jobs upstream, one with an unknown status: 19 edges and one error with a path', async () => {
    const jobs = Array.from({ length: 20 }, (_, index) => sampleJob({ id: `job-${index}` }));
    jobs[7] = sampleJob({ id: 'job-7', status: 'ARCHIVED' });
    fake.respondWith('GET /segment/jobs', [{ body: jobListBody(jobs) }]);
    const response = await harness.post<PageData>(
      {
        query:
          '{ segmentJobs(first: 20) { totalCount unreadableCount edges { node { id status } } } }',
      },
      headers,
    );
    expect(response.data?.segmentJobs.edges).toHaveLength(19);
    expect(response.data?.segmentJobs.unreadableCount).toBe(1);
    expect(response.data?.segmentJobs.totalCount).toBe(20);
    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]).toMatchObject({
      path: ['segmentJobs', 'edges'],
      extensions: { code: 'UPSTREAM_UNAVAILABLE', upstreamIndex: 7, jobId: 'job-7' },
    });
    expect(response.errors?.[0]?.message).toContain('children[7].status');
  });
});

describe('segmentJobsByIds', () => {
  it('an unreadable entry is null with an error at its index; the others arrive', async () => {
    const noId = sampleJob();
    delete noId.id;
    fake.respondWith('POST /segment/jobs/bulk-get', [
      bulkBody({
        a: sampleJob({ id: 'a' }),
        b: sampleJob({ id: 'b', status: 'ARCHIVED' }),
        c: noId,
      }),
    ]);
    const response = await harness.post<{ segmentJobsByIds: Array<{ id: string } | null> }>(
      { query: '{ segmentJobsByIds(ids: ["a", "b", "c"]) { id } }' },
      headers,
    );
    expect(response.data?.segmentJobsByIds).toEqual([{ id: 'a' }, null, null]);
    expect(response.errors?.map((error) => error.path)).toEqual([
      ['segmentJobsByIds', 1],
      ['segmentJobsByIds', 2],
    ]);
    for (const error of response.errors ?? []) {
      expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    }
  });

  it.each([
    ['a segmentation error body', segmentationError(404, 'The entity a,b is not found.')],
    ['an empty body', { status: 404 }],
  ])('a bulk-get answered 404 as a whole (%s) gives nulls, no error', async (_name, answer) => {
    fake.respondWith('POST /segment/jobs/bulk-get', [answer]);
    const response = await harness.post<{ segmentJobsByIds: unknown[] }>(
      { query: '{ segmentJobsByIds(ids: ["a", "b"]) { id } }' },
      headers,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.segmentJobsByIds).toEqual([null, null]);
  });

  it('an entry with errors {"500": [...]} is an UPSTREAM_UNAVAILABLE error, not null', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', [
      bulkBody({
        a: sampleJob({ id: 'a' }),
        b: { requestId: 'r', errors: { '500': [{ code: 'UPAPI-500', message: 'boom' }] } },
      }),
    ]);
    const response = await harness.post<{ segmentJobsByIds: unknown[] }>(
      { query: '{ segmentJobsByIds(ids: ["a", "b"]) { id } }' },
      headers,
    );
    expect(response.data?.segmentJobsByIds).toEqual([{ id: 'a' }, null]);
    expect(response.errors).toMatchObject([
      { path: ['segmentJobsByIds', 1], extensions: { code: 'UPSTREAM_UNAVAILABLE' } },
    ]);
  });
});

describe('optional fields absent', () => {
  it('a job with no imsOrgId, segmentId, format, merge policy version or sandbox name reads as nulls', async () => {
    const job = sampleJob({
      id: 'sparse',
      sandbox: { sandboxId: 'sandbox-1' },
      segments: [
        {
          segment: {
            id: 'segment-1',
            expression: { type: 'PQL', value: 'x = 1' },
            mergePolicy: { id: 'merge-policy-1' },
          },
        },
      ],
    });
    delete job.imsOrgId;
    fake.respondWith('POST /segment/jobs/bulk-get', [bulkBody({ sparse: job })]);
    const response = await harness.post(
      {
        query:
          '{ segmentJob(id: "sparse") { id imsOrgId sandbox { sandboxName sandboxId } segments { id expression { type format value } mergePolicy { id version } } } }',
      },
      headers,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      segmentJob: {
        id: 'sparse',
        imsOrgId: null,
        sandbox: { sandboxName: null, sandboxId: 'sandbox-1' },
        segments: [
          {
            id: 'segment-1',
            expression: { type: 'PQL', format: null, value: 'x = 1' },
            mergePolicy: { id: 'merge-policy-1', version: null },
          },
        ],
      },
    });
  });
});
