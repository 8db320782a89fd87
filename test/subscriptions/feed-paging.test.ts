// The tenant feed pages the way the upstream says: the real watcher and the real upstream client
// over real HTTP, against a fake whose `start` is not a 0-based offset (1-based positions, or a
// created-time token). A busy poll follows `_links.next.href`, reports every changed job once,
// and skips none when a job is deleted between two of its list calls.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJobEventBus, type JobStatusEvent } from '../../src/pubsub/index.ts';
import { createUpstreamClient, type UpstreamClient } from '../../src/upstream/index.ts';
import { createWatcher, type Watcher } from '../../src/watcher/status-watcher.ts';
import {
  createFakeJobListing,
  type FakeStartSemantics,
  type FakeUpstream,
  fakeTenant,
  type RecordedRequest,
  sampleJob,
  startFakeUpstream,
  waitUntil,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant();
const PAGE_SIZE = 3;
/** List calls one feed page may make after the first: the re-read plus three more. */
const MAX_CALLS_PER_PAGE = 4;
let fake: FakeUpstream;
let client: UpstreamClient | undefined;
let watcher: Watcher | undefined;

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterEach(async () => {
  await watcher?.close();
  await client?.close();
  watcher = undefined;
  client = undefined;
  fake.reset();
});

afterAll(async () => {
  await fake.close();
});

function queuedJobs(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) =>
    sampleJob({
      id: `job-${String(index).padStart(2, '0')}`,
      status: 'QUEUED',
      creationTime: 109_103_000 + index * 1_000,
      updateTime: 109_103_000 + index * 1_000,
    }),
  );
}

function lists(): RecordedRequest[] {
  return fake.requests.filter((request) => request.method === 'GET');
}

/** Starts the watcher's feed for the fake tenant; events collect in the returned array. */
function subscribe(): JobStatusEvent[] {
  client = createUpstreamClient({ baseUrl: fake.baseUrl, maxAttempts: 1, breakerThreshold: 1_000 });
  watcher = createWatcher({
    upstream: client,
    bus: createJobEventBus(),
    pollIntervalMs: 20,
    feedPageSize: PAGE_SIZE,
    feedMaxPages: 3,
  });
  const events: JobStatusEvent[] = [];
  const stream = watcher.watchTenant(tenant);
  void (async () => {
    for await (const event of stream) events.push(event);
  })();
  return events;
}

describe.each<FakeStartSemantics>(['one-based', 'created-time'])(
  'the feed over an upstream whose start is %s',
  (semantics) => {
    it('reports every job a busy poll lists once, and skips none deleted between its pages', async () => {
      const jobs = queuedJobs(12);
      let deleteBeforeNext = false;
      let deleted: string | undefined;
      fake.respondWith(
        'GET /segment/jobs',
        createFakeJobListing({
          semantics,
          jobs,
          beforeAnswer: () => {
            if (!deleteBeforeNext) return;
            deleteBeforeNext = false;
            // The second newest job, which the poll's first page just returned, goes away.
            const newest = [...jobs].sort((a, b) => Number(b.updateTime) - Number(a.updateTime));
            deleted = String(newest[1]?.id);
            jobs.splice(jobs.indexOf(newest[1] ?? {}), 1);
          },
        }),
      );
      const events = subscribe();
      // The baseline: one list call, no events.
      await waitUntil(() => lists().length >= 2, 5_000, 'the baseline and one more poll');
      expect(events).toEqual([]);

      // Seven jobs change; the poll that sees them pages on while a page is all changes.
      const changed = ['job-00', 'job-01', 'job-02', 'job-03', 'job-04', 'job-05', 'job-06'];
      let clock = 109_500_000;
      for (const id of changed) {
        const job = jobs.find((each) => each.id === id);
        if (job !== undefined) Object.assign(job, { status: 'PROCESSING', updateTime: clock++ });
      }
      const pollStart = lists().length;
      fake.respondWith(
        'GET /segment/jobs',
        createFakeJobListing({
          semantics,
          jobs,
          beforeAnswer: (request) => {
            // Arm the deletion once the busy poll's first page has been asked for.
            if (deleted === undefined && !request.query.has('start')) deleteBeforeNext = true;
          },
        }),
      );
      await waitUntil(
        () => new Set(events.map((event) => event.jobId)).size >= changed.length,
        5_000,
        'an event for every changed job',
      );
      // One more full poll, so that a repeat would have shown.
      const settled = lists().length;
      await waitUntil(() => lists().length >= settled + 2, 5_000, 'two more list calls');

      expect(events.map((event) => event.jobId).sort()).toEqual(changed);
      expect(events.every((event) => event.status === 'PROCESSING')).toBe(true);
      const busy = lists().slice(pollStart);
      // The busy poll's first page is the gateway's own; later calls send only starts it was given.
      expect(busy[0]?.query.has('start')).toBe(false);
      for (const request of busy) expect(request.query.get('sort')).toBe('updateTime:desc');
      expect(deleted === undefined || changed.includes(deleted)).toBe(true);
      // Each poll starts with the gateway's own first page (no start); it reads at most three
      // feed pages: 1 call, then at most MAX_CALLS_PER_PAGE for each further page.
      const callsPerPoll: number[] = [];
      for (const request of busy) {
        if (!request.query.has('start')) callsPerPoll.push(0);
        callsPerPoll[callsPerPoll.length - 1] = (callsPerPoll.at(-1) ?? 0) + 1;
      }
      expect(callsPerPoll.length).toBeGreaterThanOrEqual(2);
      // The poll that saw the changes paged on past its first page.
      expect(Math.max(...callsPerPoll)).toBeGreaterThan(1);
      for (const calls of callsPerPoll)
        expect(calls).toBeLessThanOrEqual(1 + 2 * MAX_CALLS_PER_PAGE);
    });
  },
);
