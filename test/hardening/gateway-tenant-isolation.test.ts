// Tenant isolation at the gateway's edges, in passthrough mode over a fake upstream that records
// every request: concurrent tenants never share a call or an answer, a job stamped with another
// org or sandbox is dropped and reported (never served, never cached), hostile credential
// values are refused before any upstream call, and only the credential headers go upstream.
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CancelSegmentJobDocument,
  CreateSegmentJobDocument,
  SegmentJobDocument,
  SegmentJobStatusChangedDocument,
  SegmentJobsByIdsDocument,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import {
  bulkBody,
  type FakeUpstream,
  jobListBody,
  type RecordedRequest,
  type ScriptedResponse,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { errorsOf } from '../support/subscription-recorder.ts';
import { subscribeSse } from '../support/subscription-sse.ts';
import { openRawSocket } from '../support/ws-client.ts';

const ORG_A = 'ORGA@AdobeOrg';
const ORG_B = 'ORGB@AdobeOrg';
const headersA = tenantHeaders(ORG_A, 'prod', 'secret-token-a');
const headersB = tenantHeaders(ORG_B, 'prod', 'secret-token-b');
const BULK_GET = 'POST /segment/jobs/bulk-get';

let fake: FakeUpstream;
let harness: GatewayHarness;

beforeAll(async () => {
  fake = await startFakeUpstream();
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '20' },
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

function idsOf(request: RecordedRequest): string[] {
  const body = request.body as { ids?: { id: string }[] } | undefined;
  return (body?.ids ?? []).map((entry) => entry.id);
}

function tenantOf(request: RecordedRequest): { orgId: string; sandboxName: string } {
  return {
    orgId: String(request.headers['x-gw-ims-org-id']),
    sandboxName: String(request.headers['x-sandbox-name']),
  };
}

/** A bulk-get answer with one job per asked id, stamped with the caller's own org and sandbox. */
function ownJobs(
  request: RecordedRequest,
  overrides: (tenant: {
    orgId: string;
    sandboxName: string;
  }) => Record<string, unknown> = () => ({}),
): ScriptedResponse {
  const tenant = tenantOf(request);
  const results: Record<string, unknown> = {};
  for (const id of idsOf(request)) results[id] = sampleJob({ id, ...overrides(tenant) }, tenant);
  return bulkBody(results);
}

describe('two tenants asking for the same job id at once', () => {
  it('makes one upstream call per tenant, each with its own credentials, each answered its own', async () => {
    // Hold the first bulk-get until the second arrives: both must be in flight together.
    const arrived: (() => void)[] = [];
    fake.respondWith(BULK_GET, async (request) => {
      await new Promise<void>((resolve) => {
        arrived.push(resolve);
        if (arrived.length >= 2) for (const release of arrived) release();
        setTimeout(resolve, 3_000);
      });
      return ownJobs(request, (tenant) => ({
        status: tenant.orgId === ORG_A ? 'PROCESSING' : 'FAILED',
      }));
    });

    const [a, b] = await Promise.all([
      harness.execute(SegmentJobDocument, { id: 'shared-job' }, headersA),
      harness.execute(SegmentJobDocument, { id: 'shared-job' }, headersB),
    ]);

    expect(a.data?.segmentJob).toMatchObject({
      id: 'shared-job',
      status: 'PROCESSING',
      imsOrgId: ORG_A,
    });
    expect(b.data?.segmentJob).toMatchObject({
      id: 'shared-job',
      status: 'FAILED',
      imsOrgId: ORG_B,
    });
    const bulkGets = fake.requests.filter((request) => request.path === '/segment/jobs/bulk-get');
    expect(bulkGets).toHaveLength(2);
    const seen = bulkGets
      .map((request) => ({
        authorization: request.headers.authorization,
        org: request.headers['x-gw-ims-org-id'],
        ids: idsOf(request),
      }))
      .sort((x, y) => String(x.org).localeCompare(String(y.org)));
    expect(seen).toEqual([
      { authorization: 'Bearer secret-token-a', org: ORG_A, ids: ['shared-job'] },
      { authorization: 'Bearer secret-token-b', org: ORG_B, ids: ['shared-job'] },
    ]);
  });
});

describe('a job stamped with another org or sandbox', () => {
  const DROPPED = 'upstream returned a job of another org or sandbox; dropped';

  it.each<
    [string, (tenant: { orgId: string; sandboxName: string }) => Record<string, unknown>, string]
  >([
    ['another org', () => ({ imsOrgId: ORG_B }), 'imsOrgId'],
    [
      'another sandbox',
      (tenant) => ({
        sandbox: { sandboxId: 's-2', sandboxName: 'dev', type: 'development', default: false },
        imsOrgId: tenant.orgId,
      }),
      'sandbox.sandboxName',
    ],
  ])('from %s is dropped, reported, never served and never cached', async (_name, stamp, field) => {
    fake.respondWith(BULK_GET, (request) => ownJobs(request, stamp));
    const logsBefore = harness.logLines.length;

    const first = await harness.execute(SegmentJobDocument, { id: 'foreign-job' }, headersA);
    expect(first.errors).toBeUndefined();
    expect(first.data?.segmentJob).toBeNull();
    const many = await harness.execute(
      SegmentJobsByIdsDocument,
      { ids: ['foreign-job', 'other-foreign-job'] },
      headersA,
    );
    expect(many.data?.segmentJobsByIds).toEqual([null, null]);

    // Not cached: each lookup asked the upstream again.
    expect(
      fake.requests.filter((request) => request.path === '/segment/jobs/bulk-get'),
    ).toHaveLength(2);

    const warnings = harness.logLines.slice(logsBefore).filter((line) => line.msg === DROPPED);
    expect(warnings.map((line) => [line.jobId, line.mismatch])).toEqual([
      ['foreign-job', field],
      ['foreign-job', field],
      ['other-foreign-job', field],
    ]);
    expect(warnings.every((line) => line.level === 40)).toBe(true);
    const text = JSON.stringify(warnings);
    for (const secret of ['secret-token-a', 'Bearer', 'test-client']) {
      expect(text).not.toContain(secret);
    }
  });

  it('is left out of a list', async () => {
    fake.respondWith('GET /segment/jobs', () => ({
      status: 200,
      body: jobListBody([
        sampleJob({ id: 'own-job' }, { orgId: ORG_A, sandboxName: 'prod' }),
        sampleJob({ id: 'stray-job' }, { orgId: ORG_B, sandboxName: 'prod' }),
      ]),
    }));
    const result = await harness.execute(SegmentJobsDocument, { first: 10 }, headersA);
    expect(result.data?.segmentJobs.edges.map((edge) => edge.node.id)).toEqual(['own-job']);
  });

  it('ends a subscription to it with NOT_FOUND and never delivers the job', async () => {
    fake.respondWith(BULK_GET, (request) => ownJobs(request, () => ({ imsOrgId: ORG_B })));
    const stream = subscribeSse(
      harness.graphqlUrl,
      SegmentJobStatusChangedDocument,
      { ids: ['foreign-job'] },
      headersA,
    );
    await stream.ended('the end of the stream');
    expect(errorsOf(stream).map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(stream.results.some((result) => result.data?.segmentJobStatusChanged)).toBe(false);
  });
});

/** Sends one HTTP request written by hand (bytes fetch refuses to send); returns the status. */
function rawStatus(
  url: string,
  headerLines: string[],
  body: string,
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => {
      socket.write(
        [
          `POST ${target.pathname} HTTP/1.1`,
          `Host: ${target.host}`,
          'Content-Type: application/json',
          `Content-Length: ${Buffer.byteLength(body)}`,
          'Connection: close',
          ...headerLines,
          '',
          body,
        ].join('\r\n'),
        'latin1',
      );
    });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve({ status: Number(text.split(' ')[1]), text }));
    socket.on('error', reject);
  });
}

