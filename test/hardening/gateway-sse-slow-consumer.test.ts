// An SSE subscriber that stops reading is ended once its writes have not drained for
// SSE_WRITE_DEADLINE_MS, giving back its subscription slot and watched jobs; a subscriber that
// reads gets a `:` comment ping every SSE_KEEP_ALIVE_MS between events.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { tenantKeyOf } from '../support/subscription-jobs.ts';

const ORG = 'SSESLOW@AdobeOrg';
const headers = tenantHeaders(ORG);
const IDS = Array.from({ length: 100 }, (_, index) => `sse-slow-${index}`);
/**
 * Each job's batch id is this long: 100 initial events make 10 MB the client never reads, more
 * than the kernel buffers of both ends hold (and less than the upstream client's 16 MB bodies).
 */
const BIG_FIELD_CHARS = 100_000;
const SUBSCRIPTION =
  'subscription ($ids: [ID!]!) { segmentJobStatusChanged(ids: $ids) { jobId status job { batchId } } }';

let fake: FakeUpstream;
let harness: GatewayHarness;
let tenantKey: string;

beforeAll(async () => {
  fake = await startFakeUpstream((request: RecordedRequest) => {
    const body = request.body as { ids?: { id: string }[] } | undefined;
    const results: Record<string, unknown> = {};
    for (const { id } of body?.ids ?? []) {
      results[id] = sampleJob(
        { id, status: 'PROCESSING', batchId: `${id}-${'b'.repeat(BIG_FIELD_CHARS)}` },
        { orgId: ORG, sandboxName: 'prod' },
      );
    }
    return bulkBody(results);
  });
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: {
      AUTH_MODE: 'passthrough',
      POLL_INTERVAL_MS: '50',
      SSE_WRITE_DEADLINE_MS: '200',
      SSE_KEEP_ALIVE_MS: '20',
    },
  });
  tenantKey = tenantKeyOf(harness, headers);
});
afterAll(async () => {
  await harness?.close();
  await fake?.close();
});

/** Sends an SSE subscription over a raw TCP socket; the caller decides whether to read. */
function rawSseRequest(query: string, variables: Record<string, unknown>): Socket {
  const url = new URL(harness.graphqlUrl);
  const body = JSON.stringify({ query, variables });
  const socket = connect(Number(url.port), url.hostname);
  socket.write(
    [
      `POST ${url.pathname} HTTP/1.1`,
      `host: ${url.host}`,
      'content-type: application/json',
      'accept: text/event-stream',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      `content-length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
  return socket;
}

describe('an SSE subscriber', () => {
  it('that never reads is ended at the write deadline, and its slot released', async () => {
    const socket = rawSseRequest(SUBSCRIPTION, { ids: IDS });
    socket.pause();
    await waitForValue(
      async () => (harness.app.subscriptionQuota.count(tenantKey) === 1 ? true : undefined),
      5_000,
      'the subscription to start',
    );
    const ended = await waitForValue(
      async () => harness.logLines.find((line) => line.msg === 'sse stream ended'),
      10_000,
      'the stalled stream to be ended',
    );

    expect(ended.reason).toBe('write deadline');
    await waitForValue(
      async () =>
        harness.app.subscriptionQuota.count(tenantKey) === 0 &&
        harness.gateway.watcher.stats()[tenantKey] === undefined
          ? true
          : undefined,
      5_000,
      'the slot and the watched jobs to be released',
    );
    socket.destroy();
  });

  it('that reads gets comment pings between events', async () => {
    const socket = rawSseRequest(SUBSCRIPTION, { ids: ['sse-ping-0'] });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    await waitForValue(
      async () => (received.split('\n:\n\n').length > 3 ? true : undefined),
      5_000,
      'three pings after the first event',
    );
    socket.destroy();

    const body = received.slice(received.indexOf('\r\n\r\n') + 4);
    expect(body).toContain('event: next\n');
    // A ping never splits an event between its `event:` and `data:` lines.
    expect(body).not.toMatch(/event: next\n:/);
  });
});
