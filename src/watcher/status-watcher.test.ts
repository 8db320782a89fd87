import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFakeUpstream,
  type FakeUpstream,
  testTenant,
} from '../../test/support/fake-upstream-client.ts';
import type { SegmentJobStatus, Tenant } from '../domain/index.ts';
import {
  createJobEventBus,
  type JobStatusEvent,
  jobTopic,
  tenantFeedTopic,
} from '../pubsub/index.ts';
import {
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from '../upstream/errors.ts';
import { createWatcher, type Watcher, type WatcherOptions } from './status-watcher.ts';

const POLL_MS = 2_000;

interface Recorder {
  events: JobStatusEvent[];
  isDone: boolean;
  error: unknown;
}

/** Consumes a stream in the background, keeping what it yields and how it ended. */
function record(events: AsyncIterableIterator<JobStatusEvent>): Recorder {
  const recorder: Recorder = { events: [], isDone: false, error: undefined };
  void (async () => {
    try {
      for await (const event of events) recorder.events.push(event);
      recorder.isDone = true;
    } catch (error) {
      recorder.error = error;
    }
  })();
  return recorder;
}

/** The moves a recorder saw, as `id:previous>status` (`*` marks an initial event). */
function moves(recorder: Recorder): string[] {
  return recorder.events.map(
    (event) =>
      `${event.jobId}:${event.initial ? '*' : (event.previousStatus ?? '-')}>${event.status}`,
  );
}

let watcher: Watcher;
let upstream: FakeUpstream;

function setup(options: Partial<WatcherOptions> = {}): {
  bus: ReturnType<typeof createJobEventBus>;
} {
  upstream = createFakeUpstream();
  const bus = createJobEventBus();
  watcher = createWatcher({
    upstream,
    bus,
    pollIntervalMs: POLL_MS,
    backoffMaxMs: 60_000,
    random: () => 0.5,
    ...options,
  });
  return { bus };
}

/** Runs everything due now: immediates, answers of the fake upstream, bus deliveries. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

async function ticks(count: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(count * POLL_MS);
}

function bulkGets(tenant?: Tenant): string[][] {
  return upstream
    .callsOf('bulkGetJobs', tenant?.key)
    .map((call) => ('ids' in call ? call.ids : []));
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  await watcher.close();
  vi.useRealTimers();
});

describe('watchJobs: events and their order', () => {
  it('sends one initial event per job, then each change with the previous status delivered', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'NEW');
    upstream.setJob(tenant, 'j2', 'QUEUED');
    const recorder = record(watcher.watchJobs(tenant, ['j1', 'j2']));
    await settle();
    expect(moves(recorder)).toEqual(['j1:*>NEW', 'j2:*>QUEUED']);
    expect(recorder.events.every((event) => event.previousStatus === null)).toBe(true);

    upstream.setJob(tenant, 'j1', 'PROCESSING');
    await ticks(1);
    expect(moves(recorder).slice(2)).toEqual(['j1:NEW>PROCESSING']);

    // Two moves between polls: the subscriber sees one event whose chain is still unbroken.
    upstream.setJob(tenant, 'j2', 'PROCESSING');
    upstream.setJob(tenant, 'j2', 'SUCCEEDED');
    upstream.setJob(tenant, 'j1', 'FAILED');
    await ticks(1);
    // Order holds per job; across jobs it is not guaranteed.
    expect(moves(recorder).slice(3).sort()).toEqual([
      'j1:PROCESSING>FAILED',
      'j2:QUEUED>SUCCEEDED',
    ]);
    expect(recorder.isDone).toBe(true);
    const last = recorder.events.find((event) => event.status === 'SUCCEEDED');
    expect(last?.job.status).toBe('SUCCEEDED');
    expect(last?.tenantKey).toBe(tenant.key);
  });

  it('completes right after the initial event when the job is already final', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'done', 'CANCELLED');
    const recorder = record(watcher.watchJobs(tenant, ['done']));
    await settle();
    expect(moves(recorder)).toEqual(['done:*>CANCELLED']);
    expect(recorder.isDone).toBe(true);
    const callsAfterInitial = upstream.calls.length;
    await ticks(5);
    expect(upstream.calls.length).toBe(callsAfterInitial);
    expect(watcher.stats()).toEqual({});
  });

  it('completes only when every job has delivered a final status', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'fast', 'SUCCEEDED');
    upstream.setJob(tenant, 'slow', 'PROCESSING');
    const recorder = record(watcher.watchJobs(tenant, ['fast', 'slow']));
    await ticks(2);
    expect(recorder.isDone).toBe(false);
    expect(watcher.stats()[tenant.key]).toMatchObject({ watchedIds: 1, polledIds: 1 });
    upstream.setJob(tenant, 'slow', 'FAILED');
    await ticks(1);
    expect(recorder.isDone).toBe(true);
    expect(moves(recorder)).toEqual([
      'fast:*>SUCCEEDED',
      'slow:*>PROCESSING',
      'slow:PROCESSING>FAILED',
    ]);
  });

  it('gives a late subscriber the last state seen, without asking the upstream', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'NEW');
    const first = record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    await ticks(1);
    const callsBefore = upstream.calls.length;
    const late = record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    expect(upstream.calls.length).toBe(callsBefore);
    expect(moves(late)).toEqual(['j1:*>PROCESSING']);
    upstream.setJob(tenant, 'j1', 'SUCCEEDED');
    await ticks(1);
    expect(moves(first)).toEqual(['j1:*>NEW', 'j1:NEW>PROCESSING', 'j1:PROCESSING>SUCCEEDED']);
    expect(moves(late)).toEqual(['j1:*>PROCESSING', 'j1:PROCESSING>SUCCEEDED']);
  });

  it('drops events that do not move forward, such as one arriving twice from another replica', async () => {
    const { bus } = setup();
    const tenant = testTenant('a');
    const job = upstream.setJob(tenant, 'j1', 'QUEUED');
    const recorder = record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    const fromReplica = (status: SegmentJobStatus, previousStatus: SegmentJobStatus): void =>
      bus.publish(jobTopic(tenant.key, 'j1'), {
        tenantKey: tenant.key,
        jobId: 'j1',
        status,
        previousStatus,
        initial: false,
        observedAt: 1,
        job: { ...job, status },
      });
    fromReplica('PROCESSING', 'QUEUED');
    fromReplica('PROCESSING', 'QUEUED');
    fromReplica('QUEUED', 'NEW');
    await settle();
    // The local poll now sees PROCESSING too, and publishes it: the subscriber has it already.
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    await ticks(1);
    expect(moves(recorder)).toEqual(['j1:*>QUEUED', 'j1:QUEUED>PROCESSING']);
  });
});

describe('watchJobs: upstream calls', () => {
  it.each([1, 10, 200])(
    'makes the same calls for %i subscriber(s) of the same jobs: one shared initial bulk-get, then one per tick',
    async (subscriberCount) => {
      setup();
      const tenant = testTenant('a');
      for (const id of ['j1', 'j2', 'j3']) upstream.setJob(tenant, id, 'PROCESSING');
      const recorders = Array.from({ length: subscriberCount }, () =>
        record(watcher.watchJobs(tenant, ['j1', 'j2', 'j3'])),
      );
      await settle();
      expect(bulkGets()).toEqual([['j1', 'j2', 'j3']]);
      await ticks(3);
      expect(bulkGets()).toHaveLength(4);
      expect(upstream.calls).toHaveLength(4);
      upstream.setJob(tenant, 'j2', 'SUCCEEDED');
      await ticks(1);
      expect(upstream.calls).toHaveLength(5);
      await ticks(1);
      // j2 left the polled set after its final event was published.
      expect(bulkGets().at(-1)).toEqual(['j1', 'j3']);
      expect(recorders.every((r) => moves(r).includes('j2:PROCESSING>SUCCEEDED'))).toBe(true);
      expect(watcher.stats()[tenant.key]).toMatchObject({ subscribers: subscriberCount });
    },
  );

  it('makes no upstream call at all while nobody subscribes', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    await ticks(20);
    expect(upstream.calls).toHaveLength(0);
    const subscription = watcher.watchJobs(tenant, ['j1']);
    await ticks(2);
    expect(upstream.calls).toHaveLength(3);
    await subscription.return?.();
    await ticks(20);
    expect(upstream.calls).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shares one initial bulk-get among subscribers joining in the same turn', async () => {
    setup();
    const tenant = testTenant('a');
    for (const id of ['a', 'b', 'c']) upstream.setJob(tenant, id, 'QUEUED');
    const recorders = [
      record(watcher.watchJobs(tenant, ['a'])),
      record(watcher.watchJobs(tenant, ['b', 'a'])),
      record(watcher.watchJobs(tenant, ['c', 'b'])),
    ];
    await settle();
    expect(bulkGets()).toEqual([['a', 'b', 'c']]);
    expect(recorders.map((recorder) => moves(recorder).sort())).toEqual([
      ['a:*>QUEUED'],
      ['a:*>QUEUED', 'b:*>QUEUED'],
      ['b:*>QUEUED', 'c:*>QUEUED'],
    ]);
  });

  it('polls 250 watched ids with one bulkGetJobs call per tick (the client sends 3 POSTs)', async () => {
    setup();
    const tenant = testTenant('a');
    const ids = Array.from({ length: 250 }, (_, index) => `job-${index}`);
    for (const id of ids) upstream.setJob(tenant, id, 'PROCESSING');
    record(watcher.watchJobs(tenant, ids.slice(0, 100)));
    record(watcher.watchJobs(tenant, ids.slice(100)));
    await settle();
    await ticks(2);
    expect(bulkGets()).toHaveLength(3);
    for (const call of bulkGets()) expect([...call].sort()).toEqual([...ids].sort());
    expect(watcher.stats()[tenant.key]).toMatchObject({
      watchedIds: 250,
      polledIds: 250,
      bulkGetPostsPerTick: 3,
      subscribers: 2,
    });
  });
});

describe('watchJobs: errors', () => {
  it('ends only the subscriber of an unknown id, with NOT_FOUND naming that id alone', async () => {
    setup();
    const tenant = testTenant('a');
    const other = testTenant('b');
    upstream.setJob(tenant, 'known', 'PROCESSING');
    upstream.setJob(other, 'theirs', 'PROCESSING');
    const asksForMissing = record(watcher.watchJobs(tenant, ['known', 'theirs']));
    const asksForKnown = record(watcher.watchJobs(tenant, ['known']));
    await settle();
    expect(asksForMissing.error).toBeInstanceOf(UpstreamNotFoundError);
    const error = asksForMissing.error as UpstreamNotFoundError;
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain("'theirs'");
    expect(error.message).not.toContain('known');
    expect(error.message).not.toContain(other.orgId);
    expect(watcher.stats()[tenant.key]).toMatchObject({ watchedIds: 1, subscribers: 1 });
    upstream.setJob(tenant, 'known', 'SUCCEEDED');
    await ticks(1);
    expect(moves(asksForKnown)).toEqual(['known:*>PROCESSING', 'known:PROCESSING>SUCCEEDED']);
    expect(asksForKnown.isDone).toBe(true);
  });

  it('keeps a subscription through a per-item upstream fault and resumes after it', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'flaky', 'QUEUED');
    const subscriber = record(watcher.watchJobs(tenant, ['flaky']));
    await settle();
    const fault = new UpstreamUnavailableError('expected a job, but the entry held a 503', {
      method: 'POST',
      path: '/segment/jobs/bulk-get',
      status: 503,
    });
    upstream.failItem(tenant, 'flaky', fault);
    upstream.setJob(tenant, 'flaky', 'PROCESSING');
    await ticks(3);
    expect(subscriber.error).toBeUndefined();
    expect(subscriber.isDone).toBe(false);
    upstream.failItem(tenant, 'flaky', undefined);
    upstream.setJob(tenant, 'flaky', 'SUCCEEDED');
    await ticks(1);
    expect(moves(subscriber)).toEqual(['flaky:*>QUEUED', 'flaky:QUEUED>SUCCEEDED']);
    expect(subscriber.isDone).toBe(true);
  });

  it.each([
    [
      '401',
      () =>
        new UpstreamUnauthenticatedError('expected valid credentials', {
          method: 'POST',
          path: '/x',
          status: 401,
        }),
      UpstreamUnauthenticatedError,
    ],
    [
      '403',
      () =>
        new UpstreamForbiddenError('expected access to the sandbox', {
          method: 'POST',
          path: '/x',
          status: 403,
        }),
      UpstreamForbiddenError,
    ],
  ])(
    'ends every subscription of the tenant on %s, and no other tenant’s',
    async (_status, makeError, errorClass) => {
      setup();
      const refused = testTenant('a');
      const fine = testTenant('b');
      for (const tenant of [refused, fine]) upstream.setJob(tenant, 'j1', 'PROCESSING');
      const refusedJobs = record(watcher.watchJobs(refused, ['j1']));
      const refusedFeed = record(watcher.watchTenant(refused));
      const fineJobs = record(watcher.watchJobs(fine, ['j1']));
      await settle();
      upstream.failTenant(refused, makeError());
      await ticks(1);
      expect(refusedJobs.error).toBeInstanceOf(errorClass);
      expect(refusedFeed.error).toBeInstanceOf(errorClass);
      expect(watcher.stats()[refused.key]).toBeUndefined();
      const refusedCalls = upstream.callsOf('bulkGetJobs', refused.key).length;
      upstream.setJob(fine, 'j1', 'SUCCEEDED');
      await ticks(3);
      expect(upstream.callsOf('bulkGetJobs', refused.key)).toHaveLength(refusedCalls);
      expect(fineJobs.error).toBeUndefined();
      expect(moves(fineJobs)).toEqual(['j1:*>PROCESSING', 'j1:PROCESSING>SUCCEEDED']);
    },
  );

  it('keeps every subscription through an outage and delivers what changed during it', async () => {
    const randoms = [0, 1, 0.5, 0.25, 0.75, 0];
    let draw = 0;
    setup({ random: () => randoms[draw++ % randoms.length] ?? 0, backoffMaxMs: 30_000 });
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    const recorder = record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    await ticks(1);
    const outageStartMs = Date.now();
    upstream.failTenant(
      tenant,
      new UpstreamUnavailableError('expected a 2xx answer, but got 503', {
        method: 'POST',
        path: '/x',
        status: 503,
      }),
    );
    upstream.setJob(tenant, 'j1', 'SUCCEEDED');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(recorder.isDone).toBe(false);
    expect(recorder.error).toBeUndefined();
    const failedAt = upstream
      .callsOf('bulkGetJobs')
      .map((call) => call.atMs)
      .filter((at) => at > outageStartMs);
    const gaps = failedAt.slice(1).map((at, index) => at - (failedAt[index] ?? 0));
    // Base 2 s: ceilings 4, 8, 16, 30, 30 s; the draws 0, 1, .5, .25, .75 pick a point in each
    // ceiling's upper half, never under the poll interval.
    expect(gaps.slice(0, 5)).toEqual([2_000, 8_000, 12_000, 18_750, 26_250]);
    expect(watcher.stats()[tenant.key]?.failures).toBeGreaterThan(3);

    upstream.failTenant(tenant, undefined);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(moves(recorder)).toEqual(['j1:*>PROCESSING', 'j1:PROCESSING>SUCCEEDED']);
    expect(recorder.isDone).toBe(true);
  });

  it('waits at least the Retry-After of a rate-limited poll', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    upstream.failTenant(
      tenant,
      new UpstreamRateLimitedError('expected fewer requests', {
        method: 'POST',
        path: '/x',
        status: 429,
        retryAfterSeconds: 45,
      }),
    );
    await ticks(1);
    const limitedCalls = bulkGets().length;
    await vi.advanceTimersByTimeAsync(44_000);
    expect(bulkGets()).toHaveLength(limitedCalls);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bulkGets()).toHaveLength(limitedCalls + 1);
  });

  it('retries an initial bulk-get that failed at the next poll', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'QUEUED');
    upstream.failTenant(
      tenant,
      new UpstreamTimeoutError('expected an answer within 10000 ms', {
        method: 'POST',
        path: '/x',
      }),
    );
    const recorder = record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    expect(recorder.events).toHaveLength(0);
    upstream.failTenant(tenant, undefined);
    await ticks(1);
    expect(moves(recorder)).toEqual(['j1:*>QUEUED']);
  });
});

describe('watchJobs: releasing', () => {
  it('releases a subscriber’s jobs at once on abort and on return(), and stops the timer', async () => {
    setup();
    const tenant = testTenant('a');
    for (const id of ['a', 'b', 'c']) upstream.setJob(tenant, id, 'PROCESSING');
    const controller = new AbortController();
    const aborted = record(watcher.watchJobs(tenant, ['a', 'b'], { signal: controller.signal }));
    const returned = watcher.watchJobs(tenant, ['b', 'c']);
    await settle();
    expect(watcher.stats()[tenant.key]).toMatchObject({ watchedIds: 3, subscribers: 2 });
    controller.abort();
    expect(watcher.stats()[tenant.key]).toMatchObject({ watchedIds: 2, subscribers: 1 });
    await settle();
    expect(aborted.isDone).toBe(true);
    await ticks(1);
    expect(bulkGets().at(-1)).toEqual(['b', 'c']);
    await returned.return?.();
    expect(watcher.stats()).toEqual({});
    expect(vi.getTimerCount()).toBe(0);
    const calls = upstream.calls.length;
    await ticks(10);
    expect(upstream.calls).toHaveLength(calls);
  });

  it('ends every stream and stops every timer on close()', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    const jobs = record(watcher.watchJobs(tenant, ['j1']));
    const feed = record(watcher.watchTenant(testTenant('b')));
    await settle();
    await watcher.close();
    await settle();
    expect(jobs.isDone && feed.isDone).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => watcher.watchJobs(tenant, ['j1'])).toThrow('expected an open watcher');
  });
});

describe('tenants', () => {
  it('polls each tenant with its own tenant value and never crosses their events', async () => {
    setup();
    const tenantA = testTenant('a');
    const tenantB = testTenant('b');
    upstream.setJob(tenantA, 'same-id', 'PROCESSING');
    upstream.setJob(tenantB, 'same-id', 'QUEUED');
    const onA = record(watcher.watchJobs(tenantA, ['same-id']));
    const onB = record(watcher.watchJobs(tenantB, ['same-id']));
    await settle();
    upstream.setJob(tenantA, 'same-id', 'SUCCEEDED');
    await ticks(2);
    for (const call of upstream.calls) {
      expect(call.tenant).toBe(call.tenant.key === tenantA.key ? tenantA : tenantB);
    }
    expect(upstream.callsOf('bulkGetJobs', tenantA.key).length).toBeGreaterThan(1);
    expect(upstream.callsOf('bulkGetJobs', tenantB.key).length).toBeGreaterThan(1);
    expect(moves(onA)).toEqual(['same-id:*>PROCESSING', 'same-id:PROCESSING>SUCCEEDED']);
    expect(moves(onB)).toEqual(['same-id:*>QUEUED']);
    expect(onA.events.every((event) => event.tenantKey === tenantA.key)).toBe(true);
    expect(onB.events.every((event) => event.tenantKey === tenantB.key)).toBe(true);
  });

  it('keeps polling one tenant while another tenant’s calls hang', async () => {
    setup();
    const slow = testTenant('slow');
    const fast = testTenant('fast');
    upstream.setJob(slow, 'j1', 'PROCESSING');
    upstream.setJob(fast, 'j1', 'PROCESSING');
    upstream.stallTenant(slow, true);
    record(watcher.watchJobs(slow, ['j1']));
    const onFast = record(watcher.watchJobs(fast, ['j1']));
    await ticks(5);
    expect(upstream.callsOf('bulkGetJobs', fast.key)).toHaveLength(6);
    upstream.setJob(fast, 'j1', 'SUCCEEDED');
    await ticks(1);
    expect(onFast.isDone).toBe(true);
    upstream.stallTenant(slow, false);
  });
});

describe('watchTenant: the feed', () => {
  it('takes the first list as a baseline, then reports new jobs and status changes', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'old', 'PROCESSING');
    const feed = record(watcher.watchTenant(tenant));
    await settle();
    expect(upstream.callsOf('listJobs')).toHaveLength(1);
    expect(feed.events).toHaveLength(0);

    upstream.setJob(tenant, 'created-elsewhere', 'NEW');
    upstream.setJob(tenant, 'old', 'SUCCEEDED');
    await ticks(1);
    // Newest update first, as listed.
    expect(moves(feed)).toEqual(['old:PROCESSING>SUCCEEDED', 'created-elsewhere:->NEW']);
    expect(feed.events.every((event) => !event.initial)).toBe(true);

    upstream.setJob(tenant, 'created-elsewhere', 'QUEUED');
    await ticks(1);
    expect(moves(feed).slice(2)).toEqual(['created-elsewhere:NEW>QUEUED']);
    expect(upstream.callsOf('listJobs')).toHaveLength(3);
    // The first page is the gateway's own: no start, whatever the upstream's offsets mean.
    expect(upstream.callsOf('listJobs')[0]).toMatchObject({
      params: { limit: 100, sort: { field: 'updateTime', direction: 'desc' } },
    });
    const [first] = upstream.callsOf('listJobs');
    expect(first !== undefined && 'params' in first ? first.params.start : 'none').toBeUndefined();
  });

  it('filters on the new status and keeps previousStatus as the move the job made', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'QUEUED');
    const finals = record(watcher.watchTenant(tenant, { statuses: ['SUCCEEDED', 'FAILED'] }));
    const everything = record(watcher.watchTenant(tenant));
    await settle();
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    upstream.setJob(tenant, 'j2', 'NEW');
    await ticks(1);
    upstream.setJob(tenant, 'j1', 'SUCCEEDED');
    await ticks(1);
    expect(moves(finals)).toEqual(['j1:PROCESSING>SUCCEEDED']);
    expect(moves(everything)).toEqual([
      'j2:->NEW',
      'j1:QUEUED>PROCESSING',
      'j1:PROCESSING>SUCCEEDED',
    ]);
  });

  it('lists once per tick only while feed subscribers exist, shared by all of them', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'QUEUED');
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    for (const controller of controllers)
      record(watcher.watchTenant(tenant, { signal: controller.signal }));
    await settle();
    await ticks(4);
    expect(upstream.callsOf('listJobs')).toHaveLength(5);
    for (const controller of controllers) controller.abort();
    await ticks(10);
    expect(upstream.callsOf('listJobs')).toHaveLength(5);
    expect(upstream.calls).toHaveLength(5);
    expect(watcher.stats()).toEqual({});
  });

  it('pages further while a page holds nothing but changes, up to feedMaxPages', async () => {
    setup({ feedPageSize: 10, feedMaxPages: 3 });
    const tenant = testTenant('a');
    for (let index = 0; index < 40; index += 1) upstream.setJob(tenant, `j${index}`, 'QUEUED');
    const feed = record(watcher.watchTenant(tenant));
    await settle();
    expect(upstream.callsOf('listJobs')).toHaveLength(1);
    for (let index = 0; index < 25; index += 1) upstream.setJob(tenant, `j${index}`, 'PROCESSING');
    await ticks(1);
    // 25 changes: pages 1 and 2 are all changes, page 3 is half: 25 events. Page 1 is one call;
    // pages 2 and 3 each re-read the page before (so a deletion cannot skip a job), then follow
    // its next page's start as the upstream gave it.
    expect(
      upstream.callsOf('listJobs').map((call) => ('params' in call ? call.params.start : '-')),
    ).toEqual([undefined, undefined, undefined, '10', '10', '20']);
    expect(feed.events).toHaveLength(25);
    await ticks(1);
    expect(upstream.callsOf('listJobs')).toHaveLength(7);
  });

  it('starts a newly watched job from a fresh bulk-get, not from what the feed remembers', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    record(watcher.watchTenant(tenant));
    await settle();
    upstream.setJob(tenant, 'j1', 'SUCCEEDED');
    const jobs = record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    expect(bulkGets()).toEqual([['j1']]);
    expect(moves(jobs)).toEqual(['j1:*>SUCCEEDED']);
    expect(jobs.isDone).toBe(true);
  });

  it('serves watched jobs the list already returned without a bulk-get', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    const jobs = record(watcher.watchJobs(tenant, ['j1']));
    record(watcher.watchTenant(tenant));
    await settle();
    const bulkGetsBefore = bulkGets().length;
    upstream.setJob(tenant, 'j1', 'SUCCEEDED');
    await ticks(2);
    expect(bulkGets()).toHaveLength(bulkGetsBefore);
    expect(moves(jobs)).toEqual(['j1:*>PROCESSING', 'j1:PROCESSING>SUCCEEDED']);
  });
});

describe('nudge', () => {
  it('publishes a snapshot given with the nudge at once, without waiting for the timer', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    const jobs = record(watcher.watchJobs(tenant, ['j1']));
    const feed = record(watcher.watchTenant(tenant));
    await settle();
    const calls = upstream.calls.length;
    const cancelling = upstream.setJob(tenant, 'j1', 'CANCELLING');
    watcher.nudge(tenant, 'j1', cancelling);
    const created = upstream.setJob(tenant, 'j2', 'NEW');
    watcher.nudge(tenant, 'j2', created);
    await settle();
    expect(upstream.calls).toHaveLength(calls);
    expect(moves(jobs)).toEqual(['j1:*>PROCESSING', 'j1:PROCESSING>CANCELLING']);
    expect(moves(feed)).toEqual(['j1:PROCESSING>CANCELLING', 'j2:->NEW']);
  });

  it('polls the tenant at once when no snapshot is given', async () => {
    setup();
    const tenant = testTenant('a');
    upstream.setJob(tenant, 'j1', 'PROCESSING');
    const jobs = record(watcher.watchJobs(tenant, ['j1']));
    await settle();
    expect(bulkGets()).toHaveLength(1);
    upstream.setJob(tenant, 'j1', 'CANCELLED');
    watcher.nudge(tenant, 'j1');
    await settle();
    expect(bulkGets()).toHaveLength(2);
    expect(moves(jobs)).toEqual(['j1:*>PROCESSING', 'j1:PROCESSING>CANCELLED']);
    expect(jobs.isDone).toBe(true);
  });

  it('polls nothing for a tenant nobody watches, and publishes only a snapshot given', async () => {
    const { bus } = setup();
    const tenant = testTenant('a');
    const onJob = bus.subscribe(jobTopic(tenant.key, 'j1'));
    const onFeed = bus.subscribe(tenantFeedTopic(tenant.key));
    watcher.nudge(tenant, 'j1');
    watcher.nudge(tenant, 'j1', upstream.setJob(tenant, 'j2', 'NEW'));
    const cancelling = upstream.setJob(tenant, 'j1', 'CANCELLING');
    watcher.nudge(tenant, 'j1', cancelling);
    await ticks(3);
    expect(upstream.calls).toHaveLength(0);
    expect(watcher.stats()).toEqual({});
    // For subscribers on other replicas: the one snapshot, with no previous state known here.
    const expected = {
      tenantKey: tenant.key,
      jobId: 'j1',
      status: 'CANCELLING',
      previousStatus: null,
      initial: false,
      job: cancelling,
    };
    expect((await onJob.next()).value).toMatchObject(expected);
    expect((await onFeed.next()).value).toMatchObject(expected);
    await onJob.return?.();
    await onFeed.return?.();
  });
});
