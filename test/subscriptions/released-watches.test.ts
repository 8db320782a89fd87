// A subscription's watch ends with the subscription, however it ends: a socket killed with no
// close frame, a socket closed normally, or a client `complete`. Afterwards the watcher holds
// nothing for the tenant and makes no more upstream calls for it, counted against the polls of
// another tenant's feed (the clock here; nothing waits for a fixed time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobEventsDocument, SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { isFinalStatus } from '../support/subscription-chain.ts';
import {
  createJobOnUpstream,
  tenantKeyOf,
  upstreamStatus,
  waitForFeedBaseline,
  waitForWatch,
} from '../support/subscription-jobs.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const WATCHER = tenantHeaders('WATCHER@AdobeOrg');
const CLOCK = tenantHeaders('CLOCK@AdobeOrg');
const BULK_GET = '/segment/jobs/bulk-get';

describe('releasing the watch when a subscription ends', () => {
  let harness: GatewayHarness;
  let clock: WsClient;
  let definitionId: string;
  let watcherKey: string;
  let clockKey: string;

  const callsOf = (tenantKey: string, method: string, path: string): number =>
    harness.calls.filter(
      (call) => call.tenantKey === tenantKey && call.method === method && call.path === path,
    ).length;

  /** Resolves after the clock tenant's feed polled `ticks` more times. */
  const waitForClockTicks = async (ticks: number): Promise<void> => {
    const target = callsOf(clockKey, 'GET', '/segment/jobs') + ticks;
    await waitForValue(
      async () => (callsOf(clockKey, 'GET', '/segment/jobs') >= target ? true : undefined),
      5_000,
      `${ticks} polls of the clock tenant`,
    );
  };

  beforeAll(async () => {
    // Jobs stay NEW for the whole test: the watched job never ends on its own.
    harness = await startGatewayHarness({
      env: { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '25', EMULATOR_STEP_MS: '60000' },
    });
    watcherKey = tenantKeyOf(harness, WATCHER);
    clockKey = tenantKeyOf(harness, CLOCK);
    [definitionId = ''] = await createDefinitions(harness, WATCHER, ['loyalty.points >= 0']);
    clock = connectWs(harness.graphqlUrl, { connectionParams: CLOCK });
    clock.subscribe(SegmentJobEventsDocument, {});
    await waitForFeedBaseline(harness, clockKey);
  });

  afterAll(async () => {
    await clock?.dispose();
    await harness?.close();
  });

  it.each([
    ['the socket is killed with no close frame', 'terminate'],
    ['the socket is closed normally', 'dispose'],
    ['the client completes the subscription', 'complete'],
  ] as const)('stops polling once %s', async (_name, ending) => {
    const jobId = await createJobOnUpstream(harness.upstreamRest, WATCHER, [definitionId]);
    const ws = connectWs(harness.graphqlUrl, { connectionParams: WATCHER, keepOpen: true });
    const stream = ws.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] });
    await stream.next('the initial event');
    expect(harness.gateway.watcher.stats()[watcherKey]).toMatchObject({
      watchedIds: 1,
      subscribers: 1,
    });
    // While watched, the job is polled: the count below can move.
    const polledBefore = callsOf(watcherKey, 'POST', BULK_GET);
    await waitForClockTicks(3);
    expect(callsOf(watcherKey, 'POST', BULK_GET)).toBeGreaterThan(polledBefore);
    const socketsBefore = harness.app.webSocket.socketCount();

    if (ending === 'terminate') await ws.terminateSocket();
    else if (ending === 'dispose') await ws.dispose();
    else stream.cancel();

    await waitForWatch(
      harness,
      watcherKey,
      (stats) => stats === undefined,
      'the tenant to have nothing watched',
    );
    const polledAfter = callsOf(watcherKey, 'POST', BULK_GET);
    await waitForClockTicks(5);
    expect(callsOf(watcherKey, 'POST', BULK_GET)).toBe(polledAfter);
    expect(harness.gateway.watcher.stats()[watcherKey]).toBeUndefined();
    // The job never ended: only the subscription's end released it.
    expect(isFinalStatus(await upstreamStatus(harness.upstreamRest, WATCHER, jobId))).toBe(false);
    if (ending === 'complete') {
      expect(harness.app.webSocket.socketCount()).toBe(socketsBefore);
    } else {
      await waitForValue(
        async () => (harness.app.webSocket.socketCount() === socketsBefore - 1 ? true : undefined),
        5_000,
        'the server to drop the socket',
      );
    }
    await ws.dispose();
  });
});
