// What the client sends for each endpoint (method, path, query, body, headers) and how it reads
// the documented answers, against the fake upstream over real HTTP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  type UpstreamCallEvent,
  type UpstreamClient,
} from '../../src/upstream/index.ts';
import {
  bulkBody,
  type FakeUpstream,
  fakeTenant,
  jobListBody,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant({ token: 'secret-token-1' });
let fake: FakeUpstream;
let client: UpstreamClient;
const events: UpstreamCallEvent[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    onCall: (event) => events.push(event),
    userAgent: 'gateway-under-test',
  });
});

afterEach(() => {
  fake.reset();
  events.length = 0;
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

/** Every header the client may send; the rest come from the HTTP layer itself. */
const TRANSPORT_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

function sentHeaderNames(index = 0): string[] {
  const request = fake.requests[index];
  if (request === undefined) throw new Error(`no request ${index}`);
  return Object.keys(request.headers)
    .filter((name) => !TRANSPORT_HEADERS.has(name))
    .sort();
}

describe('request shapes', () => {
  it('lists jobs with GET /segment/jobs and every query parameter', async () => {
    fake.respondWith('GET /segment/jobs', [
      { body: jobListBody([sampleJob()], { hasNext: true }) },
    ]);
    const page = await client.listJobs(tenant, {
      start: '20',
      limit: 10,
      status: 'SUCCEEDED',
      sort: { field: 'updateTime', direction: 'desc' },
      properties: ['segments~segmentId==a', 'source==api'],
    });
    const [request] = fake.requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe('/segment/jobs');
    expect(request?.query.get('start')).toBe('20');
    expect(request?.query.get('limit')).toBe('10');
    expect(request?.query.get('status')).toBe('SUCCEEDED');
    expect(request?.query.get('sort')).toBe('updateTime:desc');
    expect(request?.query.getAll('property')).toEqual(['segments~segmentId==a', 'source==api']);
    expect(page.jobs).toHaveLength(1);
    expect(page.hasNext).toBe(true);
    expect(page.totalCount).toBe(1);
  });

  it('sends the four credential headers, accept, x-request-id and user-agent, and nothing else on a GET', async () => {
    fake.respondWith([{ body: sampleJob({ id: 'job-1' }) }]);
    await client.getJob(tenant, 'job-1');
    expect(sentHeaderNames()).toEqual([
      'accept',
      'authorization',
      'user-agent',
      'x-api-key',
      'x-gw-ims-org-id',
      'x-request-id',
      'x-sandbox-name',
    ]);
    const headers = fake.requests[0]?.headers;
    expect(headers?.authorization).toBe('Bearer secret-token-1');
    expect(headers?.['x-api-key']).toBe('test-api-key');
    expect(headers?.['x-gw-ims-org-id']).toBe('ORG1@AdobeOrg');
    expect(headers?.['x-sandbox-name']).toBe('prod');
    expect(headers?.accept).toBe('application/json');
    expect(headers?.['user-agent']).toBe('gateway-under-test');
    expect(headers?.['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('adds content-type only when there is a body', async () => {
    fake.respondWith([{ body: sampleJob() }]);
    await client.createJob(tenant, { kind: 'segments', segmentIds: ['s1'] });
    expect(sentHeaderNames()).toContain('content-type');
    expect(fake.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('gets one job with its id URL-encoded in the path', async () => {
    fake.respondWith([{ body: sampleJob({ id: 'a/b c' }) }]);
    const job = await client.getJob(tenant, 'a/b c');
    expect(fake.requests[0]?.method).toBe('GET');
    expect(fake.requests[0]?.path).toBe('/segment/jobs/a%2Fb%20c');
    expect(job.id).toBe('a/b c');
  });

  it('creates a job from segment ids with an array body', async () => {
    fake.respondWith([{ body: sampleJob({ id: 'new-job', status: 'NEW' }) }]);
    const job = await client.createJob(tenant, { kind: 'segments', segmentIds: ['s1', 's2'] });
    expect(fake.requests[0]?.method).toBe('POST');
    expect(fake.requests[0]?.path).toBe('/segment/jobs');
    expect(fake.requests[0]?.body).toEqual([{ segmentId: 's1' }, { segmentId: 's2' }]);
    expect(job.status).toBe('NEW');
  });

  it('creates an all-segments job with the wildcard body', async () => {
    fake.respondWith([{ body: sampleJob({ segments: [{ segmentId: '*' }] }) }]);
    const job = await client.createJob(tenant, { kind: 'all', schemaName: '_xdm.context.profile' });
    expect(fake.requests[0]?.body).toEqual({
      schema: { name: '_xdm.context.profile' },
      segments: [{ segmentId: '*' }],
    });
    expect(job.segments).toEqual([{ segmentId: '*' }]);
  });

  it('cancels a job with DELETE and resolves on 204', async () => {
    fake.respondWith([{ status: 204 }]);
    await expect(client.cancelJob(tenant, 'job 1')).resolves.toBeUndefined();
    expect(fake.requests[0]?.method).toBe('DELETE');
    expect(fake.requests[0]?.path).toBe('/segment/jobs/job%201');
    expect(fake.requests[0]?.rawBody).toBe('');
  });

  it('posts bulk-get as {ids: [{id}]}', async () => {
    fake.respondWith([bulkBody({ j1: sampleJob({ id: 'j1' }), j2: sampleJob({ id: 'j2' }) })]);
    const result = await client.bulkGetJobs(tenant, ['j1', 'j2']);
    expect(fake.requests[0]?.method).toBe('POST');
    expect(fake.requests[0]?.path).toBe('/segment/jobs/bulk-get');
    expect(fake.requests[0]?.body).toEqual({ ids: [{ id: 'j1' }, { id: 'j2' }] });
    expect([...result.keys()]).toEqual(['j1', 'j2']);
  });

  it('pings without credentials, and any HTTP answer counts as up', async () => {
    fake.respondWith([{ status: 401, body: { error_code: '401013', message: 'no token' } }]);
    await expect(client.ping()).resolves.toBeUndefined();
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
    expect(fake.requests[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('reports each exchange to the client-wide and per-call observers, without the query', async () => {
    const perCall: UpstreamCallEvent[] = [];
    fake.respondWith([{ body: jobListBody([]) }]);
    await client.listJobs(tenant, { limit: 5 }, { onCall: (event) => perCall.push(event) });
    expect(perCall).toEqual(events);
    expect(events).toEqual([
      expect.objectContaining({
        tenantKey: tenant.key,
        method: 'GET',
        path: '/segment/jobs',
        status: 200,
        attempt: 1,
      }),
    ]);
    expect(events[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('reuses kept-alive connections across calls', async () => {
    fake.respondWith(() => ({ body: sampleJob({ id: 'k' }) }));
    for (let index = 0; index < 6; index += 1) await client.getJob(tenant, 'k');
    const ports = new Set(fake.requests.map((request) => request.remotePort));
    // Sequential calls without keep-alive would each open a connection of their own.
    expect(ports.size).toBeLessThanOrEqual(2);
  });
});

describe('reading documented answers', () => {
  it('accepts a running job with partial metrics and an empty profileSegmentationTime', async () => {
    fake.respondWith([
      {
        body: sampleJob({
          id: 'running',
          status: 'PROCESSING',
          metrics: { totalTime: { startTimeInMs: 1_579_304_313_411 }, profileSegmentationTime: {} },
        }),
      },
    ]);
    const job = await client.getJob(tenant, 'running');
    expect(job.metrics).toEqual({
      totalTime: { startTimeInMs: 1_579_304_313_411 },
      profileSegmentationTime: {},
    });
  });

  it('accepts a wildcard job, missing optional fields, big counters and drops unknown fields', async () => {
    fake.respondWith([
      {
        body: {
          id: 'lean',
          imsOrgId: 'ORG1@AdobeOrg',
          status: 'SUCCEEDED',
          segments: [{ segmentId: '*' }],
          computeJobId: 8811,
          metrics: {
            totalProfiles: 13_146_432_000,
            segmentedProfileCounter: { s1: 2 ** 40 },
            segmentedProfileByStatusCounter: { s1: { realized: 2 ** 33, exited: 1 } },
          },
          somethingNew: { nested: true },
          _links: {},
        },
      },
    ]);
    const job = await client.getJob(tenant, 'lean');
    expect(job).toEqual({
      id: 'lean',
      imsOrgId: 'ORG1@AdobeOrg',
      status: 'SUCCEEDED',
      segments: [{ segmentId: '*' }],
      computeJobId: 8811,
      metrics: {
        totalProfiles: 13_146_432_000,
        segmentedProfileCounter: { s1: 2 ** 40 },
        segmentedProfileByStatusCounter: { s1: { realized: 2 ** 33, exited: 1 } },
      },
    });
  });
});
