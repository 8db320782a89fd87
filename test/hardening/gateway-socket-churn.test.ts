// A thousand WebSocket clients that connect, subscribe and vanish without a word leave nothing
// behind: no socket, no watched job, no subscription counted against the tenant's cap (a second
// thousand fits under the same cap), and a heap that does not grow with each round.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  bulkBody,
  type FakeUpstream,
  type RecordedRequest,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { GRAPHQL_TRANSPORT_WS, wsUrlOf } from '../support/ws-client.ts';

const SOCKETS = 1_000;
const OPENING_AT_ONCE = 100;
const DISTINCT_JOBS = 50;
const ORG = 'CHURN@AdobeOrg';
const connectionParams = tenantHeaders(ORG, 'prod', 'churn-token');
const SUBSCRIPTION =
  'subscription ($ids: [ID!]!) { segmentJobStatusChanged(ids: $ids) { jobId status initial } }';

let fake: FakeUpstream;
let harness: GatewayHarness;

beforeAll(async () => {
  fake = await startFakeUpstream((request: RecordedRequest) => {
    const body = request.body as { ids?: { id: string }[] } | undefined;
    const results: Record<string, unknown> = {};
    for (const { id } of body?.ids ?? []) {
      results[id] = sampleJob({ id, status: 'PROCESSING' }, { orgId: ORG, sandboxName: 'prod' });
    }
    return bulkBody(results);
  });
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: {
      AUTH_MODE: 'passthrough',
      POLL_INTERVAL_MS: '50',
      SUBSCRIPTIONS_PER_TENANT: String(SOCKETS),
      WS_KEEP_ALIVE_MS: '0',
    },
  });
});
afterAll(async () => {
  await harness?.close();
  await fake?.close();
});

/** Resolves with the first message of `type`; rejects on close or after `timeoutMs`. */
function nextMessage(
  socket: WebSocket,
  type: string,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
    };
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.type !== type) return;
      finish();
      resolve(message);
    };
    const onClose = (code: number): void => {
      finish();
      reject(new Error(`expected a '${type}' message, but the socket closed with ${code}`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`expected a '${type}' message within ${timeoutMs} ms, but got none`));
    }, timeoutMs);
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

/** Opens a socket, subscribes to one job and waits for its initial event. */
async function subscribedSocket(index: number): Promise<WebSocket> {
  const socket = new WebSocket(wsUrlOf(harness.graphqlUrl), GRAPHQL_TRANSPORT_WS);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const acked = nextMessage(socket, 'connection_ack');
  socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams }));
  await acked;
  const initial = nextMessage(socket, 'next');
  socket.send(
    JSON.stringify({
      id: `s-${index}`,
      type: 'subscribe',
      payload: { query: SUBSCRIPTION, variables: { ids: [`churn-${index % DISTINCT_JOBS}`] } },
    }),
  );
  const event = await initial;
  const payload = event.payload as { data?: { segmentJobStatusChanged?: { initial?: boolean } } };
  if (payload.data?.segmentJobStatusChanged?.initial !== true) {
    throw new Error(`expected an initial event, but got ${JSON.stringify(event)}`);
  }
  return socket;
}

async function openAll(): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let start = 0; start < SOCKETS; start += OPENING_AT_ONCE) {
    const batch = Array.from({ length: OPENING_AT_ONCE }, (_, offset) =>
      subscribedSocket(start + offset),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

function watcherTotals(): { tenants: number; watchedIds: number; subscribers: number } {
  const stats = Object.values(harness.gateway.watcher.stats());
  return {
    tenants: stats.length,
    watchedIds: stats.reduce((sum, entry) => sum + entry.watchedIds, 0),
    subscribers: stats.reduce((sum, entry) => sum + entry.subscribers, 0),
  };
}

async function waitForNothingLeft(): Promise<void> {
  await waitForValue(
    async () =>
      harness.app.webSocket.socketCount() === 0 && watcherTotals().tenants === 0 ? true : undefined,
    15_000,
    'no socket and no watched job',
  );
}

/** Heap in use after a full collection. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** One round: a thousand subscribers at once, then every socket cut without a close frame. */
async function churnRound(): Promise<void> {
  const sockets = await openAll();
  expect(harness.app.webSocket.socketCount()).toBe(SOCKETS);
  expect(watcherTotals()).toEqual({ tenants: 1, watchedIds: DISTINCT_JOBS, subscribers: SOCKETS });

  // The tenant's cap is reached: one more subscription is refused.
  const extra = await (async () => {
    const socket = new WebSocket(wsUrlOf(harness.graphqlUrl), GRAPHQL_TRANSPORT_WS);
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    const acked = nextMessage(socket, 'connection_ack');
    socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams }));
    await acked;
    // The tenant cap is checked where the tenant is known, while the subscription starts: the
    // refusal is one result carrying the error, then `complete`.
    const refused = nextMessage(socket, 'next');
    socket.send(
      JSON.stringify({
        id: 'over-cap',
        type: 'subscribe',
        payload: { query: SUBSCRIPTION, variables: { ids: ['churn-0'] } },
      }),
    );
    const error = await refused;
    socket.terminate();
    return error;
  })();
  expect(JSON.stringify(extra.payload)).toContain('Too many subscriptions for this tenant');
  expect(JSON.stringify(extra.payload)).toContain('RATE_LIMITED');

  for (const socket of sockets) socket.terminate();
  sockets.length = 0;
  await waitForNothingLeft();
}

describe('a thousand subscribers that vanish', () => {
  it('leave no socket, no watched job and no counted subscription, round after round', async () => {
    await churnRound();
    const heapAfterFirst = heapAfterGc();
    await churnRound();
    await churnRound();
    const heapAfterThird = heapAfterGc();
    // Two more thousands of subscribers leave at most a small, bounded residue.
    expect(heapAfterThird - heapAfterFirst).toBeLessThan(8 * 1024 * 1024);
  }, 120_000);
});
