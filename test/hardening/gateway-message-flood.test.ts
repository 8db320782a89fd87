// Many sockets flooding the gateway at once, each within its own message rate, must not hold back
// everyone else: their messages are handed over a bounded number per event-loop turn, so an
// ordinary HTTP query is answered while most of the flood still waits its turn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { writeTogether } from '../support/raw-frames.ts';
import { openRawSocket, type RawSocket } from '../support/ws-client.ts';

const ORG = 'FLOOD@AdobeOrg';
const SOCKETS = 100;
/** Under the default burst of 100: no socket is over its own rate. */
const MESSAGES_PER_SOCKET = 90;
/** A subscribe that fails validation: cheap for the client, logged once by the gateway. */
const INVALID_SUBSCRIBE = 'subscription { noSuchField }';

describe('a message flood from many sockets at once', () => {
  let harness: GatewayHarness;
  const sockets: RawSocket[] = [];

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { AUTH_MODE: 'passthrough', WS_KEEP_ALIVE_MS: '0' },
    });
    for (let index = 0; index < SOCKETS; index++) {
      const raw = openRawSocket(harness.graphqlUrl);
      await raw.opened;
      raw.send({ type: 'connection_init', payload: tenantHeaders(ORG) });
      await raw.nextMessage('connection_ack');
      sockets.push(raw);
    }
  });
  afterAll(async () => {
    for (const raw of sockets) raw.socket.terminate();
    await harness?.close();
  });

  const rejectedSoFar = (): number =>
    harness.logLines.filter((line) => line.msg === 'operation rejected').length;

  it('leaves room for an ordinary query while it is worked through, and loses no message', async () => {
    const total = SOCKETS * MESSAGES_PER_SOCKET;
    for (const [socketIndex, raw] of sockets.entries()) {
      writeTogether(
        raw.socket,
        Array.from({ length: MESSAGES_PER_SOCKET }, (_, index) => ({
          id: `${socketIndex}-${index}`,
          type: 'subscribe',
          payload: { query: INVALID_SUBSCRIBE },
        })),
      );
    }
    const response = await fetch(harness.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...tenantHeaders(ORG) },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const handledWhenAnswered = rejectedSoFar();
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    // Handed over all at once as each socket's chunk arrived, the flood ran before the query
    // was even read (all 9,000 handled by then); in turns, the query comes between them.
    expect(handledWhenAnswered).toBeLessThan(total / 2);

    await waitForValue(
      async () => (rejectedSoFar() === total ? true : undefined),
      15_000,
      'every flooded message to be handled',
    );
    expect(harness.app.webSocket.messageCounts().waiting).toBe(0);
    expect(sockets.every((raw) => raw.socket.readyState === raw.socket.OPEN)).toBe(true);
  });
});
