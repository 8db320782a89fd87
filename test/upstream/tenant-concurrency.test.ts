// One tenant's slow upstream must not hold the shared connection pool: a per-tenant cap on calls
// in flight with a bounded queue, and an attempt deadline that covers the whole body. Asserted by
// counts at the fake upstream (requests in flight, bytes sent), never by elapsed time.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  type UpstreamClient,
  type UpstreamClientOptions,
  UpstreamError,
} from '../../src/upstream/index.ts';
import {
  type FakeUpstream,
  fakeTenant,
  type RecordedRequest,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const tenantA = fakeTenant({ orgId: 'A@AdobeOrg', token: 'a' });
const tenantB = fakeTenant({ orgId: 'B@AdobeOrg', token: 'b' });
// Long enough that a dripping answer outlives every test; the client cuts it off.
const DRIP = { text: ' '.repeat(10_000), intervalMs: 50 };
let fake: FakeUpstream;
const clients: UpstreamClient[] = [];
const aborts: AbortController[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterEach(async () => {
  for (const abort of aborts.splice(0)) abort.abort();
  await Promise.all(clients.splice(0).map((client) => client.close()));
  fake.reset();
});

afterAll(async () => {
  await fake.close();
});

const isOf = (orgId: string) => (request: RecordedRequest) =>
  request.headers['x-gw-ims-org-id'] === orgId;
const isA = isOf(tenantA.orgId);
const isB = isOf(tenantB.orgId);

function makeClient(options: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  const client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    maxAttempts: 1,
    breakerThreshold: 1_000,
    timeoutMs: 20_000,
    ...options,
  });
  clients.push(client);
  return client;
}

/** Starts a call that the test aborts at the end; its failure is kept, not thrown. */
function background(start: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
  const abort = new AbortController();
  aborts.push(abort);
  return start(abort.signal).catch((error: unknown) => error);
}

function answerByTenant(): void {
  fake.respondWith((request) =>
    isA(request) ? { drip: DRIP } : { body: sampleJob({ id: 'job-b' }, tenantB) },
  );
}

/** The most requests of one tenant the fake ever had in flight at once. */
function maxInFlight(predicate: (request: RecordedRequest) => boolean): number {
  let max = 0;
  for (const request of fake.requests) {
    if (!predicate(request)) continue;
    max = Math.max(max, request.inFlightAtArrival.filter(predicate).length);
  }
  return max;
}

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome instanceof UpstreamError) return outcome;
  throw new Error(`expected an UpstreamError, but got ${String(outcome)}`);
}

describe('UPSTREAM_MAX_CONCURRENCY_PER_TENANT', () => {
  it("a tenant whose upstream drips cannot hold the pool: another tenant's call goes through", async () => {
    const client = makeClient({
      connections: 8,
      maxConcurrencyPerTenant: 4,
      maxQueuedPerTenant: 100,
    });
    answerByTenant();
    const held = Array.from({ length: 20 }, (_, index) =>
      background((signal) => client.getJob(tenantA, `job-a-${index}`, { signal })),
    );
    await fake.waitFor(() => fake.inFlight(isA).length >= 4);

    const job = await client.getJob(tenantB, 'job-b');
    expect(job.id).toBe('job-b');
    expect(fake.requests.filter(isB)).toHaveLength(1);
    // A's calls are still held by the dripping upstream, and never more than 4 at once.
    expect(fake.inFlight(isA).length).toBe(4);
    expect(maxInFlight(isA)).toBe(4);
    expect(fake.requests.filter(isA)).toHaveLength(4);
    for (const abort of aborts) abort.abort();
    await Promise.all(held);
  });

  it('a full queue fails fast with RATE_LIMITED and a message naming both limits', async () => {
    const client = makeClient({ maxConcurrencyPerTenant: 2, maxQueuedPerTenant: 3 });
    answerByTenant();
    for (let index = 0; index < 5; index += 1) {
      void background((signal) => client.getJob(tenantA, `job-a-${index}`, { signal }));
    }
    await fake.waitFor(() => fake.inFlight(isA).length === 2);
    const error = await failureOf(client.getJob(tenantA, 'one-too-many'));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toBe(
      'too many upstream calls for this tenant: 2 in flight and 3 queued (UPSTREAM_MAX_CONCURRENCY_PER_TENANT=2, UPSTREAM_MAX_QUEUED_PER_TENANT=3); GET /segment/jobs/one-too-many not sent, retry later',
    );
    expect(fake.requests.filter(isA)).toHaveLength(2);
    // The other tenant has its own slots.
    expect((await client.getJob(tenantB, 'job-b')).id).toBe('job-b');
  });

  it('a queued call whose caller aborts leaves the queue and is never sent', async () => {
    const client = makeClient({ maxConcurrencyPerTenant: 1, maxQueuedPerTenant: 10 });
    answerByTenant();
    void background((signal) => client.getJob(tenantA, 'first', { signal }));
    await fake.waitFor(() => fake.inFlight(isA).length === 1);
    const abort = new AbortController();
    const queued = failureOf(client.getJob(tenantA, 'queued', { signal: abort.signal }));
    abort.abort();
    const error = await queued;
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe('GET /segment/jobs/queued was aborted by the caller');
    expect(fake.requests.map((request) => request.path)).toEqual(['/segment/jobs/first']);
  });
});

describe('the attempt deadline covers the whole body', () => {
  it('a body that drips past UPSTREAM_TIMEOUT_MS → UPSTREAM_TIMEOUT, the connection closed mid-body', async () => {
    const client = makeClient({ timeoutMs: 300 });
    // 60 bytes at one per 50 ms: each chunk comes well within any per-chunk inactivity timeout.
    fake.respondWith(() => ({ drip: { text: ' '.repeat(60), intervalMs: 50 } }));
    const error = await failureOf(client.getJob(tenantA, 'slow'));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    await fake.waitFor(() => fake.requests[0]?.isFinished === true);
    expect(fake.requests[0]?.closedByClient).toBe(true);
    expect(fake.requests[0]?.bodyBytesSent ?? 0).toBeLessThan(60);
  });
});
