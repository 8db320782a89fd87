// One shared result fanned out over real WebSockets: every subscription on a socket gets the
// same payload bytes under its own id, a socket that stops reading or drops does not hold up
// another, and a subscription the client completed receives nothing more.
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  waitForValue,
} from '../support/gateway-harness.ts';
import {
  cancelJobThroughGateway,
  createJobThroughGateway,
  demoDefinitionId,
  soleTenantKey,
  waitForWatch,
} from '../support/subscription-jobs.ts';
import { GRAPHQL_TRANSPORT_WS, wsUrlOf } from '../support/ws-client.ts';

const WATCH_QUERY = print(SegmentJobStatusChangedDocument);

interface Frame {
  text: string;
  message: { id?: string; type: string; payload?: unknown };
}

interface EventPayload {
  data?: { segmentJobStatusChanged?: { status: string; previousStatus: string | null } };
}

/** A graphql-transport-ws socket driven by hand, keeping every frame as the text received. */
interface FrameSocket {
  readonly socket: WebSocket;
  readonly frames: Frame[];
  subscribe(id: string, jobId: string): void;
  /** The `next` frames of one subscription, in order. */
  nextsOf(id: string): Frame[];
}

async function openFrameSocket(graphqlUrl: string): Promise<FrameSocket> {
  const socket = new WebSocket(wsUrlOf(graphqlUrl), GRAPHQL_TRANSPORT_WS);
  const frames: Frame[] = [];
  socket.on('message', (data) => {
    const text = String(data);
    frames.push({ text, message: JSON.parse(text) as Frame['message'] });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await waitForValue(
    async () =>
      frames.some((frame) => frame.message.type === 'connection_ack') ? true : undefined,
    5_000,
    'connection_ack',
  );
  return {
    socket,
    frames,
    subscribe(id, jobId) {
      socket.send(
        JSON.stringify({
          id,
          type: 'subscribe',
          payload: { query: WATCH_QUERY, variables: { ids: [jobId] } },
        }),
      );
    },
    nextsOf: (id) =>
      frames.filter((frame) => frame.message.id === id && frame.message.type === 'next'),
  };
}

function statusOf(frame: Frame | undefined): string | undefined {
  return (frame?.message.payload as EventPayload | undefined)?.data?.segmentJobStatusChanged
    ?.status;
}

/** Resolves once every id on `socket` has `count` `next` frames, the last one in `status`. */
function waitForNexts(
  socket: FrameSocket,
  ids: readonly string[],
  count: number,
  status: string,
): Promise<true> {
  return waitForValue(
    async () =>
      ids.every((id) => {
        const nexts = socket.nextsOf(id);
        return nexts.length >= count && statusOf(nexts[count - 1]) === status;
      })
        ? true
        : undefined,
    10_000,
    `${count} next frame(s) ending in ${status} for ids ${ids.join(', ')}`,
  );
}

const idsFrom = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${index + 1}`);

describe('WebSocket fan-out of a shared result', () => {
  let harness: GatewayHarness;
  let definitionId: string;
  const sockets: WebSocket[] = [];

  const open = async (): Promise<FrameSocket> => {
    const frameSocket = await openFrameSocket(harness.graphqlUrl);
    sockets.push(frameSocket.socket);
    return frameSocket;
  };

  const subscribers = (): number =>
    Object.values(harness.gateway.watcher.stats()).reduce(
      (sum, tenant) => sum + tenant.subscribers,
      0,
    );

  /** Each test starts once the sockets of the ones before are gone from the watcher. */
  const waitForNoSubscribers = (): Promise<true> =>
    waitForValue(
      async () => (subscribers() === 0 ? true : undefined),
      5_000,
      'no subscriber left from an earlier test',
    );

  beforeAll(async () => {
    // Jobs stay NEW until cancelled: every subscriber of a job starts from the same status.
    harness = await startGatewayHarness({
      env: { POLL_INTERVAL_MS: '25', EMULATOR_STEP_MS: '60000' },
    });
    definitionId = await demoDefinitionId(harness);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await harness?.close();
  });

  it('gives 20 subscriptions on one socket the same payload bytes under their own ids, executed once', async () => {
    const jobId = await createJobThroughGateway(harness, [definitionId]);
    const socket = await open();
    const ids = idsFrom('s', 20);
    for (const id of ids) socket.subscribe(id, jobId);
    await waitForNexts(socket, ids, 1, 'NEW');
    const before = { ...harness.app.sharedExecution };

    await cancelJobThroughGateway(harness, jobId);
    await waitForNexts(socket, ids, 2, 'CANCELLING');

    const payloads = new Set<string>();
    for (const id of ids) {
      const text = socket.nextsOf(id)[1]?.text ?? '';
      const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
      expect(text.startsWith(prefix)).toBe(true);
      payloads.add(text.slice(prefix.length, -1));
    }
    expect(payloads.size).toBe(1);
    const [payload = ''] = payloads;
    expect(JSON.parse(payload)).toMatchObject({
      data: {
        segmentJobStatusChanged: {
          jobId,
          status: 'CANCELLING',
          previousStatus: 'NEW',
          initial: false,
        },
      },
    });
    expect(harness.app.sharedExecution.executions - before.executions).toBe(1);
    expect(harness.app.sharedExecution.shared - before.shared).toBe(19);
    socket.socket.close();
  });

  it('keeps delivering to a reading socket while one stops reading and one drops; the paused one gets everything in order once it reads again', async () => {
    await waitForNoSubscribers();
    const jobId = await createJobThroughGateway(harness, [definitionId]);
    const [paused, dropped, reading] = [await open(), await open(), await open()];
    const ids = idsFrom('p', 5);
    for (const frameSocket of [paused, dropped, reading]) {
      for (const id of ids) frameSocket.subscribe(id, jobId);
      await waitForNexts(frameSocket, ids, 1, 'NEW');
    }
    const tenantKey = soleTenantKey(harness);
    const subscribersBefore = subscribers();

    paused.socket.pause();
    dropped.socket.terminate();
    await cancelJobThroughGateway(harness, jobId);
    await waitForNexts(reading, ids, 2, 'CANCELLING');
    await waitForWatch(
      harness,
      tenantKey,
      (stats) => (stats?.subscribers ?? 0) === subscribersBefore - ids.length,
      "the dropped socket's subscriptions to be released",
    );

    paused.socket.resume();
    await waitForNexts(paused, ids, 2, 'CANCELLING');
    for (const id of ids) {
      expect(paused.nextsOf(id).map(statusOf)).toEqual(['NEW', 'CANCELLING']);
    }
    paused.socket.close();
    reading.socket.close();
  });

  it('sends nothing more for a subscription the client completed; the others on its socket go on', async () => {
    await waitForNoSubscribers();
    const jobId = await createJobThroughGateway(harness, [definitionId]);
    const socket = await open();
    socket.subscribe('kept', jobId);
    socket.subscribe('completed', jobId);
    await waitForNexts(socket, ['kept', 'completed'], 1, 'NEW');
    const subscribersBefore = subscribers();

    socket.socket.send(JSON.stringify({ id: 'completed', type: 'complete' }));
    await waitForValue(
      async () => (subscribers() === subscribersBefore - 1 ? true : undefined),
      5_000,
      'the completed subscription to be released',
    );
    await cancelJobThroughGateway(harness, jobId);
    await waitForNexts(socket, ['kept'], 2, 'CANCELLING');

    expect(socket.nextsOf('completed').map(statusOf)).toEqual(['NEW']);
    socket.socket.close();
  });
});
