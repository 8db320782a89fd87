// A client that stops reading, or floods the gateway with messages, costs a bounded amount of
// memory and is closed with a documented code: a WebSocket past WS_MAX_BUFFERED_BYTES gets 4503,
// pings never queue more than one pong, and a socket over its message rate gets 4008.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { stopReading, writeTogether } from '../support/raw-frames.ts';
import { tenantKeyOf } from '../support/subscription-jobs.ts';
import { openRawSocket, type RawSocket } from '../support/ws-client.ts';

const ORG = 'SLOW@AdobeOrg';
const connectionParams = tenantHeaders(ORG);
/** The default; larger than any one answer below, so nothing may ever pass it. */
const MAX_BUFFERED_BYTES = 1_048_576;
/**
 * A query whose answer is about 290 KB: a cheap way to make the server write a lot. The kernel
 * takes tens of megabytes for a client that does not read before anything waits in the gateway.
 */
const BIG_QUERY = `{ ${Array.from(
  { length: 15 },
  (_, index) => `s${index}: __schema { types { name description fields { name description } } }`,
).join(' ')} }`;
const FEED = 'subscription { segmentJobEvents { jobId status } }';

async function acknowledgedSocket(harness: GatewayHarness): Promise<RawSocket> {
  const raw = openRawSocket(harness.graphqlUrl);
  await raw.opened;
  raw.send({ type: 'connection_init', payload: connectionParams });
  await raw.nextMessage('connection_ack');
  return raw;
}

function resumeReading(raw: RawSocket): void {
  (raw.socket as unknown as { _socket: { resume(): void } })._socket.resume();
}

describe('a WebSocket client that stops reading', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: {
        AUTH_MODE: 'passthrough',
        WS_KEEP_ALIVE_MS: '0',
        WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES),
        // These clients send more than the default rate allows: the rate is tested below.
        WS_MESSAGE_RATE: '1000000',
        WS_MESSAGE_BURST: '1000000',
      },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('is closed with 4503 once what waits for it passes the limit, never holding more', async () => {
    const raw = await acknowledgedSocket(harness);
    stopReading(raw.socket);
    const queries = Array.from({ length: 200 }, (_, index) => ({
      id: `q${index}`,
      type: 'subscribe',
      payload: { query: BIG_QUERY },
    }));
    for (let start = 0; start < queries.length; start += 20) {
      writeTogether(raw.socket, queries.slice(start, start + 20));
    }
    const warning = await waitForValue(
      async () => harness.logLines.find((line) => line.msg === 'websocket client too slow'),
      10_000,
      'the gateway to find the client too slow',
    );
    resumeReading(raw);

    expect(await raw.closed).toEqual({
      code: 4503,
      reason: `Client too slow: more than ${MAX_BUFFERED_BYTES} bytes waiting to be sent`,
    });
    expect(warning.bufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED_BYTES);
    await waitForValue(
      async () => (harness.app.webSocket.socketCount() === 0 ? true : undefined),
      5_000,
      'the socket to be gone',
    );
  });

  it('gets one pong queued for a flood of pings, and no stack trace when it goes', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const raw = await acknowledgedSocket(harness);
    stopReading(raw.socket);
    const pings = Array.from({ length: 10_000 }, () => ({ type: 'ping' }));
    for (let round = 0; round < 40; round++) writeTogether(raw.socket, pings);
    // Messages are handled in order: once the feed behind the pings is open, every ping was seen.
    writeTogether(raw.socket, [{ id: 'feed', type: 'subscribe', payload: { query: FEED } }]);
    const tenantKey = tenantKeyOf(harness, connectionParams);
    await waitForValue(
      async () => (harness.app.subscriptionQuota.count(tenantKey) === 1 ? true : undefined),
      20_000,
      'every ping to be handled',
    );

    expect(harness.app.webSocket.bufferedBytes()).toBeLessThanOrEqual(MAX_BUFFERED_BYTES);
    raw.socket.terminate();
    await raw.closed;
    await waitForValue(
      async () => (harness.app.subscriptionQuota.count(tenantKey) === 0 ? true : undefined),
      5_000,
      'the feed to be released',
    );
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });
});

describe('a WebSocket client over its message rate', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { AUTH_MODE: 'passthrough', WS_KEEP_ALIVE_MS: '0' },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('is closed with 4008 past the default burst of 100 messages', async () => {
    const raw = await acknowledgedSocket(harness);
    const loop = Array.from({ length: 150 }, (_, index) => ({
      id: 'x',
      type: index % 2 === 0 ? 'subscribe' : 'complete',
      ...(index % 2 === 0 ? { payload: { query: FEED } } : {}),
    }));
    writeTogether(raw.socket, loop);

    expect(await raw.closed).toEqual({
      code: 4008,
      reason: 'Too many messages: the limit is 50 per second, bursts of 100',
    });
    const tenantKey = tenantKeyOf(harness, connectionParams);
    await waitForValue(
      async () => (harness.app.subscriptionQuota.count(tenantKey) === 0 ? true : undefined),
      5_000,
      'every subscription of the loop to be released',
    );
  });

  it('leaves a client within the burst open', async () => {
    const raw = await acknowledgedSocket(harness);
    const withinBurst = Array.from({ length: 40 }, (_, index) => ({
      id: `s${index % 20}`,
      type: index < 20 ? 'subscribe' : 'complete',
      ...(index < 20 ? { payload: { query: FEED } } : {}),
    }));
    writeTogether(raw.socket, withinBurst);
    raw.send({ type: 'ping' });
    await raw.nextMessage('pong');

    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    raw.socket.close(1000);
    await raw.closed;
  });
});
