// How upstream failures reach callers: each status, body oddity and fault maps to its typed error
// with code, upstream code and request id, and no message ever carries a token or a body secret.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  UpstreamBadRequestError,
  type UpstreamClient,
  UpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from '../../src/upstream/index.ts';
import {
  type FakeUpstream,
  fakeTenant,
  type ScriptedResponse,
  sampleJob,
  segmentationError,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXNlY3JldA';
const tenant = fakeTenant({ token: TOKEN });
let fake: FakeUpstream;
let client: UpstreamClient;

beforeAll(async () => {
  fake = await startFakeUpstream();
  // One attempt and a high breaker threshold, so each test sees exactly one exchange.
  client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    maxAttempts: 1,
    breakerThreshold: 1_000,
  });
});

afterEach(() => fake.reset());

afterAll(async () => {
  await client.close();
  await fake.close();
});

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw new Error(`expected an UpstreamError, but got ${String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('status mapping', () => {
  const cases: Array<{
    name: string;
    response: ScriptedResponse;
    errorClass: new (...args: never[]) => UpstreamError;
    code: string;
    upstreamCode?: string;
    requestId?: string;
  }> = [
    {
      name: '400 problem details',
      response: {
        status: 400,
        body: {
          type: 'https://ns.adobe.com/aep/errors/UPAPI-1-400',
          title: 'Bad limit',
          status: 400,
          detail: 'x',
        },
        headers: { 'x-request-id': 'rid-400' },
      },
      errorClass: UpstreamBadRequestError,
      code: 'BAD_USER_INPUT',
      upstreamCode: 'UPAPI-1-400',
      requestId: 'rid-400',
    },
    {
      name: '422',
      response: { status: 422, body: { title: 'Unprocessable' } },
      errorClass: UpstreamBadRequestError,
      code: 'BAD_USER_INPUT',
    },
    {
      name: '401 gateway shape',
      response: {
        status: 401,
        body: { error_code: '401013', message: 'Oauth token is not valid' },
      },
      errorClass: UpstreamUnauthenticatedError,
      code: 'UNAUTHENTICATED',
      upstreamCode: '401013',
    },
    {
      name: '403 segmentation shape',
      response: {
        status: 403,
        body: {
          requestId: 'body-rid-403',
          type: 'https://ns.adobe.com/aep/errors/UPAPI-113740-403',
          title: 'The IMS Org is not enabled',
          status: 403,
          errors: { '403': [{ code: 403, message: 'The IMS Org is not enabled' }] },
        },
      },
      errorClass: UpstreamForbiddenError,
      code: 'FORBIDDEN',
      upstreamCode: 'UPAPI-113740-403',
      requestId: 'body-rid-403',
    },
    {
      name: '404 segmentation shape with a code in errors',
      response: {
        ...segmentationError(404, 'Segment job not found', 'UPAPI-113430-404'),
        headers: { 'x-request-id': 'header-rid-404' },
      },
      errorClass: UpstreamNotFoundError,
      code: 'NOT_FOUND',
      upstreamCode: 'UPAPI-113430-404',
      requestId: 'header-rid-404',
    },
    {
      name: '429 without Retry-After',
      response: { status: 429, body: { title: 'Too many jobs' } },
      errorClass: UpstreamRateLimitedError,
      code: 'RATE_LIMITED',
    },
    {
      name: '500',
      response: { status: 500, body: { title: 'boom' }, headers: { 'x-request-id': 'rid-500' } },
      errorClass: UpstreamUnavailableError,
      code: 'UPSTREAM_UNAVAILABLE',
      requestId: 'rid-500',
    },
    {
      name: '503 with an empty body',
      response: { status: 503 },
      errorClass: UpstreamUnavailableError,
      code: 'UPSTREAM_UNAVAILABLE',
    },
  ];

  it.each(cases)(
    '$name → $code',
    async ({ response, errorClass, code, upstreamCode, requestId }) => {
      fake.respondWith([response]);
      const error = await failureOf(client.getJob(tenant, 'job-1'));
      expect(error).toBeInstanceOf(errorClass);
      expect(error.code).toBe(code);
      expect(error.status).toBe(response.status);
      expect(error.method).toBe('GET');
      expect(error.path).toBe('/segment/jobs/job-1');
      if (upstreamCode !== undefined) expect(error.upstreamCode).toBe(upstreamCode);
      if (requestId !== undefined) expect(error.requestId).toBe(requestId);
      else expect(error.requestId).toBe(fake.requests[0]?.headers['x-request-id']);
      expect(error.message).toMatch(
        new RegExp(`^upstream answered ${response.status} to GET /segment/jobs/job-1`),
      );
    },
  );

  it('429 carries retryAfterSeconds from Retry-After', async () => {
    fake.respondWith([
      { status: 429, headers: { 'retry-after': '30' }, body: { title: 'slow down' } },
    ]);
    const error = await failureOf(
      client.createJob(tenant, { kind: 'segments', segmentIds: ['s'] }),
    );
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect((error as UpstreamRateLimitedError).retryAfterSeconds).toBe(30);
    expect(error.message).toContain('retry after 30 s');
  });

  it.each([
    ['2147484', 300],
    ['99999999999999999999', 300],
    [() => new Date(Date.now() + 30 * 86_400_000).toUTCString(), 300],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
  ])(
    '429 with Retry-After %s → retryAfterSeconds %s (capped by UPSTREAM_RETRY_AFTER_MAX_MS)',
    async (header, seconds) => {
      const value = typeof header === 'function' ? header() : header;
      fake.respondWith([{ status: 429, headers: { 'retry-after': value } }]);
      const error = await failureOf(
        client.createJob(tenant, { kind: 'segments', segmentIds: ['s'] }),
      );
      expect((error as UpstreamRateLimitedError).retryAfterSeconds).toBe(seconds);
      if (seconds !== undefined) expect(error.message).toMatch(/; retry after 300 s$/);
    },
  );

  it('a configured Retry-After cap applies', async () => {
    const capped = createUpstreamClient({
      baseUrl: fake.baseUrl,
      maxAttempts: 1,
      retryAfterMaxMs: 60_000,
    });
    try {
      fake.respondWith([{ status: 429, headers: { 'retry-after': '2147484' } }]);
      const error = await failureOf(capped.getJob(tenant, 'job-1'));
      expect((error as UpstreamRateLimitedError).retryAfterSeconds).toBe(60);
    } finally {
      await capped.close();
    }
  });

  it('429 without Retry-After leaves retryAfterSeconds undefined', async () => {
    fake.respondWith([{ status: 429 }]);
    const error = await failureOf(
      client.createJob(tenant, { kind: 'segments', segmentIds: ['s'] }),
    );
    expect((error as UpstreamRateLimitedError).retryAfterSeconds).toBeUndefined();
  });
});

describe('bodies that are not what the API documents', () => {
  it('garbage JSON → UPSTREAM_UNAVAILABLE saying what was expected, without the body', async () => {
    fake.respondWith([{ status: 200, body: '{"id": "x", "status": SECRET-ISH garbage' }]);
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('not JSON');
    expect(error.message).toContain('expected a segment job');
    expect(error.message).not.toContain('SECRET-ISH');
  });

  it('an unknown status value → UPSTREAM_UNAVAILABLE naming the field and the value', async () => {
    fake.respondWith([{ body: sampleJob({ status: 'PAUSED' }) }]);
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('status: expected one of NEW, QUEUED');
    expect(error.message).toContain('but got "PAUSED"');
  });

  it('a job list without children → UPSTREAM_UNAVAILABLE naming the field', async () => {
    fake.respondWith([{ body: { _page: { totalCount: 0 }, items: [] } }]);
    const error = await failureOf(client.listJobs(tenant, {}));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('children');
  });

  it('a list item with a wrong type → that item alone UPSTREAM_UNAVAILABLE, with its index', async () => {
    fake.respondWith([{ body: { children: [sampleJob(), sampleJob({ segments: 'all' })] } }]);
    const page = await client.listJobs(tenant, {});
    expect(page.jobs).toHaveLength(1);
    expect(page.unreadable[0]?.error).toBeInstanceOf(UpstreamUnavailableError);
    expect(page.unreadable[0]?.error.message).toContain('children[1].segments');
  });

  it('an empty 200 body → UPSTREAM_UNAVAILABLE', async () => {
    fake.respondWith([{ status: 200 }]);
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('empty body');
  });
});

describe('faults', () => {
  it('a hanging upstream → UPSTREAM_TIMEOUT with the request id sent', async () => {
    const impatient = createUpstreamClient({
      baseUrl: fake.baseUrl,
      maxAttempts: 1,
      timeoutMs: 300,
    });
    fake.respondWith([{ hang: true }]);
    const error = await failureOf(impatient.getJob(tenant, 'job-1')).finally(() =>
      impatient.close(),
    );
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toContain('within 300 ms');
    expect(error.requestId).toBe(fake.requests[0]?.headers['x-request-id']);
  });

  it('a dropped connection on a read → UPSTREAM_UNAVAILABLE', async () => {
    fake.respondWith([{ destroy: true }]);
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('could not reach the upstream');
  });

  it('a closed port → UPSTREAM_UNAVAILABLE', async () => {
    const gone = await startFakeUpstream();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const lonely = createUpstreamClient({ baseUrl, maxAttempts: 1 });
    try {
      const error = await failureOf(lonely.listJobs(tenant, {}));
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error.message).toContain('ECONNREFUSED');
      await expect(lonely.ping()).rejects.toBeInstanceOf(UpstreamUnavailableError);
    } finally {
      await lonely.close();
    }
  });
});

describe('no secrets in messages', () => {
  const secretBodies: ScriptedResponse[] = [
    { status: 401, body: { error_code: '401013', message: `Token ${TOKEN} is not valid` } },
    { status: 400, body: { title: `bad header Authorization: Bearer ${TOKEN}` } },
    {
      status: 500,
      body: { title: 'failed', client_secret: 'p8e-SUPERSECRET', detail: 'p8e-SUPERSECRET' },
    },
    { status: 403, body: { message: 'access_token=abc.def.SUPERSECRET denied' } },
    { status: 502, body: `<html>Bearer ${TOKEN} p8e-SUPERSECRET</html>` },
  ];

  it.each(secretBodies)(
    'status $status: the message holds neither token nor secret',
    async (response) => {
      fake.respondWith([response]);
      const error = await failureOf(client.getJob(tenant, 'job-1'));
      const everything = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
      expect(everything).not.toContain(TOKEN);
      expect(everything).not.toContain('SUPERSECRET');
    },
  );

  it('keeps a short, safe upstream title in the message', async () => {
    fake.respondWith([segmentationError(404, 'Segment job abc not found.')]);
    const error = await failureOf(client.getJob(tenant, 'abc'));
    expect(error.message).toContain('Segment job abc not found.');
  });

  it('caps a long upstream title', async () => {
    fake.respondWith([{ status: 400, body: { title: 'word '.repeat(500) } }]);
    const error = await failureOf(client.getJob(tenant, 'abc'));
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('credentials HTTP cannot carry', () => {
  it('fail at once without a request, a retry or a breaker count', async () => {
    const broken = fakeTenant({ apiKey: 'key\r\nx-injected: 1' });
    const error = await failureOf(client.getJob(broken, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('characters HTTP does not allow');
    expect(fake.requests).toHaveLength(0);
  });
});
