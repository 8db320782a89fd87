// The gateway over a scripted fake upstream (passthrough mode): every upstream failure keeps its
// meaning as an error code or a typed mutation error, reads are retried and creates never, the
// caller's own headers go upstream, and nothing internal leaks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CancelSegmentJobDocument,
  CreateSegmentJobDocument,
  SegmentJobDocument,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import {
  bulkBody,
  type FakeUpstream,
  jobListBody,
  type ScriptedResponse,
  sampleJob,
  segmentationError,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';

const ORG_A = 'ORGA@AdobeOrg';
const ORG_B = 'ORGB@AdobeOrg';
const headersA = tenantHeaders(ORG_A, 'prod', 'token-a');
const headersB = tenantHeaders(ORG_B, 'dev', 'token-b');
const SECRET_DETAIL = 'internal-upstream-detail-7f3a';

let fake: FakeUpstream;
let harness: GatewayHarness;

beforeAll(async () => {
  fake = await startFakeUpstream();
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', UPSTREAM_TIMEOUT_MS: '300', UPSTREAM_MAX_ATTEMPTS: '3' },
  });
});

afterAll(async () => {
  await harness?.close();
  await fake?.close();
});

beforeEach(() => {
  fake.reset();
  harness.resetCalls();
});

const withSecret = (response: ScriptedResponse): ScriptedResponse => ({
  ...response,
  body: { ...(response.body as object), detail: SECRET_DETAIL, stack: 'at secret (x.js:1:1)' },
});

function listQuery() {
  return harness.execute(SegmentJobsDocument, { first: 5 }, headersA);
}

function expectOneErrorWithCode(result: GraphQLResponse<unknown>, code: string) {
  expect(result.errors).toHaveLength(1);
  expect(result.errors?.[0]?.extensions?.code).toBe(code);
  const text = JSON.stringify(result);
  expect(text).not.toContain(SECRET_DETAIL);
  expect(text).not.toContain('token-a');
  expect(text).not.toMatch(/at secret|\.ts:\d+/);
}

