// Retries, Retry-After, timeouts, caller aborts, the per-tenant circuit breaker and token renewal,
// against the fake upstream over real HTTP. Waits between attempts go through an injected sleep
// that records them, so the tests count and compare delays instead of measuring time.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Tenant } from '../../src/domain/index.ts';
import {
  createUpstreamClient,
  type UpstreamClient,
  type UpstreamClientOptions,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamOutcomeUnknownError,
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
  startFakeUpstream,
  waitUntil,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant();
let fake: FakeUpstream;
const clients: UpstreamClient[] = [];
let delays: number[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterEach(async () => {
  vi.restoreAllMocks();
  fake.reset();
  delays = [];
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await fake.close();
});

/** A client whose waits between attempts are recorded and skipped. */
function makeClient(options: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  const client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    random: () => 0.5,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  clients.push(client);
  return client;
}

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw new Error(`expected an UpstreamError, but got ${String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Follows every timer set with exactly `delayMs` (a value nothing else uses): `live()` counts the
 * ones neither fired nor cleared, so a leaked timeout or backoff timer shows up as non-zero.
 */
function trackTimers(delayMs: number) {
  const live = new Set<unknown>();
  let created = 0;
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const fakeSet = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (ms !== delayMs) return realSet(callback, ms, ...args);
    created += 1;
    const handle = realSet(
      (...callbackArgs: unknown[]) => {
        live.delete(handle);
        callback(...callbackArgs);
      },
      ms,
      ...args,
    );
    live.add(handle);
    return handle;
  };
  const setSpy = vi
    .spyOn(globalThis, 'setTimeout')
    .mockImplementation(fakeSet as unknown as typeof setTimeout);
  const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
    live.delete(handle);
    realClear(handle);
  });
  return {
    created: () => created,
    live: () => live.size,
    restore: () => {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    },
  };
}

const ok: ScriptedResponse = { body: sampleJob({ id: 'job-1' }) };

describe('retries of idempotent calls', () => {
  it('503, 503, 200 → success after exactly 3 requests, with full-jitter delays', async () => {
    const client = makeClient({ retryBaseMs: 200, retryMaxMs: 5_000 });
    fake.respondWith([{ status: 503 }, { status: 503 }, ok]);
    const job = await client.getJob(tenant, 'job-1');
    expect(job.id).toBe('job-1');
    expect(fake.requests).toHaveLength(3);
    // random() = 0.5 of the caps 200 and 400.
    expect(delays).toEqual([100, 200]);
  });

  it('keeps every delay within the capped exponential bound', async () => {
    const client = makeClient({
      retryBaseMs: 100,
      retryMaxMs: 250,
      maxAttempts: 5,
      random: () => 0.999,
    });
    fake.respondWith(() => ({ status: 503 }));
    await failureOf(client.getJob(tenant, 'job-1'));
    expect(fake.requests).toHaveLength(5);
    const caps = [100, 200, 250, 250];
    expect(delays).toHaveLength(caps.length);
    delays.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(caps[index] ?? 0);
    });
    expect(delays[3]).toBeGreaterThan(200);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const client = makeClient({ maxAttempts: 3 });
    fake.respondWith(() => ({ status: 503, headers: { 'x-request-id': 'last' } }));
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.status).toBe(503);
    expect(fake.requests).toHaveLength(3);
  });

  it.each<[string, ScriptedResponse]>([
    ['500', { status: 500 }],
    ['502', { status: 502 }],
    ['504', { status: 504 }],
    ['429', { status: 429 }],
    ['a dropped connection', { destroy: true }],
    ['a timeout', { hang: true }],
  ])('retries a read after %s', async (_name, failure) => {
    const client = makeClient({ timeoutMs: 1_000 });
    fake.respondWith([failure, ok]);
    await expect(client.getJob(tenant, 'job-1')).resolves.toMatchObject({ id: 'job-1' });
    expect(fake.requests).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 422])('never retries %i', async (status) => {
    const client = makeClient();
    fake.respondWith(() => ({ status, body: { title: 'no' } }));
    await failureOf(client.getJob(tenant, 'job-1'));
    expect(fake.requests).toHaveLength(1);
  });

  it('retries DELETE (idempotent) and bulk-get POST', async () => {
    const client = makeClient();
    fake.respondWith('DELETE /segment/jobs/job-1', [{ status: 503 }, { status: 204 }]);
    await client.cancelJob(tenant, 'job-1');
    fake.respondWith('POST /segment/jobs/bulk-get', [
      { status: 502 },
      { status: 207, body: { results: { 'job-1': sampleJob({ id: 'job-1' }) } } },
    ]);
    const result = await client.bulkGetJobs(tenant, ['job-1']);
    expect(result.get('job-1')).toMatchObject({ id: 'job-1' });
    expect(fake.requests.map((request) => request.method)).toEqual([
      'DELETE',
      'DELETE',
      'POST',
      'POST',
    ]);
  });
});

describe('Retry-After', () => {
  it('429 with Retry-After: 2 → waits at least 2000 ms before the retry', async () => {
    const client = makeClient({ retryMaxMs: 5_000 });
    fake.respondWith([{ status: 429, headers: { 'retry-after': '2' } }, ok]);
    await client.getJob(tenant, 'job-1');
    expect(fake.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(2_000);
  });

  it('with the real clock, the retry after Retry-After: 1 arrives at least 1000 ms later', async () => {
    const client = createUpstreamClient({ baseUrl: fake.baseUrl, retryMaxMs: 5_000 });
    clients.push(client);
    fake.respondWith([{ status: 503, headers: { 'retry-after': '1' } }, ok]);
    await client.getJob(tenant, 'job-1');
    const [first, second] = fake.requests;
    expect(second?.receivedAtMs ?? 0).toBeGreaterThanOrEqual(
      (first?.receivedAtMs ?? 0) + 1_000 - 5,
    );
  });

  it('honours Retry-After as an HTTP date', async () => {
    const client = makeClient({ retryMaxMs: 10_000 });
    const inThreeSeconds = new Date(Date.now() + 3_000).toUTCString();
    fake.respondWith([{ status: 503, headers: { 'retry-after': inThreeSeconds } }, ok]);
    await client.getJob(tenant, 'job-1');
    // The date has second precision, so up to 1 s may be lost to rounding.
    expect(delays[0]).toBeGreaterThanOrEqual(1_900);
  });

  it('gives up at once when Retry-After exceeds the retry budget, keeping retryAfterSeconds', async () => {
    const client = makeClient({ retryMaxMs: 5_000 });
    fake.respondWith(() => ({ status: 429, headers: { 'retry-after': '10' } }));
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect((error as UpstreamRateLimitedError).retryAfterSeconds).toBe(10);
    expect(fake.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe('creates are never retried', () => {
  const create = (client: UpstreamClient) =>
    client.createJob(tenant, { kind: 'segments', segmentIds: ['s1'] });

  it('a dropped response → UpstreamOutcomeUnknownError after exactly one POST', async () => {
    const client = makeClient();
    fake.respondWith([{ destroy: true }, ok]);
    const error = await failureOf(create(client));
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toContain('may or may not have been created');
    expect(fake.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it('a timeout → UpstreamOutcomeUnknownError after exactly one POST', async () => {
    const client = makeClient({ timeoutMs: 200 });
    fake.respondWith([{ hang: true }, ok]);
    const error = await failureOf(create(client));
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(error.message).toContain('may or may not have been created');
    expect(fake.requests).toHaveLength(1);
  });

  it.each([500, 503, 429])('%i → one POST, and the plain error', async (status) => {
    const client = makeClient();
    fake.respondWith([{ status }, ok]);
    const error = await failureOf(create(client));
    expect(error).not.toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(fake.requests).toHaveLength(1);
  });

  it('504 from a gateway → UpstreamOutcomeUnknownError', async () => {
    const client = makeClient();
    fake.respondWith([{ status: 504 }, ok]);
    const error = await failureOf(create(client));
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(fake.requests).toHaveLength(1);
  });

  it('a refused connection means nothing was sent: plain UpstreamUnavailableError', async () => {
    const gone = await startFakeUpstream();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const client = makeClient({ baseUrl });
    const error = await failureOf(create(client));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).not.toBeInstanceOf(UpstreamOutcomeUnknownError);
  });
});

describe('timeouts and aborts', () => {
  it('times out each attempt and leaves no timer behind', async () => {
    const timers = trackTimers(150);
    const client = makeClient({ timeoutMs: 150, maxAttempts: 2 });
    fake.respondWith(() => ({ hang: true }));
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(fake.requests).toHaveLength(2);
    expect(timers.created()).toBe(2);
    expect(timers.live()).toBe(0);
  });

  it('clears the timeout timer of a call that succeeds', async () => {
    const timers = trackTimers(54_321);
    const client = makeClient({ timeoutMs: 54_321 });
    fake.respondWith([ok]);
    await client.getJob(tenant, 'job-1');
    expect(timers.created()).toBe(1);
    expect(timers.live()).toBe(0);
  });

  it('the caller abort cancels the upstream request at once, without retry', async () => {
    const timers = trackTimers(54_321);
    const client = makeClient({ timeoutMs: 54_321 });
    fake.respondWith(() => ({ hang: true }));
    const controller = new AbortController();
    const pending = failureOf(client.getJob(tenant, 'job-1', { signal: controller.signal }));
    await fake.waitForRequests(1);
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('aborted by the caller');
    await fake.waitFor(() => fake.requests[0]?.closedByClient === true);
    expect(fake.requests).toHaveLength(1);
    expect(timers.created()).toBe(1);
    expect(timers.live()).toBe(0);
  });

  it('an abort during the wait between attempts stops the retries and clears the wait', async () => {
    const timers = trackTimers(43_210);
    const client = createUpstreamClient({
      baseUrl: fake.baseUrl,
      retryBaseMs: 43_210,
      retryMaxMs: 43_210,
      random: () => 1,
    });
    clients.push(client);
    fake.respondWith(() => ({ status: 503 }));
    const controller = new AbortController();
    const pending = failureOf(client.getJob(tenant, 'job-1', { signal: controller.signal }));
    await waitUntil(() => timers.live() === 1, 3_000, 'the backoff timer');
    controller.abort();
    const error = await pending;
    expect(error.message).toContain('aborted by the caller');
    expect(fake.requests).toHaveLength(1);
    expect(timers.live()).toBe(0);
  });

  it('an already aborted signal sends nothing', async () => {
    const client = makeClient();
    const error = await failureOf(client.getJob(tenant, 'job-1', { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(fake.requests).toHaveLength(0);
  });

  it('an abort of a create in flight → UpstreamOutcomeUnknownError', async () => {
    const client = makeClient({ timeoutMs: 60_000 });
    fake.respondWith(() => ({ hang: true }));
    const controller = new AbortController();
    const pending = failureOf(
      client.createJob(
        tenant,
        { kind: 'segments', segmentIds: ['s'] },
        { signal: controller.signal },
      ),
    );
    await fake.waitForRequests(1);
    controller.abort();
    expect(await pending).toBeInstanceOf(UpstreamOutcomeUnknownError);
  });
});

describe('circuit breaker', () => {
  function breakerClient() {
    let nowMs = 0;
    const client = makeClient({
      maxAttempts: 1,
      breakerThreshold: 3,
      breakerCooldownMs: 10_000,
      now: () => nowMs,
    });
    return { client, advance: (ms: number) => (nowMs += ms) };
  }

  const tenantA = fakeTenant({ token: 'a' });
  const tenantB = fakeTenant({ token: 'b' });

  it('opens after N consecutive failures: no more traffic for that tenant, others unaffected', async () => {
    const { client } = breakerClient();
    fake.respondWith((request) =>
      request.headers.authorization === 'Bearer a' ? { status: 503 } : ok,
    );
    for (let index = 0; index < 3; index += 1) {
      expect(await failureOf(client.getJob(tenantA, 'job-1'))).toBeInstanceOf(
        UpstreamUnavailableError,
      );
    }
    expect(fake.requests).toHaveLength(3);
    const open = await failureOf(client.getJob(tenantA, 'job-1'));
    expect(open).toBeInstanceOf(UpstreamUnavailableError);
    expect(open.message).toMatch(/circuit open .* retry after 10000 ms/);
    expect(fake.requests).toHaveLength(3);
    await expect(client.getJob(tenantB, 'job-1')).resolves.toMatchObject({ id: 'job-1' });
    expect(fake.requests).toHaveLength(4);
  });

  it('lets one probe through after the cooldown; its success closes the circuit', async () => {
    const { client, advance } = breakerClient();
    fake.respondWith([{ status: 500 }, { status: 500 }, { status: 500 }]);
    for (let index = 0; index < 3; index += 1) await failureOf(client.getJob(tenantA, 'job-1'));
    advance(5_000);
    expect((await failureOf(client.getJob(tenantA, 'job-1'))).message).toContain(
      'retry after 5000 ms',
    );
    advance(5_000);
    fake.respondWith([ok, ok]);
    await expect(client.getJob(tenantA, 'job-1')).resolves.toMatchObject({ id: 'job-1' });
    await expect(client.getJob(tenantA, 'job-1')).resolves.toMatchObject({ id: 'job-1' });
    expect(fake.requests).toHaveLength(5);
  });

  it('a failed probe opens the circuit again for another cooldown', async () => {
    const { client, advance } = breakerClient();
    fake.respondWith(() => ({ status: 503 }));
    for (let index = 0; index < 3; index += 1) await failureOf(client.getJob(tenantA, 'job-1'));
    advance(10_000);
    await failureOf(client.getJob(tenantA, 'job-1'));
    expect(fake.requests).toHaveLength(4);
    expect((await failureOf(client.getJob(tenantA, 'job-1'))).message).toContain('circuit open');
    expect(fake.requests).toHaveLength(4);
  });

  it('only one probe at a time: concurrent calls fail fast while it is in flight', async () => {
    const { client, advance } = breakerClient();
    fake.respondWith([{ status: 503 }, { status: 503 }, { status: 503 }]);
    for (let index = 0; index < 3; index += 1) await failureOf(client.getJob(tenantA, 'job-1'));
    advance(10_000);
    // The probe's answer waits until the concurrent call has been refused.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    fake.respondWith(async () => {
      await released;
      return ok;
    });
    const probe = client.getJob(tenantA, 'job-1');
    await fake.waitForRequests(4);
    expect((await failureOf(client.getJob(tenantA, 'job-1'))).message).toContain('circuit open');
    release();
    await expect(probe).resolves.toMatchObject({ id: 'job-1' });
    expect(fake.requests).toHaveLength(4);
  });

  it('4xx answers do not count as failures', async () => {
    const { client } = breakerClient();
    fake.respondWith(() => ({ status: 404 }));
    for (let index = 0; index < 6; index += 1) {
      expect(await failureOf(client.getJob(tenantA, 'job-1'))).toBeInstanceOf(
        UpstreamNotFoundError,
      );
    }
    expect(fake.requests).toHaveLength(6);
  });

  it('timeouts count as failures', async () => {
    let nowMs = 0;
    const client = makeClient({
      maxAttempts: 1,
      breakerThreshold: 2,
      timeoutMs: 100,
      now: () => nowMs,
    });
    fake.respondWith(() => ({ hang: true }));
    await failureOf(client.getJob(tenantA, 'job-1'));
    await failureOf(client.getJob(tenantA, 'job-1'));
    nowMs += 1;
    expect((await failureOf(client.getJob(tenantA, 'job-1'))).message).toContain('circuit open');
    expect(fake.requests).toHaveLength(2);
  });
});

describe('token renewal after 401', () => {
  function renewableTenant(): Tenant & { renewals: number } {
    let version = 1;
    const state = {
      ...fakeTenant({ mode: 'service', canRenew: true }),
      renewals: 0,
      authorization: (options?: { forceRefresh?: boolean }) => {
        if (options?.forceRefresh === true) {
          version += 1;
          state.renewals += 1;
        }
        return Promise.resolve(`Bearer token-v${version}`);
      },
    };
    return state;
  }

  it('renews once and retries the read with the new token', async () => {
    const client = makeClient();
    const service = renewableTenant();
    fake.respondWith((request) =>
      request.headers.authorization === 'Bearer token-v2' ? ok : { status: 401 },
    );
    await expect(client.getJob(service, 'job-1')).resolves.toMatchObject({ id: 'job-1' });
    expect(service.renewals).toBe(1);
    expect(fake.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer token-v1',
      'Bearer token-v2',
    ]);
  });

  it('renews once and resends a create: a 401 means nothing was created', async () => {
    const client = makeClient();
    const service = renewableTenant();
    fake.respondWith([{ status: 401 }, ok]);
    await client.createJob(service, { kind: 'segments', segmentIds: ['s'] });
    expect(fake.requests).toHaveLength(2);
    expect(service.renewals).toBe(1);
  });

  it('a second 401 is final', async () => {
    const client = makeClient();
    const service = renewableTenant();
    fake.respondWith(() => ({ status: 401 }));
    expect(await failureOf(client.getJob(service, 'job-1'))).toBeInstanceOf(
      UpstreamUnauthenticatedError,
    );
    expect(fake.requests).toHaveLength(2);
    expect(service.renewals).toBe(1);
  });

  it('a passthrough tenant is never renewed', async () => {
    const client = makeClient();
    fake.respondWith(() => ({ status: 401 }));
    expect(await failureOf(client.getJob(tenant, 'job-1'))).toBeInstanceOf(
      UpstreamUnauthenticatedError,
    );
    expect(fake.requests).toHaveLength(1);
  });
});
