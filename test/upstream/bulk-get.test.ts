// Bulk-get: chunking, de-duplication, parallel chunks, and per-item outcomes (missing ids, error
// entries, another org's or sandbox's jobs), against the fake upstream.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  type UpstreamClient,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
} from '../../src/upstream/index.ts';
import {
  type FakeUpstream,
  fakeTenant,
  type RecordedRequest,
  type ScriptedResponse,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant();
let fake: FakeUpstream;
let client: UpstreamClient;
const warnings: Array<{ details: object; message: string }> = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    maxAttempts: 1,
    breakerThreshold: 1_000,
    logger: {
      warn: (details, message) => warnings.push({ details, message }),
      debug: () => {},
    },
  });
});

afterEach(() => {
  fake.reset();
  warnings.length = 0;
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

function requestedIds(request: RecordedRequest | undefined): string[] {
  const body = request?.body as { ids: Array<{ id: string }> } | undefined;
  return body?.ids.map((entry) => entry.id) ?? [];
}

/** Answers every requested id with its job. */
function echoJobs(request: RecordedRequest): ScriptedResponse {
  const results: Record<string, unknown> = {};
  for (const id of requestedIds(request)) results[id] = sampleJob({ id });
  return { status: 207, body: { results } };
}

describe('chunking', () => {
  it('250 ids → 3 POSTs of at most 100, each id asked once, one result per id', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', echoJobs);
    const ids = Array.from({ length: 250 }, (_, index) => `job-${index}`);
    const withDuplicates = [...ids, 'job-0', 'job-7', 'job-249'];
    const result = await client.bulkGetJobs(tenant, withDuplicates);
    expect(fake.requests).toHaveLength(3);
    const chunks = fake.requests.map(requestedIds);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(100);
    expect(chunks.flat().sort()).toEqual([...ids].sort());
    expect(result.size).toBe(250);
    expect([...result.keys()]).toEqual(ids);
    expect(result.get('job-249')).toMatchObject({ id: 'job-249' });
  });

  it('sends the chunks in parallel', async () => {
    // Each chunk waits; sequential chunks could never have three requests in flight at once.
    fake.respondWith('POST /segment/jobs/bulk-get', async (request) => {
      await fake.waitForRequests(3);
      return echoJobs(request);
    });
    const ids = Array.from({ length: 201 }, (_, index) => `p-${index}`);
    const result = await client.bulkGetJobs(tenant, ids);
    expect(result.size).toBe(201);
  });

  it('honours a smaller bulkGetMaxIds', async () => {
    const small = createUpstreamClient({ baseUrl: fake.baseUrl, bulkGetMaxIds: 2 });
    try {
      fake.respondWith('POST /segment/jobs/bulk-get', echoJobs);
      await small.bulkGetJobs(tenant, ['a', 'b', 'c', 'd', 'e']);
      expect(fake.requests.map(requestedIds)).toHaveLength(3);
    } finally {
      await small.close();
    }
  });

  it('no ids → no request', async () => {
    expect((await client.bulkGetJobs(tenant, [])).size).toBe(0);
    expect(fake.requests).toHaveLength(0);
  });

  it('a chunk that fails as a whole fails the call', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', (request) =>
      requestedIds(request).includes('job-150') ? { status: 503 } : echoJobs(request),
    );
    const ids = Array.from({ length: 200 }, (_, index) => `job-${index}`);
    await expect(client.bulkGetJobs(tenant, ids)).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe('per-item outcomes', () => {
  it('maps a missing id, an error entry, a foreign org and a foreign sandbox to NOT_FOUND', async () => {
    const other = { orgId: 'OTHER@AdobeOrg', sandboxName: 'prod' };
    const otherSandbox = { orgId: tenant.orgId, sandboxName: 'dev' };
    fake.respondWith([
      {
        status: 207,
        headers: { 'x-request-id': 'bulk-rid' },
        body: {
          results: {
            good: sampleJob({ id: 'good', status: 'SUCCEEDED' }),
            errored: {
              requestId: 'entry-rid',
              type: 'https://ns.adobe.com/aep/errors/UPAPI-113430-404',
              title: 'Segment job errored not found',
              status: 404,
              errors: { '404': [{ code: 'UPAPI-113430-404', message: 'not found' }] },
            },
            foreignOrg: sampleJob({ id: 'foreignOrg' }, other),
            foreignSandbox: sampleJob({ id: 'foreignSandbox' }, otherSandbox),
            unasked: sampleJob({ id: 'unasked' }),
          },
        },
      },
    ]);
    const ids = ['good', 'missing', 'errored', 'foreignOrg', 'foreignSandbox'];
    const result = await client.bulkGetJobs(tenant, ids);
    expect([...result.keys()]).toEqual(ids);
    expect(result.get('good')).toMatchObject({ id: 'good', status: 'SUCCEEDED' });
    for (const id of ['missing', 'errored', 'foreignOrg', 'foreignSandbox']) {
      const item = result.get(id);
      expect(item, id).toBeInstanceOf(UpstreamNotFoundError);
    }
    const errored = result.get('errored') as UpstreamNotFoundError;
    expect(errored.upstreamCode).toBe('UPAPI-113430-404');
    expect(errored.requestId).toBe('entry-rid');
    expect((result.get('missing') as UpstreamNotFoundError).requestId).toBe('bulk-rid');
    expect(result.has('unasked')).toBe(false);
  });

  it('never serves a foreign job and logs it at warn without secrets', async () => {
    fake.respondWith([
      {
        status: 207,
        body: {
          results: { f: sampleJob({ id: 'f' }, { orgId: 'OTHER@AdobeOrg', sandboxName: 'prod' }) },
        },
      },
    ]);
    const result = await client.bulkGetJobs(tenant, ['f']);
    expect(result.get('f')).toBeInstanceOf(UpstreamNotFoundError);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details).toMatchObject({
      jobId: 'f',
      mismatch: 'imsOrgId',
      tenantKey: tenant.key,
    });
    expect(JSON.stringify(warnings)).not.toContain('test-token');
  });

  it('an entry that is a job with an unknown status is an UPSTREAM_UNAVAILABLE item', async () => {
    fake.respondWith([
      {
        status: 207,
        body: {
          results: { odd: sampleJob({ id: 'odd', status: 'PAUSED' }), ok: sampleJob({ id: 'ok' }) },
        },
      },
    ]);
    const result = await client.bulkGetJobs(tenant, ['odd', 'ok']);
    expect(result.get('odd')).toBeInstanceOf(UpstreamUnavailableError);
    expect((result.get('odd') as Error).message).toContain('"PAUSED"');
    expect(result.get('ok')).toMatchObject({ id: 'ok' });
  });

  it('an error entry that reports a server fault is UPSTREAM_UNAVAILABLE, not NOT_FOUND', async () => {
    fake.respondWith([
      { status: 207, body: { results: { x: { status: 500, title: 'Internal error' } } } },
    ]);
    const result = await client.bulkGetJobs(tenant, ['x']);
    expect(result.get('x')).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('a body without results → UPSTREAM_UNAVAILABLE for the call', async () => {
    fake.respondWith([{ status: 207, body: { items: [] } }]);
    await expect(client.bulkGetJobs(tenant, ['a'])).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
  });

  it('getJob never serves a job of another org', async () => {
    fake.respondWith([
      { body: sampleJob({ id: 'g' }, { orgId: 'OTHER@AdobeOrg', sandboxName: 'prod' }) },
    ]);
    await expect(client.getJob(tenant, 'g')).rejects.toBeInstanceOf(UpstreamNotFoundError);
  });

  it('listJobs drops jobs of another sandbox', async () => {
    fake.respondWith([
      {
        body: {
          _page: { totalCount: 2, pageSize: 2 },
          children: [
            sampleJob({ id: 'mine' }),
            sampleJob({ id: 'theirs' }, { orgId: tenant.orgId, sandboxName: 'dev' }),
          ],
          _links: {},
        },
      },
    ]);
    const page = await client.listJobs(tenant, {});
    expect(page.jobs.map((job) => job.id)).toEqual(['mine']);
  });
});
