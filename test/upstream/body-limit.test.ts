// The cap on upstream body size, enforced while reading: a streamed body over the limit is cut
// off (the fake counts what it managed to send), and a declared content-length over it is
// refused before reading. Against the fake upstream over real HTTP.
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
  jobListBody,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant();
const CAP = 1024 * 1024;
const HUGE = 64 * 1024 * 1024;
// What the loopback socket buffers and undici's stream may hold beyond the cap before the client
// closes: the client cannot refuse bytes the kernel already accepted.
const SLACK = 8 * 1024 * 1024;
let fake: FakeUpstream;
const clients: UpstreamClient[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterEach(async () => {
  fake.reset();
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await fake.close();
});

function makeClient(options: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  const client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    maxBodyBytes: CAP,
    sleep: () => Promise.resolve(),
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

describe('UPSTREAM_MAX_BODY_BYTES', () => {
  it('a streamed (chunked) body over the cap → UPSTREAM_UNAVAILABLE naming the limit; reading stops near the cap', async () => {
    const client = makeClient();
    fake.respondWith(() => ({ stream: { totalBytes: HUGE } }));
    const error = await failureOf(client.listJobs(tenant, {}));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe(
      `upstream answered 200 to GET /segment/jobs with a body over the limit of ${CAP} bytes (UPSTREAM_MAX_BODY_BYTES); stopped reading it`,
    );
    await fake.waitFor(() => fake.requests[0]?.isFinished === true);
    const request = fake.requests[0];
    expect(request?.closedByClient).toBe(true);
    expect(request?.bodyBytesSent ?? 0).toBeLessThan(CAP + SLACK);
    // A body that large is not worth asking for again.
    expect(fake.requests).toHaveLength(1);
  });

  it('a declared content-length over the cap is refused before reading', async () => {
    const client = makeClient();
    fake.respondWith(() => ({ status: 503, stream: { totalBytes: HUGE, declareLength: true } }));
    const error = await failureOf(client.getJob(tenant, 'job-1'));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.message).toBe(
      `upstream answered 503 to GET /segment/jobs/job-1 with a body of ${HUGE} bytes (content-length), over the limit of ${CAP} bytes (UPSTREAM_MAX_BODY_BYTES); not read`,
    );
    await fake.waitFor(() => fake.requests[0]?.isFinished === true);
    expect(fake.requests[0]?.bodyBytesSent ?? 0).toBeLessThan(CAP + SLACK);
    expect(fake.requests).toHaveLength(1);
  });

  it('a bulk-get chunk over the cap fails the call; a body under the cap is read', async () => {
    const client = makeClient();
    fake.respondWith(() => ({ stream: { totalBytes: HUGE } }));
    expect((await failureOf(client.bulkGetJobs(tenant, ['a']))).message).toContain(
      'UPSTREAM_MAX_BODY_BYTES',
    );
    fake.reset();
    const jobs = Array.from({ length: 100 }, (_, index) => sampleJob({ id: `job-${index}` }));
    fake.respondWith(() => ({ body: jobListBody(jobs) }));
    expect((await client.listJobs(tenant, {})).jobs).toHaveLength(100);
  });
});