describe('query errors keep the upstream meaning', () => {
  it.each<[string, string, 'once' | 'retried', ScriptedResponse]>([
    [
      '401',
      'UNAUTHENTICATED',
      'once',
      segmentationError(401, 'Oauth token is not valid', '401013'),
    ],
    ['403', 'FORBIDDEN', 'once', segmentationError(403, 'Api Key is required', '403000')],
    ['404', 'NOT_FOUND', 'once', segmentationError(404, 'no such path')],
    ['400', 'BAD_USER_INPUT', 'once', segmentationError(400, 'bad sort')],
    ['500', 'UPSTREAM_UNAVAILABLE', 'retried', segmentationError(500, 'boom')],
    ['503', 'UPSTREAM_UNAVAILABLE', 'retried', segmentationError(503, 'maintenance')],
    ['429 without Retry-After', 'RATE_LIMITED', 'retried', segmentationError(429, 'slow down')],
  ])('maps a %s on the list to %s (sent %s)', async (_name, code, attempts, response) => {
    fake.respondWith(() => withSecret(response));
    const result = await listQuery();
    expectOneErrorWithCode(result, code);
    expect(result.errors?.[0]?.extensions?.requestId).toMatch(/^req-/);
    if (attempts === 'once') expect(fake.requests).toHaveLength(1);
    else expect(fake.requests.length).toBeGreaterThan(1);
  });

  it('maps a 429 with Retry-After to RATE_LIMITED with retryAfterSeconds', async () => {
    fake.respondWith(() => ({
      ...segmentationError(429, 'slow down'),
      headers: { 'retry-after': '30' },
    }));
    const result = await listQuery();
    expectOneErrorWithCode(result, 'RATE_LIMITED');
    expect(result.errors?.[0]?.extensions?.retryAfterSeconds).toBe(30);
  });

  it('maps a 200 with garbage instead of JSON to UPSTREAM_UNAVAILABLE', async () => {
    fake.respondWith(() => ({ status: 200, body: `{"children": [ ${SECRET_DETAIL}` }));
    const result = await listQuery();
    expectOneErrorWithCode(result, 'UPSTREAM_UNAVAILABLE');
  });

  it('maps a hang to UPSTREAM_TIMEOUT, retrying the read', async () => {
    fake.respondWith(() => ({ hang: true }));
    const result = await listQuery();
    expectOneErrorWithCode(result, 'UPSTREAM_TIMEOUT');
    expect(fake.requests.length).toBeGreaterThan(1);
  });

  it('maps a failed bulk-get to the lookup’s error code and keeps sibling data', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', () => segmentationError(403, 'no access'));
    fake.respondWith('GET /segment/jobs', () => ({ status: 200, body: jobListBody([]) }));
    const result = await harness.post<{ job: unknown; list: { totalCount: number } }>(
      {
        query: `query Mixed($id: ID!) {
          job: segmentJob(id: $id) { id }
          list: segmentJobs(first: 1) { totalCount }
        }`,
        variables: { id: 'job-1' },
      },
      headersA,
    );
    expect(result.data).toEqual({ job: null, list: { totalCount: 0 } });
    expect(result.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['job'], 'FORBIDDEN'],
    ]);
  });

  it('maps a per-id error entry of a bulk-get to null for that id only', async () => {
    const job = sampleJob({ id: 'job-1' }, { orgId: ORG_A, sandboxName: 'prod' });
    fake.respondWith('POST /segment/jobs/bulk-get', [
      bulkBody({
        'job-1': job,
        'job-2': { status: 404, title: 'segment job job-2 not found' },
      }),
    ]);
    const result = await harness.post<{ a: { id: string } | null; b: { id: string } | null }>(
      { query: '{ a: segmentJob(id: "job-1") { id } b: segmentJob(id: "job-2") { id } }' },
      headersA,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ a: { id: 'job-1' }, b: null });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('mutation errors are typed results, and creates are never retried', () => {
  const input = { segmentIds: ['segment-1'] };

  it.each<[string, ScriptedResponse, Record<string, unknown>]>([
    [
      'a 500 as UpstreamError',
      segmentationError(500, 'boom'),
      { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', status: 500 },
    ],
    [
      'a 429 with Retry-After as RateLimitedError',
      { ...segmentationError(429, 'too many jobs'), headers: { 'retry-after': '7' } },
      { __typename: 'RateLimitedError', code: 'RATE_LIMITED', retryAfterSeconds: 7 },
    ],
    [
      'a 429 without Retry-After as RateLimitedError',
      segmentationError(429, 'too many jobs'),
      { __typename: 'RateLimitedError', code: 'RATE_LIMITED', retryAfterSeconds: null },
    ],
    [
      'a 400 as ValidationError on segmentIds',
      segmentationError(400, 'unknown definitions'),
      { __typename: 'ValidationError', code: 'BAD_USER_INPUT', field: 'segmentIds' },
    ],
    [
      'a 404 as NotFoundError',
      segmentationError(404, 'definition not found'),
      { __typename: 'NotFoundError', code: 'NOT_FOUND', id: 'segment-1' },
    ],
  ])('returns %s after exactly one POST', async (_name, response, expected) => {
    fake.respondWith(() => withSecret(response));
    const result = await harness.execute(CreateSegmentJobDocument, { input }, headersA);
    expect(result.errors).toBeUndefined();
    expect(result.data?.createSegmentJob).toMatchObject(expected);
    expect(JSON.stringify(result)).not.toContain(SECRET_DETAIL);
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /segment/jobs',
    ]);
  });

  it('returns UpstreamError with the upstream request id', async () => {
    fake.respondWith(() => ({
      ...segmentationError(502, 'bad gateway'),
      headers: { 'x-request-id': 'upstream-request-42' },
    }));
    const result = await harness.execute(CreateSegmentJobDocument, { input }, headersA);
    expect(result.data?.createSegmentJob).toMatchObject({
      __typename: 'UpstreamError',
      requestId: 'upstream-request-42',
      status: 502,
    });
  });

  it('returns UpstreamError saying the outcome is unknown when a create hangs', async () => {
    fake.respondWith(() => ({ hang: true }));
    const result = await harness.execute(CreateSegmentJobDocument, { input }, headersA);
    const payload = result.data?.createSegmentJob;
    expect(payload?.__typename).toBe('UpstreamError');
    expect(payload).toMatchObject({ code: 'UPSTREAM_OUTCOME_UNKNOWN', status: null });
    expect(payload?.__typename === 'UpstreamError' && payload.message).toMatch(
      /may or may not have been created/,
    );
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    ['401', 401, 'UNAUTHENTICATED'],
    ['403', 403, 'FORBIDDEN'],
  ])('keeps a %s on create a GraphQL error, not data', async (_name, status, code) => {
    fake.respondWith(() => segmentationError(status, 'no'));
    const result = await harness.execute(CreateSegmentJobDocument, { input }, headersA);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe(code);
  });

  it('returns the created job, with the caller’s headers sent upstream', async () => {
    fake.respondWith('POST /segment/jobs', () => ({
      status: 200,
      body: sampleJob({ id: 'new-job', status: 'NEW' }, { orgId: ORG_A, sandboxName: 'prod' }),
    }));
    const result = await harness.execute(CreateSegmentJobDocument, { input }, headersA);
    expect(result.data?.createSegmentJob).toMatchObject({
      __typename: 'CreateSegmentJobSuccess',
      job: { id: 'new-job', status: 'NEW' },
    });
    expect(fake.requests[0]?.headers).toMatchObject({
      authorization: 'Bearer token-a',
      'x-gw-ims-org-id': ORG_A,
      'x-sandbox-name': 'prod',
    });
  });

  describe('cancel', () => {
    const running = sampleJob(
      { id: 'job-1', status: 'PROCESSING' },
      { orgId: ORG_A, sandboxName: 'prod' },
    );

    it.each<[string, ScriptedResponse, Record<string, unknown>]>([
      [
        'a 429 on DELETE as RateLimitedError',
        { ...segmentationError(429, 'slow down'), headers: { 'retry-after': '60' } },
        { __typename: 'RateLimitedError', retryAfterSeconds: 60 },
      ],
      [
        'a 500 on DELETE as UpstreamError',
        segmentationError(500, 'boom'),
        { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', status: 500 },
      ],
      [
        'a 400 on DELETE as ValidationError on id',
        segmentationError(400, 'cannot cancel'),
        { __typename: 'ValidationError', field: 'id' },
      ],
      [
        'a 404 on DELETE as NotFoundError',
        segmentationError(404, 'gone'),
        { __typename: 'NotFoundError', id: 'job-1' },
      ],
    ])('returns %s', async (_name, response, expected) => {
      fake.respondWith('POST /segment/jobs/bulk-get', () => bulkBody({ 'job-1': running }));
      fake.respondWith('DELETE /segment/jobs/job-1', () => response);
      const result = await harness.execute(CancelSegmentJobDocument, { id: 'job-1' }, headersA);
      expect(result.errors).toBeUndefined();
      expect(result.data?.cancelSegmentJob).toMatchObject(expected);
    });

    it('retries a failing DELETE, since it is idempotent', async () => {
      fake.respondWith('POST /segment/jobs/bulk-get', () => bulkBody({ 'job-1': running }));
      fake.respondWith('DELETE /segment/jobs/job-1', () => segmentationError(503, 'busy'));
      await harness.execute(CancelSegmentJobDocument, { id: 'job-1' }, headersA);
      expect(fake.requests.filter((request) => request.method === 'DELETE').length).toBe(3);
    });

    it('returns the state read before the DELETE when the read-back fails', async () => {
      fake.respondWith('POST /segment/jobs/bulk-get', [
        bulkBody({ 'job-1': running }),
        segmentationError(500, 'read-back failed'),
        segmentationError(500, 'read-back failed'),
        segmentationError(500, 'read-back failed'),
      ]);
      fake.respondWith('DELETE /segment/jobs/job-1', () => ({ status: 204 }));
      const result = await harness.execute(CancelSegmentJobDocument, { id: 'job-1' }, headersA);
      expect(result.data?.cancelSegmentJob).toEqual({
        __typename: 'CancelSegmentJobSuccess',
        job: { id: 'job-1', status: 'PROCESSING', isFinal: false },
      });
    });
  });
});

describe('tenants', () => {
  it('refuses a passthrough caller with no headers as UNAUTHENTICATED before any upstream call', async () => {
    const result = await harness.execute(SegmentJobsDocument, { first: 1 });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.errors?.[0]?.message).toMatch(/authorization/i);
    expect(fake.requests).toHaveLength(0);
    expect(harness.calls).toHaveLength(0);
  });

  it('refuses a mutation with no headers the same way, not as data', async () => {
    const result = await harness.execute(CreateSegmentJobDocument, {
      input: { allSegments: true },
    });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(fake.requests).toHaveLength(0);
  });

  it('answers operations that need no upstream without credentials', async () => {
    const result = await harness.post({ query: '{ __typename }' });
    expect(result).toEqual({ status: 200, data: { __typename: 'Query' } });
  });

  it('asks the upstream once per tenant for the same id, each with its own headers', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', (request) => {
      const orgId = String(request.headers['x-gw-ims-org-id']);
      const sandboxName = String(request.headers['x-sandbox-name']);
      return bulkBody({ 'shared-id': sampleJob({ id: 'shared-id' }, { orgId, sandboxName }) });
    });
    const [a, b] = await Promise.all([
      harness.execute(SegmentJobDocument, { id: 'shared-id' }, headersA),
      harness.execute(SegmentJobDocument, { id: 'shared-id' }, headersB),
    ]);
    expect(a.data?.segmentJob?.imsOrgId).toBe(ORG_A);
    expect(b.data?.segmentJob?.imsOrgId).toBe(ORG_B);
    expect(fake.requests).toHaveLength(2);
    const sent = fake.requests.map((request) => ({
      authorization: request.headers.authorization,
      org: request.headers['x-gw-ims-org-id'],
      sandbox: request.headers['x-sandbox-name'],
    }));
    expect(sent).toEqual(
      expect.arrayContaining([
        { authorization: 'Bearer token-a', org: ORG_A, sandbox: 'prod' },
        { authorization: 'Bearer token-b', org: ORG_B, sandbox: 'dev' },
      ]),
    );
    expect(new Set(harness.calls.map((call) => call.tenantKey)).size).toBe(2);
  });
});

