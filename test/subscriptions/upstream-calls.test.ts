// Upstream calls do not grow with subscribers: 1, 10 and 200 WebSocket subscribers on the same
// jobs make the same number of bulk-gets per poll, none are made with no subscriber, and an event
// is executed once and shared by every identical subscription. Polls are counted against another
// tenant's feed polls (the clock), never against wall-clock time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SegmentJobEventsDocument,
  SegmentJobStatusChangedDocument,
  type SegmentJobStatusChangedSubscription,
} from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import {
  cancelJobThroughGateway,
  createJobOnUpstream,
  tenantKeyOf,
  waitForFeedBaseline,
  waitForWatch,
} from '../support/subscription-jobs.ts';
import { fieldsOf, type SubscriptionRecorder } from '../support/subscription-recorder.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const LOAD = tenantHeaders('LOAD@AdobeOrg');
const CLOCK = tenantHeaders('CLOCK@AdobeOrg');
const BULK_GET = '/segment/jobs/bulk-get';
const PER_CONNECTION = 50;
/** Clock polls per measurement. */
const TICKS = 6;
/** Two poll loops on the same interval drift by a poll or so over a measurement. */
const DRIFT = 2;

describe('upstream calls per poll, whatever the number of subscribers', () => {
  let harness: GatewayHarness;
  let loadKey: string;
  let clockKey: string;
  let jobIds: string[];
  const clients: WsClient[] = [];
  const streams: SubscriptionRecorder<SegmentJobStatusChangedSubscription>[] = [];

  const callsOf = (tenantKey: string, method: string, path: string): number =>
    harness.calls.filter(
      (call) => call.tenantKey === tenantKey && call.method === method && call.path === path,
    ).length;

  /** Bulk-gets of the load tenant while the clock tenant polls `TICKS` times. */
  const bulkGetsPerTicks = async (): Promise<number> => {
    const clockStart = callsOf(clockKey, 'GET', '/segment/jobs');
    const start = callsOf(loadKey, 'POST', BULK_GET);
    await waitForValue(
      async () =>
        callsOf(clockKey, 'GET', '/segment/jobs') >= clockStart + TICKS ? true : undefined,
      5_000,
      `${TICKS} polls of the clock tenant`,
    );
    return callsOf(loadKey, 'POST', BULK_GET) - start;
  };

  /** Opens subscribers until there are `total`, each on the same jobs, sockets shared. */
  const growTo = async (total: number): Promise<void> => {
    while (streams.length < total) {
      let client = clients.at(-1);
      if (client === undefined || streams.length % PER_CONNECTION === 0) {
        client = connectWs(harness.graphqlUrl, { connectionParams: LOAD });
        clients.push(client);
      }
      streams.push(client.subscribe(SegmentJobStatusChangedDocument, { ids: jobIds }));
    }
    await Promise.all(
      streams.map((stream) =>
        stream.waitFor((results) => results.length >= jobIds.length, 'the initial events'),
      ),
    );
    await waitForWatch(
      harness,
      loadKey,
      (stats) => stats?.subscribers === total,
      `${total} subscribers`,
    );
  };

  beforeAll(async () => {
    // Jobs stay NEW throughout: every poll finds nothing new, so polls are all there is.
    harness = await startGatewayHarness({
      env: {
        AUTH_MODE: 'passthrough',
        POLL_INTERVAL_MS: '30',
        EMULATOR_STEP_MS: '60000',
        SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
      },
    });
    loadKey = tenantKeyOf(harness, LOAD);
    clockKey = tenantKeyOf(harness, CLOCK);
    const [definitionId = ''] = await createDefinitions(harness, LOAD, ['loyalty.points >= 0']);
    jobIds = [];
    for (let index = 0; index < 3; index += 1) {
      jobIds.push(await createJobOnUpstream(harness.upstreamRest, LOAD, [definitionId]));
    }
    const clock = connectWs(harness.graphqlUrl, { connectionParams: CLOCK });
    clients.push(clock);
    clock.subscribe(SegmentJobEventsDocument, {});
    await waitForFeedBaseline(harness, clockKey);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await harness?.close();
  });

  it('makes the same bulk-gets per poll for 1, 10 and 200 subscribers, and none for 0', async () => {
    const measured: Record<number, number> = {};
    for (const total of [1, 10, 200]) {
      await growTo(total);
      expect(harness.gateway.watcher.stats()[loadKey]).toMatchObject({
        watchedIds: jobIds.length,
        polledIds: jobIds.length,
        bulkGetPostsPerTick: 1,
        subscribers: total,
      });
      measured[total] = await bulkGetsPerTicks();
    }
    // Sockets were shared within the per-connection cap: 200 subscriptions on 4 sockets (+ clock).
    expect(harness.app.webSocket.socketCount()).toBe(200 / PER_CONNECTION + 1);

    for (const total of [1, 10, 200]) {
      expect(measured[total], `bulk-gets with ${total} subscriber(s)`).toBeGreaterThanOrEqual(
        TICKS - DRIFT,
      );
      expect(measured[total], `bulk-gets with ${total} subscriber(s)`).toBeLessThanOrEqual(
        TICKS + DRIFT,
      );
    }

    for (const stream of streams) stream.cancel();
    await waitForWatch(harness, loadKey, (stats) => stats === undefined, 'no subscriber left');
    expect(await bulkGetsPerTicks()).toBe(0);
  });

  it('executes an event once for 200 identical subscriptions and shares the result', async () => {
    streams.length = 0;
    await growTo(200);
    const before = { ...harness.app.sharedExecution };
    const [cancelled = ''] = jobIds;

    await cancelJobThroughGateway(harness, cancelled, LOAD);
    await Promise.all(
      streams.map((stream) =>
        stream.waitFor(
          (results) =>
            fieldsOf(results, 'segmentJobStatusChanged').some(
              (event) => event.jobId === cancelled && event.status === 'CANCELLING',
            ),
          'the CANCELLING event',
        ),
      ),
    );

    expect(harness.app.sharedExecution.executions - before.executions).toBe(1);
    expect(harness.app.sharedExecution.shared - before.shared).toBe(199);
    for (const stream of streams) stream.cancel();
  });
});