describe('hostile credential values', () => {
  const query = JSON.stringify({ query: '{ segmentJobs(first: 1) { totalCount } }' });
  const goodLines = (overrides: Record<string, string>): string[] =>
    Object.entries({ ...headersA, ...overrides }).map(([name, value]) => `${name}: ${value}`);

  it.each<[string, Record<string, string>]>([
    ['a bare CR in the sandbox', { 'x-sandbox-name': 'prod\rx-evil: 1' }],
    ['a folded line in the org', { 'x-gw-ims-org-id': `${ORG_A}\r\n x-evil: 1` }],
    ['a NUL in the token', { authorization: 'Bearer tok\u0000en' }],
    ['a control character in the API key', { 'x-api-key': 'key\u0001' }],
    ['DEL in the sandbox', { 'x-sandbox-name': 'pr\u007fod' }],
  ])('refuses %s at the HTTP parser (400), with no upstream call', async (_name, overrides) => {
    const response = await rawStatus(harness.graphqlUrl, goodLines(overrides), query);
    expect(response.status).toBe(400);
    expect(fake.requests).toHaveLength(0);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a tab in the sandbox', { 'x-sandbox-name': 'pr\tod' }, 'x-sandbox-name'],
    ['a tab in the API key', { 'x-api-key': 'key\tkey' }, 'x-api-key'],
    ['a non-ASCII sandbox', { 'x-sandbox-name': 'pr\u00f6d' }, 'x-sandbox-name'],
    ['a non-ASCII org', { 'x-gw-ims-org-id': 'ORG\u00c4@AdobeOrg' }, 'x-gw-ims-org-id'],
  ])('refuses %s before any upstream call, naming the header', async (_name, overrides, header) => {
    const response = await rawStatus(harness.graphqlUrl, goodLines(overrides), query);
    expect(response.status).toBe(200);
    expect(response.text).toContain('UNAUTHENTICATED');
    expect(response.text).toContain(`${header}:`);
    expect(fake.requests).toHaveLength(0);
  });

  it.each<[string, Record<string, string>, string]>([
    ['../ in the sandbox', { 'x-sandbox-name': '../prod' }, 'x-sandbox-name'],
    ['a slash in the sandbox', { 'x-sandbox-name': 'prod/jobs' }, 'x-sandbox-name'],
    ['%2F in the sandbox', { 'x-sandbox-name': 'prod%2F..' }, 'x-sandbox-name'],
    ['%2e%2e as the sandbox', { 'x-sandbox-name': '%2e%2e' }, 'x-sandbox-name'],
    ['a backslash in the sandbox', { 'x-sandbox-name': 'prod\\..' }, 'x-sandbox-name'],
    ['../ in the org', { 'x-gw-ims-org-id': '../ORGA@AdobeOrg' }, 'x-gw-ims-org-id'],
    ['a slash in the org', { 'x-gw-ims-org-id': 'ORG/A@AdobeOrg' }, 'x-gw-ims-org-id'],
    ['%2F in the org', { 'x-gw-ims-org-id': 'ORG%2FA@AdobeOrg' }, 'x-gw-ims-org-id'],
    ['a query string in the org', { 'x-gw-ims-org-id': 'ORGA@AdobeOrg?x=1' }, 'x-gw-ims-org-id'],
    ['a space inside the API key', { 'x-api-key': 'key key' }, 'x-api-key'],
    ['two tokens in authorization', { authorization: 'Bearer a b' }, 'authorization'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'authorization'],
  ])(
    'refuses %s before any upstream call, without echoing it',
    async (_name, overrides, header) => {
      const value = Object.values(overrides)[0] ?? '';
      const result = await harness.execute(
        SegmentJobsDocument,
        { first: 1 },
        { ...headersA, ...overrides },
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.errors?.[0]?.message).toContain(`${header}:`);
      expect(JSON.stringify(result)).not.toContain(value);
      expect(fake.requests).toHaveLength(0);
    },
  );

  it.each<[string, Record<string, unknown>]>([
    ['CR/LF in the sandbox', { 'x-sandbox-name': 'prod\r\nx-evil: 1' }],
    ['LF in the token', { authorization: 'Bearer token\nx-evil: 1' }],
    ['a NUL in the org', { 'x-gw-ims-org-id': 'ORGA\u0000@AdobeOrg' }],
    ['../ in the sandbox', { 'x-sandbox-name': '../prod' }],
    ['%2F in the org', { 'x-gw-ims-org-id': 'ORGA%2F@AdobeOrg' }],
    ['a number as the API key', { 'x-api-key': 42 }],
    ['a list as the sandbox', { 'x-sandbox-name': ['prod', 'dev'] }],
    ['an object as the token', { authorization: { toString: 'Bearer x' } }],
  ])(
    'closes a WebSocket whose connection_init has %s with 4403, with no upstream call',
    async (_name, overrides) => {
      const socket = openRawSocket(harness.graphqlUrl);
      await socket.opened;
      socket.send({ type: 'connection_init', payload: { ...headersA, ...overrides } });
      const closed = await socket.closed;
      expect(closed.code).toBe(4403);
      expect(socket.messages.some((message) => message.type === 'connection_ack')).toBe(false);
      expect(fake.requests).toHaveLength(0);
    },
  );
});