describe('internal failures', () => {
  it('are masked: a generic message, no stack, no detail; the log keeps the cause', async () => {
    const failing = await startGatewayHarness({
      upstreamBaseUrl: fake.baseUrl,
      env: { AUTH_MODE: 'passthrough' },
      tenants: {
        fromHeaders: () => {
          throw new TypeError(`cannot read ${SECRET_DETAIL}`);
        },
        fromConnectionParams: () => {
          throw new TypeError(`cannot read ${SECRET_DETAIL}`);
        },
      },
    });
    try {
      const result = await failing.execute(SegmentJobsDocument, { first: 1 }, headersA);
      expect(result.errors).toHaveLength(1);
      expect(result.errors?.[0]?.message).toBe('Unexpected error.');
      expect(JSON.stringify(result)).not.toContain(SECRET_DETAIL);
      expect(JSON.stringify(result)).not.toMatch(/stack|TypeError/);
      const logged = failing.logLines.find((line) => line.msg === 'internal error');
      expect(JSON.stringify(logged)).toContain(SECRET_DETAIL);
    } finally {
      await failing.close();
    }
  });
});

describe('/readyz', () => {
  it('answers 200 while the upstream answers HTTP at all', async () => {
    fake.respondWith(() => segmentationError(401, 'no credentials'));
    const response = await fetch(`${harness.origin}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
  });

  it('answers 503 with the reason when the upstream is down', async () => {
    const gone = await startFakeUpstream();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const orphan = await startGatewayHarness({
      upstreamBaseUrl: baseUrl,
      env: { AUTH_MODE: 'passthrough', UPSTREAM_MAX_ATTEMPTS: '1' },
    });
    try {
      const response = await fetch(`${orphan.origin}/readyz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'unavailable', code: 'UPSTREAM_UNAVAILABLE' });
      expect(String(body.reason)).toMatch(/expected the Segmentation Service to answer/);
      const health = await fetch(`${orphan.origin}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await orphan.close();
    }
  });
});
