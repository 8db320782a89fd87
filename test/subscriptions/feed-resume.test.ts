// A tenant feed resumed from a cursor across three gateway processes sharing one Redis and one
// embedded service: a client that drops off one replica and comes back on another receives
// exactly what it missed, then live events with none missing or repeated; an expired cursor
// and a malformed one are refused with their codes.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareStreamIds, decodeFeedCursor, encodeFeedCursor } from '../../src/pubsub/index.ts';
import {
  SegmentJobEventsWithCursorDocument,
  type SegmentJobEventsWithCursorSubscription,
} from '../generated/graphql.ts';
import { tenantHeaders } from '../support/gateway-harness.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { errorsOf, fieldsOf, type SubscriptionRecorder } from '../support/subscription-recorder.ts';
import { type StandaloneService, startStandaloneService } from '../support/subscription-service.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

// CI sets REDIS_URL; the suite reads it directly because it decides whether these tests run.
const redisUrl = process.env.REDIS_URL;
const TENANT = tenantHeaders(`RESUME-${randomUUID()}@AdobeOrg`);

type FeedData = SegmentJobEventsWithCursorSubscription['segmentJobEvents'];
type Feed = SubscriptionRecorder<SegmentJobEventsWithCursorSubscription>;

const eventsOf = (feed: Feed): FeedData[] => fieldsOf(feed.results, 'segmentJobEvents');

/** Waits until the feed delivered a final status of every job. */
async function untilFinal(feed: Feed, jobIds: readonly string[], what: string): Promise<void> {
  await feed.waitFor(
    () =>
      jobIds.every((id) =>
        eventsOf(feed).some((event) => event.jobId === id && event.status === 'SUCCEEDED'),
      ),
    what,
    15_000,
  );
}

/** What identifies one delivered event: its place in the stream and what it says. */
const keyOf = (event: FeedData): string =>
  `${event.cursor ?? 'none'} ${event.jobId} ${event.status}`;

function streamIdOf(cursor: string | null | undefined): string {
  const decoded = decodeFeedCursor(cursor ?? '');
  if (!decoded.ok) throw new Error(`expected a cursor on every feed event, but got ${cursor}`);
  return decoded.streamId;
}

describe.skipIf(redisUrl === undefined)(
  redisUrl === undefined
    ? 'a feed resumed on another replica (skipped: REDIS_URL is not set)'
    : 'a feed resumed on another replica',
  () => {
    let service: StandaloneService;
    let gateways: GatewayProcess[] = [];
    let clients: WsClient[] = [];
    let definitionId: string;

    beforeAll(async () => {
      service = await startStandaloneService({ EMULATOR_STEP_MS: '150' });
      definitionId = await service.createDefinition(TENANT);
      // A key prefix of this run alone: runs sharing the Redis server never see each other.
      const prefix = `test-resume-${randomUUID()}`;
      gateways = await Promise.all(
        [0, 1, 2].map(() =>
          startGatewayProcess({
            env: {
              UPSTREAM_URL: service.baseUrl,
              AUTH_MODE: 'passthrough',
              POLL_INTERVAL_MS: '50',
              REDIS_URL: redisUrl ?? '',
              REDIS_KEY_PREFIX: prefix,
              FLEET_LEASE_MS: '1000',
              UPSTREAM_BREAKER_THRESHOLD: '1000',
              // Three processes on one machine: no fixed side port (metrics) may collide.
              METRICS_PORT: '0',
            },
          }),
        ),
      );
      clients = gateways.map((gateway) =>
        connectWs(gateway.graphqlUrl, { connectionParams: TENANT }),
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await Promise.all(gateways.map((gateway) => gateway.dispose()));
      await service?.stop();
    });

    it('resumes on another replica with exactly the events missed, then live ones with no gap or repeat at the seam', async () => {
      const [first, second, third] = clients;
      if (first === undefined || second === undefined || third === undefined) {
        throw new Error('expected three clients');
      }
      // A reference subscriber that never leaves: it sees every event of the run, in order.
      const reference: Feed = third.subscribe(SegmentJobEventsWithCursorDocument, {});
      const dropping: Feed = first.subscribe(SegmentJobEventsWithCursorDocument, {});
      // Both feeds are registered (and the feed baselined) once a new job reaches them both.
      const warmUp = await service.createJob(TENANT, [definitionId]);
      await untilFinal(reference, [warmUp], 'the reference feed to see the first job end');
      await untilFinal(dropping, [warmUp], 'the first feed to see the first job end');
      const lastSeen = eventsOf(dropping).at(-1);
      const cursor = lastSeen?.cursor;
      expect(cursor).toEqual(expect.any(String));
      dropping.cancel();

      // Changes while the client is away.
      const missed = [
        await service.createJob(TENANT, [definitionId]),
        await service.createJob(TENANT, [definitionId]),
      ];
      await untilFinal(reference, missed, 'the reference feed to see the missed jobs end');

      // Back on another replica; more jobs change while it replays and goes live.
      const resumed: Feed = second.subscribe(SegmentJobEventsWithCursorDocument, {
        after: cursor ?? null,
      });
      const live = [
        await service.createJob(TENANT, [definitionId]),
        await service.createJob(TENANT, [definitionId]),
      ];
      await untilFinal(resumed, [...missed, ...live], 'the resumed feed to see every job end');
      await untilFinal(reference, live, 'the reference feed to see the live jobs end');

      const after = streamIdOf(cursor);
      const expected = eventsOf(reference)
        .filter((event) => compareStreamIds(streamIdOf(event.cursor), after) > 0)
        .map(keyOf);
      const received = eventsOf(resumed).map(keyOf);
      expect(errorsOf(resumed)).toEqual([]);
      expect(received).toEqual(expected);
      expect(new Set(received).size).toBe(received.length);
      // The missed jobs' events came first (replayed), the live jobs' after them.
      for (const jobId of missed) {
        expect(eventsOf(resumed).some((event) => event.jobId === jobId)).toBe(true);
      }
      expect(eventsOf(resumed).at(0)?.jobId).not.toBe(warmUp);
      resumed.cancel();
      reference.cancel();
    }, 20_000);

    it('ends a feed resumed from a cursor older than the retained stream with CURSOR_EXPIRED', async () => {
      const feed: Feed = (clients[1] as WsClient).subscribe(SegmentJobEventsWithCursorDocument, {
        // Well formed, but from before this tenant's stream began.
        after: encodeFeedCursor('1-0'),
      });
      await feed.ended('the stream to end with an error');
      const errors = errorsOf(feed);
      expect(errors.map((error) => error.extensions?.code)).toEqual(['CURSOR_EXPIRED']);
      expect(errors[0]?.message).toMatch(/reload the list of jobs/);
    });

    it.each([
      ['not a cursor at all', 'not a cursor!'],
      ['a raw stream id', '1700000000000-0'],
      ['base64 of something else', Buffer.from('hello').toString('base64url')],
    ])('refuses a malformed cursor (%s) with BAD_USER_INPUT', async (_name, after) => {
      const feed: Feed = (clients[0] as WsClient).subscribe(SegmentJobEventsWithCursorDocument, {
        after,
      });
      await feed.ended('the subscription to be refused');
      const errors = errorsOf(feed);
      expect(errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(errors[0]?.message).toMatch(/^after: expected a cursor/);
    });
  },
);
