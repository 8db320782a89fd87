// A long Retry-After from the upstream must neither overflow the watcher's timer into a tight
// loop nor freeze a tenant's subscriptions for weeks: the real client over real HTTP (the fake
// upstream answers every bulk-get 429), the real watcher, and a virtual clock for the watcher's
// poll timers only (undici's own timers stay real). Polls are counted at the fake.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createJobEventBus } from '../../src/pubsub/index.ts';
import { createUpstreamClient, type UpstreamClient } from '../../src/upstream/index.ts';
import { createWatcher, type Watcher } from '../../src/watcher/status-watcher.ts';
import {
  type FakeUpstream,
  fakeTenant,
  startFakeUpstream,
  waitUntil,
} from '../support/fake-upstream.ts';

const POLL_MS = 2_000;
const CAP_MS = 300_000;
const HOUR_MS = 3_600_000;
// Node runs a longer setTimeout after 1 ms (with a TimeoutOverflowWarning): the clock does too.
const MAX_TIMER_MS = 2 ** 31 - 1;
// A loop this long is a tight loop; the test stops it there.
const MAX_POLLS = 200;
const tenant = fakeTenant();
let fake: FakeUpstream;
let client: UpstreamClient | undefined;
let watcher: Watcher | undefined;

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await watcher?.close();
  await client?.close();
  fake.reset();
});

afterAll(async () => {
  await fake.close();
});

/**
 * Whether the code that called `setTimeout` (the first frame outside this file and the spy) is
 * the watcher's poll loop, the one owner of its tick timers.
 */
function isCalledFromPoller(): boolean {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const caller = frames.find(
    (frame) => !frame.includes('watcher-retry-after.test') && !frame.includes('node_modules'),
  );
  return caller?.includes('src/watcher/poll-loop') === true;
}

interface VirtualTimer {
  atMs: number;
  callback: () => void;
}

/**
 * Takes over the timers the watcher's poll loop sets (known by the caller's file, since undici
 * and node:http set timers of their own that must stay real), keeping them on a virtual clock.
 */
function virtualPollClock() {
  const pending = new Set<VirtualTimer>();
  const delays: number[] = [];
  let nowMs = 0;
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
    callback: () => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    if (!isCalledFromPoller()) return realSet(callback, ms, ...args);
    const delayMs = ms ?? 0;
    delays.push(delayMs);
    const timer: VirtualTimer = {
      atMs: nowMs + (delayMs > MAX_TIMER_MS ? 1 : delayMs),
      callback,
    };
    pending.add(timer);
    return timer;
  }) as unknown as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
    if (pending.has(handle as unknown as VirtualTimer)) {
      pending.delete(handle as unknown as VirtualTimer);
      return;
    }
    realClear(handle);
  });
  return {
    delays,
    /** Fires the next poll timer once the watcher has set it; false past `untilMs`. */
    async fireNext(untilMs: number): Promise<boolean> {
      await waitUntil(() => pending.size > 0, 5_000, 'the watcher to set its next timer');
      const next = [...pending].sort((a, b) => a.atMs - b.atMs)[0];
      if (next === undefined || next.atMs > untilMs) return false;
      pending.delete(next);
      nowMs = next.atMs;
      next.callback();
      return true;
    },
  };
}

async function pollsInOneHour(
  retryAfter: () => string,
): Promise<{ polls: number; delays: number[] }> {
  fake.respondWith('POST /segment/jobs/bulk-get', () => ({
    status: 429,
    headers: { 'retry-after': retryAfter() },
  }));
  const clock = virtualPollClock();
  client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    timeoutMs: 1_500,
    maxAttempts: 1,
    breakerThreshold: 1_000,
  });
  watcher = createWatcher({
    upstream: client,
    bus: createJobEventBus(),
    pollIntervalMs: POLL_MS,
    backoffMaxMs: 60_000,
    random: () => 0.5,
  });
  const events = watcher.watchJobs(tenant, ['job-1']);
  void events.next().catch(() => undefined);
  await fake.waitForRequests(1);
  while (fake.requests.length < MAX_POLLS) {
    const before = fake.requests.length;
    if (!(await clock.fireNext(HOUR_MS))) break;
    await fake.waitFor(
      () => fake.requests.length > before && fake.requests.every((request) => request.isFinished),
    );
  }
  return { polls: fake.requests.length, delays: clock.delays };
}

describe('the watcher under a long Retry-After', () => {
  it.each([
    ['Retry-After: 2147484 (2^31 ms, past what setTimeout holds)', () => '2147484'],
    ['Retry-After: 2000000 (23 days)', () => '2000000'],
    [
      'Retry-After: an HTTP date 30 days ahead',
      () => new Date(Date.now() + 30 * 86_400_000).toUTCString(),
    ],
  ])(
    '%s → no tight loop: a poll about every 5 minutes, never a wait above that',
    async (_name, header) => {
      const { polls, delays } = await pollsInOneHour(header);
      // The initial fetch, the first poll, then one per 5 minutes within the hour: 13.
      expect(polls).toBeGreaterThanOrEqual(2 + HOUR_MS / CAP_MS - 1);
      expect(polls).toBeLessThanOrEqual(2 + HOUR_MS / CAP_MS);
      expect(Math.max(...delays)).toBe(CAP_MS);
    },
  );
});
