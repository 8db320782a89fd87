// The socket-level rules of the graphql-ws endpoint, over real sockets: the connection_init
// deadline (4408), refused credentials (4403), the frame size limit (1009), the caps per
// connection and per tenant (RATE_LIMITED, the others unaffected), and the Origin allowlist.
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { SegmentJobEventsDocument } from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import {
  createJobThroughGateway,
  tenantKeyOf,
  waitForFeedBaseline,
  waitForWatch,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf } from '../support/subscription-recorder.ts';
import { subscribeSse } from '../support/subscription-sse.ts';
import { connectWs, openRawSocket, type WsClient } from '../support/ws-client.ts';

const ALLOWED_ORIGIN = 'http://console.example';
const MAX_PAYLOAD_BYTES = 2_048;
const PER_CONNECTION = 2;
const PER_TENANT = 3;

describe('graphql-ws protocol rules', () => {
  let harness: GatewayHarness;
  const clients: WsClient[] = [];

  const connect = (headers: Record<string, string>): WsClient => {
    const client = connectWs(harness.graphqlUrl, {
      connectionParams: headers,
      origin: ALLOWED_ORIGIN,
      keepOpen: true,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: {
        AUTH_MODE: 'passthrough',
        POLL_INTERVAL_MS: '25',
        WS_CONNECTION_INIT_TIMEOUT_MS: '200',
        WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES),
        SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
        SUBSCRIPTIONS_PER_TENANT: String(PER_TENANT),
        ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      },
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await harness?.close();
  });

  it('closes a socket that sends no connection_init in time with 4408', async () => {
    const raw = openRawSocket(harness.graphqlUrl, { origin: ALLOWED_ORIGIN });
    await raw.opened;

    expect((await raw.closed).code).toBe(4408);
    expect(raw.messages).toEqual([]);
  });

  it('closes a socket whose connectionParams lack a credential with 4403', async () => {
    const { 'x-gw-ims-org-id': _missing, ...partial } = tenantHeaders('REFUSED@AdobeOrg');
    const callsBefore = harness.calls.length;
    const client = connect(partial);

    expect((await client.nextClose()).code).toBe(4403);
    expect(harness.calls.length).toBe(callsBefore);
  });

  it('acknowledges an allowed Origin with valid connectionParams', async () => {
    const raw = openRawSocket(harness.graphqlUrl, { origin: ALLOWED_ORIGIN });
    await raw.opened;
    raw.send({ type: 'connection_init', payload: tenantHeaders('ORIGIN@AdobeOrg') });

    expect(await raw.nextMessage('connection_ack')).toMatchObject({ type: 'connection_ack' });
    raw.socket.close(1000);
    await raw.closed;
  });

  it.each([
    ['another Origin', 'http://elsewhere.example'],
    ['no Origin', undefined],
  ])('refuses the upgrade from %s with HTTP 403', async (_name, origin) => {
    const raw = openRawSocket(harness.graphqlUrl, origin === undefined ? {} : { origin });

    expect(await raw.refused).toBe(403);
  });

  it('closes a socket that sends a frame over the size limit with 1009, logging one warning', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    onTestFinished(() => consoleError.mockRestore());
    const logsBefore = harness.logLines.length;
    const raw = openRawSocket(harness.graphqlUrl, { origin: ALLOWED_ORIGIN });
    await raw.opened;
    raw.send({ type: 'connection_init', payload: tenantHeaders('BIGFRAME@AdobeOrg') });
    await raw.nextMessage('connection_ack');

    raw.send({
      id: '1',
      type: 'subscribe',
      payload: { query: `subscription { segmentJobEvents { jobId } } # ${'x'.repeat(4_000)}` },
    });

    expect((await raw.closed).code).toBe(1009);
    await waitForValue(
      async () => harness.logLines.slice(logsBefore).find((line) => line.msg === 'websocket error'),
      5_000,
      'the warning',
    );
    expect(harness.logLines.slice(logsBefore)).toContainEqual(
      expect.objectContaining({
        level: 40,
        component: 'websocket',
        msg: 'websocket error',
        reason: 'Max payload size exceeded',
      }),
    );
    // Through the structured log only: a client sending big frames cannot flood stderr.
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('refuses a subscription over the per-connection cap with RATE_LIMITED; the others keep working', async () => {
    const headers = tenantHeaders('PERCONN@AdobeOrg');
    const [definitionId = ''] = await createDefinitions(harness, headers, ['loyalty.points >= 0']);
    const client = connect(headers);
    const open = Array.from({ length: PER_CONNECTION }, () =>
      client.subscribe(SegmentJobEventsDocument, {}),
    );
    await waitForFeedBaseline(harness, tenantKeyOf(harness, headers), PER_CONNECTION);

    const extra = client.subscribe(SegmentJobEventsDocument, {});

    await extra.ended('the refusal');
    const errors = errorsOf(extra);
    expect(errors.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    expect(errors[0]?.message).toMatch(/this connection: the limit is 2/);
    const jobId = await createJobThroughGateway(harness, [definitionId], headers);
    for (const stream of open) {
      await stream.waitFor(
        (results) => fieldsOf(results, 'segmentJobEvents').some((event) => event.jobId === jobId),
        'the new job on a subscription under the cap',
      );
      expect(stream.outcome).toBeUndefined();
    }
    expect(client.closes).toEqual([]);
  });

  it('refuses a subscription over the per-tenant cap across sockets, and counts a completed one out', async () => {
    const headers = tenantHeaders('PERTENANT@AdobeOrg');
    const first = connect(headers);
    const second = connect(headers);
    const held = [
      first.subscribe(SegmentJobEventsDocument, {}),
      first.subscribe(SegmentJobEventsDocument, {}),
      second.subscribe(SegmentJobEventsDocument, {}),
    ];
    await waitForFeedBaseline(harness, tenantKeyOf(harness, headers), PER_TENANT);

    const extra = second.subscribe(SegmentJobEventsDocument, {});
    await extra.ended('the refusal');
    expect(errorsOf(extra).map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    expect(errorsOf(extra)[0]?.message).toMatch(/this tenant: the limit is 3/);
    // Another tenant is not held back by this one's count.
    const other = connect(tenantHeaders('OTHERTENANT@AdobeOrg')).subscribe(
      SegmentJobEventsDocument,
      {},
    );

    held[0]?.cancel();
    await waitForWatch(
      harness,
      tenantKeyOf(harness, headers),
      (stats) => stats?.feedSubscribers === PER_TENANT - 1,
      'the completed subscription to be released',
    );
    const again = second.subscribe(SegmentJobEventsDocument, {});
    await waitForFeedBaseline(harness, tenantKeyOf(harness, headers), PER_TENANT);
    expect(again.outcome).toBeUndefined();
    expect(errorsOf(again)).toEqual([]);
    expect(other.outcome).toBeUndefined();
    expect(errorsOf(other)).toEqual([]);
  });
  it('counts SSE subscriptions against the same per-tenant cap as WebSockets', async () => {
    const headers = tenantHeaders('MIXEDCAP@AdobeOrg');
    const overSocket = connect(headers);
    const held = [
      overSocket.subscribe(SegmentJobEventsDocument, {}),
      subscribeSse(harness.graphqlUrl, SegmentJobEventsDocument, {}, headers),
      subscribeSse(harness.graphqlUrl, SegmentJobEventsDocument, {}, headers),
    ];
    onTestFinished(() => {
      for (const stream of held) stream.cancel();
    });
    await waitForFeedBaseline(harness, tenantKeyOf(harness, headers), PER_TENANT);

    const extraSse = subscribeSse(harness.graphqlUrl, SegmentJobEventsDocument, {}, headers);
    await extraSse.ended('the SSE refusal');
    expect(errorsOf(extraSse).map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    const extraSocket = overSocket.subscribe(SegmentJobEventsDocument, {});
    await extraSocket.ended('the WebSocket refusal');
    expect(errorsOf(extraSocket).map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);

    held[1]?.cancel();
    await waitForWatch(
      harness,
      tenantKeyOf(harness, headers),
      (stats) => stats?.feedSubscribers === PER_TENANT - 1,
      'the aborted SSE subscription to be released',
    );
    const again = subscribeSse(harness.graphqlUrl, SegmentJobEventsDocument, {}, headers);
    held.push(again);
    await waitForFeedBaseline(harness, tenantKeyOf(harness, headers), PER_TENANT);
    expect(again.outcome).toBeUndefined();
  });
});
