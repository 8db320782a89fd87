import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { SegmentJobStatus } from '../../src/domain/index.ts';
import {
  createJobEventBus,
  isJobStatusEvent,
  type JobEventBus,
  type JobStatusEvent,
  jobTopic,
  tenantFeedTopic,
} from '../../src/pubsub/index.ts';
import { nextEvent } from './next-event.ts';

// CI sets REDIS_URL; the suite reads it directly because it chooses which tests run.
const redisUrl = process.env.REDIS_URL;

function jobEvent(
  tenantKey: string,
  jobId: string,
  status: SegmentJobStatus,
  previousStatus: SegmentJobStatus | null = null,
): JobStatusEvent {
  return {
    tenantKey,
    jobId,
    status,
    previousStatus,
    initial: false,
    observedAt: 1_700_000_000_000,
    job: {
      id: jobId,
      imsOrgId: `${tenantKey}@AdobeOrg`,
      status,
      segments: [{ segmentId: 'seg-1' }],
      metrics: { totalProfiles: 2 ** 40, segmentedProfileCounter: { 'seg-1': 3 } },
      creationTime: 1_699_999_000_000,
      updateTime: 1_700_000_000_000,
    },
  };
}

describe('topics', () => {
  it.each([
    ['tenant keys differ', jobTopic('a', 'job'), jobTopic('b', 'job')],
    [
      'a key cannot forge another key with a slash',
      jobTopic('a/jobs/x', 'y'),
      jobTopic('a', 'x/jobs/y'),
    ],
    ['job and feed topics differ', jobTopic('a', 'feed'), tenantFeedTopic('a')],
    ['feeds of different tenants differ', tenantFeedTopic('a'), tenantFeedTopic('a/feed')],
  ])('never collide: %s', (_name, first, second) => {
    expect(first).not.toBe(second);
  });

  it('start with the tenant key', () => {
    expect(jobTopic('tenant-1', 'job-1').startsWith('segment-jobs/tenant-1/')).toBe(true);
    expect(tenantFeedTopic('tenant-1').startsWith('segment-jobs/tenant-1/')).toBe(true);
  });
});

describe('job status events', () => {
  it('survive JSON serialisation unchanged and are recognised after it', () => {
    const event = jobEvent('tenant-a', 'job-1', 'PROCESSING', 'QUEUED');
    const copy: unknown = JSON.parse(JSON.stringify(event));
    expect(copy).toEqual(event);
    expect(isJobStatusEvent(copy)).toBe(true);
  });

  it.each([
    ['null', null],
    ['an unknown status', { ...jobEvent('t', 'j', 'NEW'), status: 'PAUSED' }],
    ['a job whose id differs from jobId', { ...jobEvent('t', 'j', 'NEW'), jobId: 'other' }],
    ['a missing tenant key', { ...jobEvent('t', 'j', 'NEW'), tenantKey: undefined }],
  ])('are rejected when the shape is wrong: %s', (_name, value) => {
    expect(isJobStatusEvent(value)).toBe(false);
  });
});