describe('what goes upstream', () => {
  /** Headers a caller sends that must never reach the upstream. */
  const EXTRAS: Record<string, string> = {
    cookie: 'session=caller-cookie',
    'x-forwarded-for': '203.0.113.7',
    forwarded: 'for=203.0.113.7',
    'x-custom': 'caller-custom',
    'x-request-id': 'caller-request-id',
    'user-agent': 'caller-agent/1.0',
    'x-gateway-key': 'caller-gateway-key',
    'x-amz-security-token': 'caller-amz',
    'proxy-authorization': 'Basic caller',
  };
  const CREDENTIALS = ['authorization', 'x-api-key', 'x-gw-ims-org-id', 'x-sandbox-name'];
  const GATEWAY_OWN = ['accept', 'content-type', 'x-request-id', 'user-agent'];
  const TRANSPORT = ['host', 'connection', 'content-length', 'transfer-encoding'];
  const ALLOWED = new Set([...CREDENTIALS, ...GATEWAY_OWN, ...TRANSPORT]);

  function expectOnlyAllowedHeaders(requests: readonly RecordedRequest[]): void {
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      const names = Object.keys(request.headers);
      expect(names.filter((name) => !ALLOWED.has(name))).toEqual([]);
      for (const name of CREDENTIALS) {
        expect(request.headers[name]).toBe(headersA[name]);
      }
      const text = JSON.stringify(request.headers);
      for (const value of Object.values(EXTRAS)) expect(text).not.toContain(value);
    }
  }

  it('forwards only the credential headers and the gateway’s own from queries and mutations', async () => {
    fake.respondWith(BULK_GET, (request) => ownJobs(request, () => ({ status: 'PROCESSING' })));
    fake.respondWith('GET /segment/jobs', () => ({ status: 200, body: jobListBody([]) }));
    fake.respondWith('POST /segment/jobs', (request) => ({
      status: 200,
      body: sampleJob({ id: 'created-job', status: 'NEW' }, tenantOf(request)),
    }));
    fake.respondWith(
      (request) => request.method === 'DELETE',
      () => ({ status: 204 }),
    );
    const headers = { ...headersA, ...EXTRAS };

    const list = await harness.execute(SegmentJobsDocument, { first: 1 }, headers);
    expect(list.errors).toBeUndefined();
    const one = await harness.execute(SegmentJobDocument, { id: 'job-1' }, headers);
    expect(one.errors).toBeUndefined();
    const created = await harness.execute(
      CreateSegmentJobDocument,
      { input: { segmentIds: ['segment-1'] } },
      headers,
    );
    expect(created.data?.createSegmentJob.__typename).toBe('CreateSegmentJobSuccess');
    const cancelled = await harness.execute(CancelSegmentJobDocument, { id: 'job-1' }, headers);
    expect(cancelled.data?.cancelSegmentJob.__typename).toBe('CancelSegmentJobSuccess');

    const methods = new Set(fake.requests.map((request) => `${request.method} ${request.path}`));
    expect(methods).toEqual(
      new Set([
        'GET /segment/jobs',
        'POST /segment/jobs/bulk-get',
        'POST /segment/jobs',
        'DELETE /segment/jobs/job-1',
      ]),
    );
    expectOnlyAllowedHeaders(fake.requests);
    for (const request of fake.requests) {
      expect(request.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('forwards only the credential headers from the watcher of an SSE or WebSocket subscriber', async () => {
    let polls = 0;
    fake.respondWith(BULK_GET, (request) => {
      polls += 1;
      return ownJobs(request, () => ({ status: polls >= 3 ? 'SUCCEEDED' : 'PROCESSING' }));
    });
    const sse = subscribeSse(
      harness.graphqlUrl,
      SegmentJobStatusChangedDocument,
      { ids: ['job-sse'] },
      { ...headersA, ...EXTRAS },
    );
    const socket = openRawSocket(harness.graphqlUrl);
    await socket.opened;
    socket.send({
      type: 'connection_init',
      payload: { ...headersA, ...EXTRAS, headers: { ...EXTRAS } },
    });
    await socket.nextMessage('connection_ack');
    socket.send({
      id: 'ws-1',
      type: 'subscribe',
      payload: {
        query:
          'subscription ($ids: [ID!]!) { segmentJobStatusChanged(ids: $ids) { jobId status } }',
        variables: { ids: ['job-ws'] },
      },
    });
    await sse.ended('the SSE stream to complete');
    await socket.nextMessage('complete');
    socket.socket.close();
    await waitForValue(
      async () => (Object.keys(harness.gateway.watcher.stats()).length === 0 ? true : undefined),
      5_000,
      'the watcher to let go of both jobs',
    );
    const asked = new Set(fake.requests.flatMap(idsOf));
    expect(asked).toEqual(new Set(['job-sse', 'job-ws']));
    expectOnlyAllowedHeaders(fake.requests);
  });
});
