// The tenant feed stream on a real Redis: a replay merged with live events held back meanwhile
// (events appended both before and after the replay's read), and the cases a resume refuses:
// a cursor trimmed away by length, a gap left by a new baseline, a stream that does not exist.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { SegmentJobModel, SegmentJobStatus } from '../../src/domain/index.ts';
import { createJobEventBus, type JobStatusEvent } from '../../src/pubsub/index.ts';
import { createFeedAppender } from '../../src/watcher/feed-appender.ts';
import { FeedCursorExpiredError, resumeFeed } from '../../src/watcher/feed-resume.ts';
import type { FeedStream } from '../../src/watcher/feed-stream.ts';
import { createFeedSubscriber, type FeedSubscriber } from '../../src/watcher/feed-subscriber.ts';
import { createFleet, type Fleet } from '../../src/watcher/fleet.ts';

// CI sets REDIS_URL; the suite reads it directly because it decides whether these tests run.
const redisUrl = process.env.REDIS_URL;

function eventOf(jobId: string, status: SegmentJobStatus, tenantKey: string): JobStatusEvent {
  return {
    tenantKey,
    jobId,
    status,
    previousStatus: null,
    initial: false,
    observedAt: 1_700_000_000_000,
    job: { id: jobId, status } as SegmentJobModel,
  };
}

function replayingSubscriber(): FeedSubscriber {
  return createFeedSubscriber({
    release: () => {},
    replay: { maxHeld: 1_000, heldOverflow: () => new Error('held overflow') },
  });
}

/** Reads `count` events from the subscriber, failing after a deadline. */
async function take(subscriber: FeedSubscriber, count: number): Promise<JobStatusEvent[]> {
  const events: JobStatusEvent[] = [];
  const deadline = setTimeout(() => subscriber.fail(new Error(`expected ${count} events`)), 5_000);
  try {
    while (events.length < count) {
      const step = await subscriber.iterator.next();
      if (step.done === true) break;
      events.push(step.value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return events;
}

describe.skipIf(redisUrl === undefined)('the tenant feed stream on Redis', () => {
  const fleets: Fleet[] = [];
  const bus = createJobEventBus();
  const fleetWith = (options: { streamMaxLength?: number } = {}): Fleet => {
    const fleet = createFleet({
      redisUrl: redisUrl ?? '',
      keyPrefix: `test-feed-stream-${randomUUID()}`,
      ...options,
    });
    fleets.push(fleet);
    return fleet;
  };

  afterAll(async () => {
    await Promise.all(fleets.map((fleet) => fleet.close()));
    await bus.close();
  });

  it('replays what followed the cursor, then the live events held meanwhile, each once and in stream order', async () => {
    const fleet = fleetWith();
    const tenantKey = `tenant-${randomUUID()}`;
    const [cursor] = await fleet.feed.append(tenantKey, [
      { kind: 'event', event: eventOf('a', 'NEW', tenantKey) },
    ]);
    await fleet.feed.append(tenantKey, [
      { kind: 'event', event: eventOf('a', 'QUEUED', tenantKey) },
      { kind: 'event', event: eventOf('b', 'NEW', tenantKey) },
    ]);
    const subscriber = replayingSubscriber();
    const published: JobStatusEvent[] = [];
    let onPublished: () => void = () => {};
    const appender = createFeedAppender({
      stream: fleet.feed,
      tenantKey,
      publish: (event) => {
        published.push(event);
        subscriber.receive(event);
        onPublished();
      },
      onFailure: (error) => {
        throw error;
      },
    });
    const appendLive = (event: JobStatusEvent): Promise<void> =>
      new Promise((resolve) => {
        onPublished = resolve;
        appender.append(event);
      });
    // Live events around the replay's read: one appended (and held) before it, so the read
    // returns it too; one appended after it, so only the held copy has it.
    let reads = 0;
    const stream: FeedStream = {
      ...fleet.feed,
      async read(key, afterId, count) {
        reads += 1;
        if (reads === 1) await appendLive(eventOf('b', 'QUEUED', tenantKey));
        const page = await fleet.feed.read(key, afterId, count);
        if (reads === 1) await appendLive(eventOf('a', 'PROCESSING', tenantKey));
        return page;
      },
    };
    await resumeFeed({ stream, bus, tenantKey, afterId: cursor ?? '', subscriber });
    const events = await take(subscriber, 4);
    expect(events.map((event) => `${event.jobId} ${event.status}`)).toEqual([
      'a QUEUED',
      'b NEW',
      'b QUEUED',
      'a PROCESSING',
    ]);
    const ids = events.map((event) => event.streamId);
    expect(new Set(ids).size).toBe(4);
    expect(ids.slice(2)).toEqual(published.map((event) => event.streamId));
    // Live now: the next event goes straight through.
    await appendLive(eventOf('b', 'PROCESSING', tenantKey));
    expect((await take(subscriber, 1)).map((event) => event.status)).toEqual(['PROCESSING']);
  });

  it('refuses a cursor the length bound trimmed away', async () => {
    const fleet = fleetWith({ streamMaxLength: 10 });
    const tenantKey = `tenant-${randomUUID()}`;
    const [cursor] = await fleet.feed.append(tenantKey, [
      { kind: 'event', event: eventOf('a', 'NEW', tenantKey) },
    ]);
    // MAXLEN ~ trims whole stream nodes (100 entries by default): write several of them.
    for (let batch = 0; batch < 4; batch += 1) {
      await fleet.feed.append(
        tenantKey,
        Array.from({ length: 100 }, (_, index) => ({
          kind: 'event' as const,
          event: eventOf(`job-${batch}-${index}`, 'NEW', tenantKey),
        })),
      );
    }
    const subscriber = replayingSubscriber();
    await expect(
      resumeFeed({ stream: fleet.feed, bus, tenantKey, afterId: cursor ?? '', subscriber }),
    ).rejects.toBeInstanceOf(FeedCursorExpiredError);
  });

  it('refuses a cursor from before a gap (a new baseline, or events Redis could not store)', async () => {
    const fleet = fleetWith();
    const tenantKey = `tenant-${randomUUID()}`;
    const [cursor] = await fleet.feed.append(tenantKey, [
      { kind: 'event', event: eventOf('a', 'NEW', tenantKey) },
      { kind: 'gap' },
      { kind: 'event', event: eventOf('a', 'QUEUED', tenantKey) },
    ]);
    const subscriber = replayingSubscriber();
    await expect(
      resumeFeed({ stream: fleet.feed, bus, tenantKey, afterId: cursor ?? '', subscriber }),
    ).rejects.toBeInstanceOf(FeedCursorExpiredError);
  });

  it('refuses any cursor on a stream that does not exist (expired, or another deployment)', async () => {
    const fleet = fleetWith();
    const subscriber = replayingSubscriber();
    await expect(
      resumeFeed({
        stream: fleet.feed,
        bus,
        tenantKey: `tenant-${randomUUID()}`,
        afterId: '1700000000000-0',
        subscriber,
      }),
    ).rejects.toBeInstanceOf(FeedCursorExpiredError);
  });
});
