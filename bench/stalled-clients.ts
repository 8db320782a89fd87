// Memory per stalled WebSocket subscriber: N clients subscribe to 100 jobs of 100 KB each and
// never read. Prints, per N, the peak growth of RSS and of heap + buffers, and the slope between
// the smallest and largest N: what one stalled client costs (about WS_MAX_BUFFERED_BYTES).
// Run: npx tsx --expose-gc bench/stalled-clients.ts 1 50 100, or `npm run bench -- stalled`.
import { pathToFileURL } from 'node:url';
import { bulkBody, sampleJob, startFakeUpstream } from '../test/support/fake-upstream.ts';
import { startGatewayHarness, tenantHeaders } from '../test/support/gateway-harness.ts';
import { stopReading } from '../test/support/raw-frames.ts';
import { openRawSocket, type RawSocket } from '../test/support/ws-client.ts';

const ORG = 'STALLED@AdobeOrg';
const IDS = Array.from({ length: 100 }, (_, index) => `stalled-${index}`);
const SUBSCRIPTION =
  'subscription ($ids: [ID!]!) { segmentJobStatusChanged(ids: $ids) { jobId status job { batchId } } }';

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('expected --expose-gc, but gc() is missing');
  gc();
  gc();
}

async function measure(clients: number) {
  const fake = await startFakeUpstream((request) => {
    const body = request.body as { ids?: { id: string }[] } | undefined;
    const results: Record<string, unknown> = {};
    for (const { id } of body?.ids ?? []) {
      results[id] = sampleJob(
        { id, status: 'PROCESSING', batchId: `${id}-${'b'.repeat(100_000)}` },
        { orgId: ORG, sandboxName: 'prod' },
      );
    }
    return bulkBody(results);
  });
  const harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', WS_KEEP_ALIVE_MS: '0', POLL_INTERVAL_MS: '60000' },
  });
  const sockets: RawSocket[] = [];
  for (let index = 0; index < clients; index++) {
    const raw = openRawSocket(harness.graphqlUrl);
    await raw.opened;
    raw.send({ type: 'connection_init', payload: tenantHeaders(ORG) });
    await raw.nextMessage('connection_ack');
    sockets.push(raw);
  }
  collect();
  const before = process.memoryUsage();
  for (const raw of sockets) {
    stopReading(raw.socket);
    raw.send({
      id: 's',
      type: 'subscribe',
      payload: { query: SUBSCRIPTION, variables: { ids: IDS } },
    });
  }
  let rss = 0;
  let heap = 0;
  for (let sample = 0; sample < 60; sample++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - before.rss);
    heap = Math.max(heap, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers);
  }
  const closedSlow = harness.logLines.filter((line) => line.msg === 'websocket client too slow');
  collect();
  const after = process.memoryUsage();
  const row = {
    clients,
    closedWith4503: closedSlow.length,
    maxBufferedAtClose: Math.max(0, ...closedSlow.map((line) => Number(line.bufferedBytes))),
    peakRssGrowth: rss,
    peakHeapAndBuffersGrowth: heap,
    heapGrowthAfterClose: after.heapUsed - before.heapUsed,
    socketsLeft: harness.app.webSocket.socketCount(),
  };
  for (const raw of sockets) raw.socket.terminate();
  await harness.close();
  await fake.close();
  return row;
}

/** Measures 1, 50 and 100 stalled clients (or the counts given) and prints the cost of one. */
export async function runStalledClientsBench(
  counts: readonly number[] = [1, 50, 100],
): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    console.log('skipped: needs --expose-gc (run: npx tsx --expose-gc bench/stalled-clients.ts)');
    return;
  }
  const rows = [];
  for (const clients of counts) rows.push(await measure(clients));
  console.table(rows);
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first !== undefined && last !== undefined && last.clients > first.clients) {
    const span = last.clients - first.clients;
    console.log(
      `per stalled client: RSS ${Math.round((last.peakRssGrowth - first.peakRssGrowth) / span)} bytes, heap + buffers ${Math.round((last.peakHeapAndBuffersGrowth - first.peakHeapAndBuffersGrowth) / span)} bytes`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const counts = process.argv.slice(2).map(Number);
  await runStalledClientsBench(counts.length > 0 ? counts : undefined);
}
