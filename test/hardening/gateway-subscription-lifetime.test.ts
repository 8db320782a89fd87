// A subscription's stream is released however its id is completed, reused or dropped: messages
// batched into one TCP write (`subscribe x`, `complete x`, `subscribe x`), tight subscribe/complete
// loops and sockets that close leave the tenant's slot count and the watcher's sets at baseline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { writeTogether } from '../support/raw-frames.ts';
import { tenantKeyOf } from '../support/subscription-jobs.ts';
import { openRawSocket, type RawSocket } from '../support/ws-client.ts';

const ORG = 'LIFETIME@AdobeOrg';
const connectionParams = tenantHeaders(ORG);
const FEED = 'subscription { segmentJobEvents { jobId status } }';
const SOCKETS = 10;
const ROUNDS = 10;

let harness: GatewayHarness;
let tenantKey: string;

beforeAll(async () => {
  harness = await startGatewayHarness({
    env: {
      AUTH_MODE: 'passthrough',
      POLL_INTERVAL_MS: '50',
      SUBSCRIPTIONS_PER_TENANT: '1000',
      WS_KEEP_ALIVE_MS: '0',
      // The loops below send far more than a client may: the message rate is not what is tested.
      WS_MESSAGE_RATE: '100000',
      WS_MESSAGE_BURST: '100000',
    },
  });
  tenantKey = tenantKeyOf(harness, connectionParams);
});
afterAll(async () => {
  await harness?.close();
});

function subscribe(id: string): Record<string, unknown> {
  return { id, type: 'subscribe', payload: { query: FEED } };
}

function complete(id: string): Record<string, unknown> {
  return { id, type: 'complete' };
}

async function acknowledgedSocket(): Promise<RawSocket> {
  const raw = openRawSocket(harness.graphqlUrl);
  await raw.opened;
  raw.send({ type: 'connection_init', payload: connectionParams });
  await raw.nextMessage('connection_ack');
  return raw;
}

/** What one tenant holds on the gateway: quota slots, feed subscribers, watched jobs. */
function holdings(): { slots: number; feeds: number; watchedIds: number; sockets: number } {
  const stats = harness.gateway.watcher.stats()[tenantKey];
  return {
    slots: harness.app.subscriptionQuota.count(tenantKey),
    feeds: stats?.feedSubscribers ?? 0,
    watchedIds: stats?.watchedIds ?? 0,
    sockets: harness.app.webSocket.socketCount(),
  };
}

const BASELINE = { slots: 0, feeds: 0, watchedIds: 0, sockets: 0 };

/** Waits for the baseline; on timeout returns what is still held, for the assertion to show. */
async function settled(): Promise<ReturnType<typeof holdings>> {
  try {
    await waitForValue(
      async () => (JSON.stringify(holdings()) === JSON.stringify(BASELINE) ? true : undefined),
      3_000,
      'every slot and watch released',
    );
  } catch {
    // The assertion below reports what leaked.
  }
  return holdings();
}

async function closeAll(sockets: readonly RawSocket[]): Promise<void> {
  for (const raw of sockets) raw.socket.close(1000);
  await Promise.all(sockets.map((raw) => raw.closed));
}

/** Round trip on the socket: every message sent before it has been read by the server. */
async function roundTrip(raw: RawSocket): Promise<void> {
  raw.send({ type: 'ping' });
  await raw.nextMessage('pong');
}

describe('subscription lifetime on one WebSocket', () => {
  it('releases every stream when an id is completed and reused within one write', async () => {
    const sockets = await Promise.all(Array.from({ length: SOCKETS }, acknowledgedSocket));
    for (let round = 0; round < ROUNDS; round++) {
      for (const raw of sockets)
        writeTogether(raw.socket, [subscribe('x'), complete('x'), subscribe('x')]);
      // Each socket's second `x` is open before it is completed.
      await waitForValue(
        async () => (holdings().feeds >= SOCKETS ? true : undefined),
        5_000,
        'the reused ids to be open',
      );
      await Promise.all(sockets.map(roundTrip));
      for (const raw of sockets) raw.send(complete('x'));
      await Promise.all(sockets.map(roundTrip));
    }
    await closeAll(sockets);

    expect(await settled()).toEqual(BASELINE);
  });

  it('releases every stream of a tight subscribe/complete loop', async () => {
    const raw = await acknowledgedSocket();
    for (let round = 0; round < 200; round++) {
      raw.send(subscribe('loop'));
      raw.send(complete('loop'));
      if (round % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await roundTrip(raw);
    await closeAll([raw]);

    expect(await settled()).toEqual(BASELINE);
  });

  it('releases the open streams of a socket that closes', async () => {
    const raw = await acknowledgedSocket();
    writeTogether(raw.socket, [subscribe('a'), subscribe('b'), complete('a'), subscribe('a')]);
    await waitForValue(async () => (holdings().feeds >= 2 ? true : undefined), 5_000, 'two feeds');
    raw.socket.terminate();
    await raw.closed;

    expect(await settled()).toEqual(BASELINE);
  });

  it('closes with 4409 a subscribe whose id is still active, and releases both', async () => {
    const raw = await acknowledgedSocket();
    raw.send(subscribe('dup'));
    await waitForValue(async () => (holdings().feeds >= 1 ? true : undefined), 5_000, 'a feed');
    raw.send(subscribe('dup'));
    const closed = await raw.closed;

    expect(closed).toEqual({ code: 4409, reason: 'Subscriber for dup already exists' });
    expect(await settled()).toEqual(BASELINE);
  });
});
