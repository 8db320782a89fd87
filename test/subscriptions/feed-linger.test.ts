// The feed's linger (FEED_LINGER_MS) with real gateways, the embedded service and Redis: when a
// tenant's only feed subscriber disconnects, its feed is still polled into the stream, so a
// resume from its cursor (on the same replica or another) receives exactly what it missed; once
// the linger is over the tenant's list calls stop, the watcher forgets it and its fleet
// registration is gone. The linger holds no subscription slot, and shutdown ends it.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareStreamIds, decodeFeedCursor } from '../../src/pubsub/index.ts';
import { fleetKeys } from '../../src/watcher/fleet.ts';
import {
  SegmentJobEventsWithCursorDocument,
  type SegmentJobEventsWithCursorSubscription,
} from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import {
  createJobOnUpstream,
  tenantKeyOf,
  upstreamStatus,
  waitForWatch,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf, type SubscriptionRecorder } from '../support/subscription-recorder.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

// CI sets REDIS_URL; the suite reads it directly because it decides whether these tests run.
const redisUrl = process.env.REDIS_URL;
const LIST = '/segment/jobs';
/** Long enough for a disconnect, a few jobs and a resume; short enough to wait out. */
const LINGER_MS = 2_500;

type FeedData = SegmentJobEventsWithCursorSubscription['segmentJobEvents'];
type Feed = SubscriptionRecorder<SegmentJobEventsWithCursorSubscription>;

const eventsOf = (feed: Feed): FeedData[] => fieldsOf(feed.results, 'segmentJobEvents');

function streamIdOf(cursor: string | null | undefined): string {
  const decoded = decodeFeedCursor(cursor ?? '');
  if (!decoded.ok) throw new Error(`expected a cursor on every feed event, but got ${cursor}`);
  return decoded.streamId;
}

function envOf(prefix: string): Record<string, string> {
  return {
    AUTH_MODE: 'passthrough',
    POLL_INTERVAL_MS: '50',
    EMULATOR_STEP_MS: '60',
    REDIS_URL: redisUrl ?? '',
    REDIS_KEY_PREFIX: prefix,
    FLEET_LEASE_MS: '400',
    FEED_LINGER_MS: String(LINGER_MS),
    // One slot: a resume while the linger runs is refused unless the linger holds none.
    SUBSCRIPTIONS_PER_TENANT: '1',
  };
}

/** The tenant's list calls made by one gateway. */
const listCallsOf = (harness: GatewayHarness, tenantKey: string): number =>
  harness.calls.filter(
    (call) => call.tenantKey === tenantKey && call.method === 'GET' && call.path === LIST,
  ).length;

/** Waits until every job is final on the upstream, then for two more list calls (seen polled). */
async function untilPolledFinal(
  harness: GatewayHarness,
  poller: GatewayHarness,
  headers: Record<string, string>,
  tenantKey: string,
  jobIds: readonly string[],
): Promise<void> {
  await waitForValue(
    async () => {
      for (const id of jobIds) {
        if ((await upstreamStatus(harness.upstreamRest, headers, id)) !== 'SUCCEEDED') {
          return undefined;
        }
      }
      return true;
    },
    10_000,
    'the missed jobs to end on the upstream',
  );
  const mark = listCallsOf(poller, tenantKey);
  await waitForValue(
    async () => (listCallsOf(poller, tenantKey) >= mark + 2 ? true : undefined),
    5_000,
    'two more feed polls while nobody subscribes (the linger)',
  );
}