describe('in-memory job event bus', () => {
  it('delivers published events to every subscriber of the topic, in order', async () => {
    const bus = createJobEventBus();
    const topic = jobTopic('tenant-a', 'job-1');
    const first = bus.subscribe(topic);
    const second = bus.subscribe(topic);
    bus.publish(topic, jobEvent('tenant-a', 'job-1', 'QUEUED', 'NEW'));
    bus.publish(topic, jobEvent('tenant-a', 'job-1', 'PROCESSING', 'QUEUED'));
    for (const events of [first, second]) {
      expect((await nextEvent(events, 'QUEUED')).status).toBe('QUEUED');
      expect((await nextEvent(events, 'PROCESSING')).status).toBe('PROCESSING');
    }
    await bus.close();
  });

  it('listens from the moment subscribe returns, before the first next()', async () => {
    const bus = createJobEventBus();
    const topic = jobTopic('tenant-a', 'job-1');
    const events = bus.subscribe(topic);
    bus.publish(topic, jobEvent('tenant-a', 'job-1', 'QUEUED'));
    expect((await nextEvent(events, 'the event published before next()')).status).toBe('QUEUED');
    await bus.close();
  });

  it('never delivers one tenant’s events to another tenant’s topic', async () => {
    const bus = createJobEventBus();
    const tenantA = bus.subscribe(jobTopic('tenant-a', 'job-1'));
    const feedA = bus.subscribe(tenantFeedTopic('tenant-a'));
    bus.publish(jobTopic('tenant-b', 'job-1'), jobEvent('tenant-b', 'job-1', 'FAILED'));
    bus.publish(tenantFeedTopic('tenant-b'), jobEvent('tenant-b', 'job-1', 'FAILED'));
    bus.publish(jobTopic('tenant-a', 'job-1'), jobEvent('tenant-a', 'job-1', 'SUCCEEDED'));
    bus.publish(tenantFeedTopic('tenant-a'), jobEvent('tenant-a', 'job-1', 'SUCCEEDED'));
    expect(await nextEvent(tenantA, 'tenant A’s job event')).toMatchObject({
      tenantKey: 'tenant-a',
      status: 'SUCCEEDED',
    });
    expect(await nextEvent(feedA, 'tenant A’s feed event')).toMatchObject({
      tenantKey: 'tenant-a',
      status: 'SUCCEEDED',
    });
    await bus.close();
  });

  it('ends a subscription when its signal aborts, and every subscription on close()', async () => {
    const bus = createJobEventBus();
    const controller = new AbortController();
    const aborted = bus.subscribe(jobTopic('t', 'j'), controller.signal);
    const closed = bus.subscribe(jobTopic('t', 'j'));
    controller.abort();
    expect(await aborted.next()).toEqual({ done: true, value: undefined });
    await bus.close();
    expect(await closed.next()).toEqual({ done: true, value: undefined });
  });

  it('takes more than ten subscribers on a topic without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const bus = createJobEventBus();
      const topic = jobTopic('t', 'j');
      const subscribers = Array.from({ length: 50 }, () => bus.subscribe(topic));
      bus.publish(topic, jobEvent('t', 'j', 'QUEUED'));
      const received = await Promise.all(subscribers.map((s) => nextEvent(s, 'the event')));
      expect(received.map((event) => event.status)).toEqual(Array(50).fill('QUEUED'));
      await bus.close();
      // Node emits the warning on a later turn of the event loop than the one adding listeners.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe.skipIf(redisUrl === undefined)(
  redisUrl === undefined
    ? 'job event bus across replicas through Redis (skipped: REDIS_URL is not set)'
    : 'job event bus across replicas through Redis',
  () => {
    const buses: JobEventBus[] = [];
    // A fresh tenant key per run keeps parallel runs on one Redis apart.
    const run = randomUUID();
    const tenantA = `tenant-a-${run}`;
    const tenantB = `tenant-b-${run}`;

    function replica(): JobEventBus {
      const bus = createJobEventBus({ redisUrl });
      buses.push(bus);
      return bus;
    }

    afterAll(async () => {
      await Promise.all(buses.map((bus) => bus.close()));
    });

    it('delivers one replica’s events to the other, unchanged after JSON', async () => {
      const [first, second] = [replica(), replica()];
      const topic = jobTopic(tenantA, 'job-1');
      const onSecond = second.subscribe(topic);
      await second.ready();
      const event = jobEvent(tenantA, 'job-1', 'PROCESSING', 'QUEUED');
      first.publish(topic, event);
      expect(await nextEvent(onSecond, 'the other replica’s event')).toEqual(event);
    });

    it('delivers a replica’s own events to its subscribers exactly once', async () => {
      const [first, second] = [replica(), replica()];
      const topic = jobTopic(tenantA, 'job-2');
      const onFirst = first.subscribe(topic);
      const onSecond = second.subscribe(topic);
      await Promise.all([first.ready(), second.ready()]);
      first.publish(topic, jobEvent(tenantA, 'job-2', 'QUEUED'));
      expect((await nextEvent(onFirst, 'the local event')).status).toBe('QUEUED');
      expect((await nextEvent(onSecond, 'the replicated event')).status).toBe('QUEUED');
      // Redis relays in publish order: an echo of QUEUED would reach the first replica before
      // this marker does.
      second.publish(topic, jobEvent(tenantA, 'job-2', 'SUCCEEDED', 'QUEUED'));
      expect((await nextEvent(onFirst, 'the marker')).status).toBe('SUCCEEDED');
    });

    it('never crosses tenants between replicas', async () => {
      const [first, second] = [replica(), replica()];
      const jobOfA = second.subscribe(jobTopic(tenantA, 'shared-id'));
      const feedOfA = second.subscribe(tenantFeedTopic(tenantA));
      const jobOfB = second.subscribe(jobTopic(tenantB, 'shared-id'));
      await second.ready();
      first.publish(jobTopic(tenantB, 'shared-id'), jobEvent(tenantB, 'shared-id', 'FAILED'));
      first.publish(tenantFeedTopic(tenantB), jobEvent(tenantB, 'shared-id', 'FAILED'));
      first.publish(jobTopic(tenantA, 'shared-id'), jobEvent(tenantA, 'shared-id', 'SUCCEEDED'));
      first.publish(tenantFeedTopic(tenantA), jobEvent(tenantA, 'shared-id', 'SUCCEEDED'));
      expect(await nextEvent(jobOfA, 'tenant A’s job event')).toMatchObject({
        tenantKey: tenantA,
        status: 'SUCCEEDED',
      });
      expect(await nextEvent(feedOfA, 'tenant A’s feed event')).toMatchObject({
        tenantKey: tenantA,
        status: 'SUCCEEDED',
      });
      expect(await nextEvent(jobOfB, 'tenant B’s job event')).toMatchObject({
        tenantKey: tenantB,
        status: 'FAILED',
      });
    });
  },
);
