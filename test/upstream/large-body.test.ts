// A long upstream body is parsed in slices: the client reads the same job, the event loop turns
// meanwhile (counted from the end of the exchange to the result), a long body that is not JSON
// fails as a short one does, and a caller's abort stops the parse. Over real HTTP, on loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamClient, UpstreamError } from '../../src/upstream/index.ts';
import { SLICED_BODY_MIN_CHARS } from '../../src/upstream/sliced-json.ts';
import {
  type FakeUpstream,
  fakeTenant,
  jobListBody,
  jobWithMetrics,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant();
const SEGMENTS = 20_000;
let fake: FakeUpstream;
const client = () => createUpstreamClient({ baseUrl: fake.baseUrl, maxAttempts: 1 });
let upstream: ReturnType<typeof client>;
// Serialized once: the fake sends a string as is.
let bigJobText: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  upstream = client();
  bigJobText = JSON.stringify(
    jobWithMetrics(
      { segments: SEGMENTS, namespaces: 2, mergePolicies: SEGMENTS },
      { id: 'big-job' },
      tenant,
    ),
  );
});

afterEach(() => {
  fake.reset();
});

afterAll(async () => {
  await upstream.close();
  await fake.close();
});

/**
 * Counts turns of the event loop (setImmediate callbacks) from the moment the exchange ends
 * (`onCall` fires, the body is read whole) until the call settles: only the parse can let any
 * run, as everything after it is synchronous.
 */
function turnCounter() {
  let turns = 0;
  let isCounting = false;
  const probe = () => {
    if (!isCounting) return;
    turns++;
    setImmediate(probe);
  };
  return {
    onCall: () => {
      isCounting = true;
      setImmediate(probe);
    },
    stop: () => {
      isCounting = false;
      return turns;
    },
  };
}

describe('a long body', () => {
  it('is read into the same job while the event loop keeps turning', async () => {
    expect(bigJobText.length).toBeGreaterThan(4 * SLICED_BODY_MIN_CHARS);
    fake.respondWith('GET /segment/jobs/big-job', [{ body: bigJobText }]);
    const counter = turnCounter();
    const job = await upstream.getJob(tenant, 'big-job', { onCall: counter.onCall });
    const turns = counter.stop();

    expect(job.id).toBe('big-job');
    expect(job.segments).toHaveLength(SEGMENTS);
    const metrics = job.metrics;
    expect(metrics?.segmentedProfileCounter?.[`segment-${SEGMENTS - 1}`]).toBe(SEGMENTS - 1);
    expect(metrics?.segmentedProfileByNamespaceCounter?.['segment-7']).toStrictEqual({
      ECID: 7,
      ns1: 7,
    });
    expect(Object.keys(metrics?.totalProfilesByMergePolicy ?? {})).toHaveLength(SEGMENTS);
    // Several MB in slices of 64 KiB of work: dozens of turns; a native parse allows none.
    expect(turns).toBeGreaterThanOrEqual(20);
  });

  it('reads a long job list page too, every job of it', async () => {
    const jobs = Array.from({ length: 4 }, (_, index) =>
      jobWithMetrics({ segments: 3_000 }, { id: `job-${index}` }, tenant),
    );
    fake.respondWith('GET /segment/jobs', [{ body: JSON.stringify(jobListBody(jobs)) }]);
    const counter = turnCounter();
    const page = await upstream.listJobs(tenant, {}, { onCall: counter.onCall });
    expect(counter.stop()).toBeGreaterThanOrEqual(5);
    expect(page.jobs.map((job) => job.id)).toStrictEqual(['job-0', 'job-1', 'job-2', 'job-3']);
    expect(page.jobs[3]?.metrics?.segmentedProfileCounter?.['segment-2999']).toBe(2_999);
  });

  it('that is not JSON fails with UPSTREAM_UNAVAILABLE, worded as for a short one', async () => {
    const broken = `${bigJobText.slice(0, -1)},}`;
    fake.respondWith('GET /segment/jobs/big-job', [
      { body: broken, headers: { 'content-type': 'application/json' } },
    ]);
    const error = await upstream.getJob(tenant, 'big-job').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('UPSTREAM_UNAVAILABLE');
    expect((error as UpstreamError).message).toBe(
      `upstream answered 200 to GET /segment/jobs/big-job with a body that is not JSON: expected a segment job, but got ${Buffer.byteLength(broken)} bytes of application/json`,
    );
  });

  it('stops being parsed when the caller aborts, and the call fails as aborted', async () => {
    fake.respondWith('GET /segment/jobs/big-job', [{ body: bigJobText }]);
    const controller = new AbortController();
    const counter = turnCounter();
    const call = upstream.getJob(tenant, 'big-job', {
      signal: controller.signal,
      onCall: () => {
        counter.onCall();
        // After the first slice: the parse is under way.
        setImmediate(() => controller.abort());
      },
    });
    const error = await call.catch((caught: unknown) => caught);
    const turns = counter.stop();
    expect((error as UpstreamError).message).toBe(
      'GET /segment/jobs/big-job was aborted by the caller',
    );
    // Stopped within a slice or two of the abort, not after the whole body.
    expect(turns).toBeLessThanOrEqual(3);
  });
});