/** Every transition of each job from its creation to SUCCEEDED, each once, and nothing else. */
function expectExactlyTheMissedEvents(feed: Feed, cursor: string, jobIds: readonly string[]) {
  const events = eventsOf(feed);
  expect(errorsOf(feed)).toEqual([]);
  expect(new Set(events.map((event) => event.jobId))).toEqual(new Set(jobIds));
  for (const jobId of jobIds) {
    const chain = events.filter((event) => event.jobId === jobId);
    expect(chain[0]?.previousStatus).toBeNull();
    for (const [index, event] of chain.entries()) {
      if (index > 0) expect(event.previousStatus).toBe(chain[index - 1]?.status);
    }
    expect(chain.at(-1)?.status).toBe('SUCCEEDED');
  }
  // Replayed from the stream, after the cursor, in stream order, none twice.
  let last = streamIdOf(cursor);
  for (const event of events) {
    const id = streamIdOf(event.cursor);
    expect(compareStreamIds(id, last)).toBeGreaterThan(0);
    last = id;
  }
}

describe.skipIf(redisUrl === undefined)(
  redisUrl === undefined ? 'a lingering feed (skipped: REDIS_URL is not set)' : 'a lingering feed',
  () => {
    const prefix = `test-linger-${randomUUID()}`;
    let first: GatewayHarness;
    let second: GatewayHarness;
    let redis: Redis;
    const clients: WsClient[] = [];

    const client = (harness: GatewayHarness, headers: Record<string, string>): WsClient => {
      const ws = connectWs(harness.graphqlUrl, { connectionParams: headers });
      clients.push(ws);
      return ws;
    };

    beforeAll(async () => {
      first = await startGatewayHarness({ env: envOf(prefix) });
      // The second replica shares the first one's embedded service and the Redis.
      second = await startGatewayHarness({
        env: envOf(prefix),
        upstreamBaseUrl: first.upstreamBaseUrl,
      });
      redis = new Redis(redisUrl ?? '');
    }, 30_000);

    afterAll(async () => {
      await Promise.all(clients.map((ws) => ws.dispose()));
      await second?.close();
      await first?.close();
      redis?.disconnect();
    });

    /** A fresh tenant with a definition; its key. */
    const newTenant = async (): Promise<{
      headers: Record<string, string>;
      key: string;
      definitionId: string;
    }> => {
      const headers = tenantHeaders(`LINGER-${randomUUID()}@AdobeOrg`);
      const [definitionId] = await createDefinitions(first, headers, ['loyalty.points >= 0']);
      if (definitionId === undefined) throw new Error('expected a definition');
      const key = tenantKeyOf(first, headers);
      return { headers, key, definitionId };
    };

    /** Subscribes, sees one job end, disconnects; the cursor of the last event seen. */
    const subscribeAndLeave = async (
      harness: GatewayHarness,
      tenant: { headers: Record<string, string>; key: string; definitionId: string },
    ): Promise<string> => {
      const ws = client(harness, tenant.headers);
      const feed: Feed = ws.subscribe(SegmentJobEventsWithCursorDocument, {});
      await waitForWatch(
        harness,
        tenant.key,
        (stats) => stats?.feedSubscribers === 1 && stats.role === 'holder',
        'the feed subscribed, its replica holding the lease',
      );
      const warmUp = await createJobOnUpstream(harness.upstreamRest, tenant.headers, [
        tenant.definitionId,
      ]);
      await feed.waitFor(
        () => eventsOf(feed).some((e) => e.jobId === warmUp && e.status === 'SUCCEEDED'),
        'the first job to end on the feed',
        10_000,
      );
      const cursor = eventsOf(feed).at(-1)?.cursor;
      if (typeof cursor !== 'string') throw new Error('expected a cursor');
      // A real disconnect: the socket closes, the only feed subscriber of the tenant is gone.
      await ws.dispose();
      await waitForWatch(
        harness,
        tenant.key,
        (stats) => stats?.feedSubscribers === 0 && stats.isFeedLingering === true,
        'the feed to linger with no subscriber',
      );
      // The linger holds no subscription slot.
      await waitForValue(
        async () => (harness.app.subscriptionQuota.count(tenant.key) === 0 ? true : undefined),
        5_000,
        'the slot to be given back',
      );
      return cursor;
    };

    /** Once the linger is over: forgotten, unregistered, and no more list calls. */
    const expectLingerOver = async (tenantKey: string, replicas: GatewayHarness[]) => {
      for (const harness of replicas) {
        await waitForWatch(
          harness,
          tenantKey,
          (stats) => stats === undefined,
          'the watcher to forget the tenant after the linger',
          LINGER_MS + 5_000,
        );
      }
      expect(await redis.hlen(fleetKeys(prefix, tenantKey).watch)).toBe(0);
      expect(await redis.exists(fleetKeys(prefix, tenantKey).lease)).toBe(0);
      // Counted against another tenant's feed polls (the clock), never against wall-clock time.
      const clock = await newTenant();
      const ticking: Feed = client(first, clock.headers).subscribe(
        SegmentJobEventsWithCursorDocument,
        {},
      );
      const before = replicas.map((harness) => listCallsOf(harness, tenantKey));
      const clockStart = listCallsOf(first, clock.key);
      await waitForValue(
        async () => (listCallsOf(first, clock.key) >= clockStart + 6 ? true : undefined),
        5_000,
        'six polls of another tenant',
      );
      expect(replicas.map((harness) => listCallsOf(harness, tenantKey))).toEqual(before);
      ticking.cancel();
    };

    /**
     * Two jobs are created and run to their end on the upstream while the tenant's feed has no
     * subscriber (the first replica polls them, lingering); a feed resumed on `replica` from
     * `cursor` then replays exactly those jobs' events.
     */
    const resumeAfterTwoMissedJobs = async (
      replica: typeof first,
      tenant: Awaited<ReturnType<typeof newTenant>>,
      cursor: string,
    ): Promise<void> => {
      const missed = [
        await createJobOnUpstream(first.upstreamRest, tenant.headers, [tenant.definitionId]),
        await createJobOnUpstream(first.upstreamRest, tenant.headers, [tenant.definitionId]),
      ];
      await untilPolledFinal(first, first, tenant.headers, tenant.key, missed);

      const resumed: Feed = client(replica, tenant.headers).subscribe(
        SegmentJobEventsWithCursorDocument,
        { after: cursor },
      );
      await resumed.waitFor(
        () =>
          missed.every((id) =>
            eventsOf(resumed).some((e) => e.jobId === id && e.status === 'SUCCEEDED'),
          ),
        'the resumed feed to replay both missed jobs to their end',
        10_000,
      );
      expectExactlyTheMissedEvents(resumed, cursor, missed);
      resumed.cancel();
    };

    it('resumes on the same replica with exactly the events missed while nobody subscribed, then stops polling once the linger is over', async () => {
      const tenant = await newTenant();
      const cursor = await subscribeAndLeave(first, tenant);

      await resumeAfterTwoMissedJobs(first, tenant, cursor);

      await expectLingerOver(tenant.key, [first]);
    }, 20_000);

    it('resumes on another replica with exactly the events missed, polled by the lingering lease holder, then stops everywhere', async () => {
      const tenant = await newTenant();
      const cursor = await subscribeAndLeave(first, tenant);
      // Nobody on the second replica knows the tenant: the first one polls, lingering.
      expect(second.gateway.watcher.stats()[tenant.key]).toBeUndefined();

      await resumeAfterTwoMissedJobs(second, tenant, cursor);

      await expectLingerOver(tenant.key, [first, second]);
    }, 20_000);

    it('ends a linger at shutdown: the tenant is forgotten and unregistered at once', async () => {
      const replica = await startGatewayHarness({
        env: envOf(prefix),
        upstreamBaseUrl: first.upstreamBaseUrl,
      });
      try {
        const tenant = await newTenant();
        await subscribeAndLeave(replica, tenant);
        await replica.gateway.stop();
        expect(replica.gateway.watcher.stats()).toEqual({});
        expect(await redis.hlen(fleetKeys(prefix, tenant.key).watch)).toBe(0);
        expect(await redis.exists(fleetKeys(prefix, tenant.key).lease)).toBe(0);
      } finally {
        await replica.close();
      }
    }, 20_000);
  },
);
