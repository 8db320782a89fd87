import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobEventBus, type JobEventBus } from '../../src/pubsub/index.ts';
import { createWatcher, type Watcher } from '../../src/watcher/index.ts';
import { createFakeUpstream, testTenant } from '../support/fake-upstream-client.ts';
import { nextEvent, nextResult } from './next-event.ts';

// CI sets REDIS_URL; the suite reads it directly because it chooses which tests run.
const redisUrl = process.env.REDIS_URL;

describe.skipIf(redisUrl === undefined)(
  redisUrl === undefined
    ? 'watchers on two replicas sharing Redis (skipped: REDIS_URL is not set)'
    : 'watchers on two replicas sharing Redis',
  () => {
    const buses: JobEventBus[] = [];
    const watchers: Watcher[] = [];

    afterAll(async () => {
      await Promise.all(watchers.map((watcher) => watcher.close()));
      await Promise.all(buses.map((bus) => bus.close()));
    });

    function replica(upstream: ReturnType<typeof createFakeUpstream>): {
      bus: JobEventBus;
      watcher: Watcher;
    } {
      const bus = createJobEventBus({ redisUrl });
      // A short interval keeps the test quick; nothing here waits for a fixed time.
      const watcher = createWatcher({ upstream, bus, pollIntervalMs: 20 });
      buses.push(bus);
      watchers.push(watcher);
      return { bus, watcher };
    }

    it('delivers a change one replica observed to the other replica’s subscribers, per tenant', async () => {
      const run = randomUUID();
      const tenantA = testTenant(`a-${run}`);
      const tenantB = testTenant(`b-${run}`);
      // Each replica sees its own upstream: only the first one ever sees the job finish.
      const seesChanges = createFakeUpstream();
      const seesNothing = createFakeUpstream();
      seesChanges.setJob(tenantA, 'j1', 'PROCESSING');
      seesNothing.setJob(tenantA, 'j1', 'PROCESSING');
      seesNothing.setJob(tenantB, 'j1', 'PROCESSING');
      const first = replica(seesChanges);
      const second = replica(seesNothing);

      const onSecondA = second.watcher.watchJobs(tenantA, ['j1']);
      const onSecondB = second.watcher.watchJobs(tenantB, ['j1']);
      expect(await nextEvent(onSecondA, 'A’s initial event')).toMatchObject({
        initial: true,
        status: 'PROCESSING',
      });
      expect(await nextEvent(onSecondB, 'B’s initial event')).toMatchObject({
        initial: true,
        status: 'PROCESSING',
      });
      await second.bus.ready();
      const onFirstA = first.watcher.watchJobs(tenantA, ['j1']);
      expect(await nextEvent(onFirstA, 'the first replica’s initial event')).toMatchObject({
        initial: true,
      });

      seesChanges.setJob(tenantA, 'j1', 'SUCCEEDED');
      expect(await nextEvent(onSecondA, 'the change seen by the other replica')).toMatchObject({
        tenantKey: tenantA.key,
        jobId: 'j1',
        status: 'SUCCEEDED',
        previousStatus: 'PROCESSING',
        initial: false,
      });
      expect(await nextResult(onSecondA, 'the end of A’s stream')).toEqual({
        done: true,
        value: undefined,
      });
      expect(await nextEvent(onFirstA, 'the local change')).toMatchObject({ status: 'SUCCEEDED' });

      // Tenant B's job of the same id saw nothing of A's change: its next event is its own.
      seesNothing.setJob(tenantB, 'j1', 'FAILED');
      expect(await nextEvent(onSecondB, 'B’s own change')).toMatchObject({
        tenantKey: tenantB.key,
        status: 'FAILED',
        previousStatus: 'PROCESSING',
      });
    });
  },
);
