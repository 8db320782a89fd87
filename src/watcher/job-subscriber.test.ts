import { describe, expect, it } from 'vitest';
import type { SegmentJobStatus } from '../domain/index.ts';
import type { JobStatusEvent } from '../pubsub/index.ts';
import { createFeedSubscriber } from './feed-subscriber.ts';
import { createJobsSubscriber } from './job-subscriber.ts';

function event(
  jobId: string,
  status: SegmentJobStatus,
  previousStatus: SegmentJobStatus | null,
  initial = false,
): JobStatusEvent {
  return {
    tenantKey: 't',
    jobId,
    status,
    previousStatus,
    initial,
    observedAt: 0,
    job: { id: jobId, imsOrgId: 'o', status, segments: [] },
  };
}

async function drain(iterator: AsyncIterableIterator<JobStatusEvent>): Promise<string[]> {
  const seen: string[] = [];
  for await (const e of iterator)
    seen.push(`${e.jobId}:${e.previousStatus ?? '-'}>${e.status}${e.initial ? '*' : ''}`);
  return seen;
}

describe('createJobsSubscriber', () => {
  it('gives a consumer that lags one event per job: the latest state, chained on what it read', async () => {
    const subscriber = createJobsSubscriber({ ids: ['a', 'b'], release: () => undefined });
    subscriber.deliverInitial(event('a', 'NEW', null, true));
    subscriber.deliverInitial(event('b', 'QUEUED', null, true));
    const [first] = [await subscriber.iterator.next()];
    subscriber.receive(event('a', 'QUEUED', 'NEW'));
    subscriber.receive(event('b', 'PROCESSING', 'QUEUED'));
    subscriber.receive(event('a', 'PROCESSING', 'QUEUED'));
    subscriber.receive(event('a', 'SUCCEEDED', 'PROCESSING'));
    subscriber.receive(event('b', 'FAILED', 'PROCESSING'));

    expect(first.value?.status).toBe('NEW');
    expect(await drain(subscriber.iterator)).toEqual(['b:->FAILED*', 'a:NEW>SUCCEEDED']);
  });

  it.each<[string, SegmentJobStatus, Array<[SegmentJobStatus, SegmentJobStatus | null]>, string[]]>(
    [
      [
        'a forward chain',
        'NEW',
        [
          ['QUEUED', 'NEW'],
          ['SUCCEEDED', 'QUEUED'],
        ],
        ['j:NEW>QUEUED', 'j:QUEUED>SUCCEEDED'],
      ],
      [
        'a repeat',
        'QUEUED',
        [
          ['PROCESSING', 'QUEUED'],
          ['PROCESSING', 'QUEUED'],
          ['FAILED', 'PROCESSING'],
        ],
        ['j:QUEUED>PROCESSING', 'j:PROCESSING>FAILED'],
      ],
      [
        'a move backwards',
        'PROCESSING',
        [
          ['QUEUED', 'NEW'],
          ['CANCELLED', 'CANCELLING'],
        ],
        ['j:PROCESSING>CANCELLED'],
      ],
      ['a gap the poller missed', 'NEW', [['SUCCEEDED', 'PROCESSING']], ['j:NEW>SUCCEEDED']],
    ],
  )(
    'delivers only forward moves, chained on what it delivered: %s',
    async (_name, initial, changes, expected) => {
      const released: string[] = [];
      const subscriber = createJobsSubscriber({
        ids: ['j'],
        release: (id) => released.push(id),
        coalesce: false,
      });
      subscriber.deliverInitial(event('j', initial, null, true));
      for (const [status, previous] of changes) subscriber.receive(event('j', status, previous));
      expect(await drain(subscriber.iterator)).toEqual([`j:->${initial}*`, ...expected]);
      expect(released).toEqual(['j']);
    },
  );

  it('holds changes that arrive before the initial event, then delivers the forward ones', async () => {
    const subscriber = createJobsSubscriber({
      ids: ['j'],
      release: () => undefined,
      coalesce: false,
    });
    subscriber.receive(event('j', 'QUEUED', 'NEW'));
    subscriber.receive(event('j', 'SUCCEEDED', 'PROCESSING'));
    subscriber.deliverInitial(event('j', 'PROCESSING', null, true));
    subscriber.deliverInitial(event('j', 'NEW', null, true));
    expect(await drain(subscriber.iterator)).toEqual(['j:->PROCESSING*', 'j:PROCESSING>SUCCEEDED']);
  });

  it('ends when every job is final and releases each job as it finishes', async () => {
    const released: string[] = [];
    const subscriber = createJobsSubscriber({
      coalesce: false,
      ids: ['a', 'b'],
      release: (id) => released.push(id),
    });
    subscriber.deliverInitial(event('a', 'SUCCEEDED', null, true));
    expect(released).toEqual(['a']);
    subscriber.deliverInitial(event('b', 'QUEUED', null, true));
    subscriber.receive(event('b', 'CANCELLED', 'QUEUED'));
    expect(released).toEqual(['a', 'b']);
    expect(await drain(subscriber.iterator)).toEqual([
      'a:->SUCCEEDED*',
      'b:->QUEUED*',
      'b:QUEUED>CANCELLED',
    ]);
  });

  it('reuses the published event object when nothing about it changes for this subscriber', async () => {
    const subscriber = createJobsSubscriber({
      ids: ['j'],
      release: () => undefined,
      coalesce: false,
    });
    const published = event('j', 'SUCCEEDED', 'QUEUED');
    subscriber.deliverInitial(event('j', 'QUEUED', null, true));
    subscriber.receive(published);
    await subscriber.iterator.next();
    expect((await subscriber.iterator.next()).value).toBe(published);
  });
});

describe('createFeedSubscriber', () => {
  it('filters on the new status, remembers hidden moves, and drops repeats', async () => {
    const feed = createFeedSubscriber({ statuses: ['SUCCEEDED'], release: () => undefined });
    feed.receive(event('j', 'PROCESSING', 'QUEUED'));
    feed.receive(event('j', 'SUCCEEDED', 'QUEUED'));
    feed.receive(event('j', 'SUCCEEDED', 'PROCESSING'));
    feed.receive(event('k', 'SUCCEEDED', null));
    feed.close();
    expect(await drain(feed.iterator)).toEqual(['j:PROCESSING>SUCCEEDED', 'k:->SUCCEEDED']);
  });

  it('releases the feed once, whichever way it ends', async () => {
    let releases = 0;
    const feed = createFeedSubscriber({ release: () => (releases += 1) });
    await feed.iterator.return?.();
    feed.close();
    feed.fail(new Error('x'));
    expect(releases).toBe(1);
  });
});
