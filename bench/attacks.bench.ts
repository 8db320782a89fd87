// Hostile clients against one gateway at its default limits, in its own process over the
// embedded service in another. For each attack: what the gateway closed, its longest event-loop
// stall, what an ordinary client's queries waited meanwhile, what the attacker left behind once
// gone (subscription slots, watched jobs, sockets, memory). Loopback only; every attack is
// bounded in count and time. Reports, never judges by time; exits non-zero when anything leaked.

import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { definitionIds } from './support/embedded-rest.ts';
import { type HostProcess, startHost } from './support/host-process.ts';
import type { HostStats, MemorySample } from './support/host-protocol.ts';
import {
  type HostileOutcome,
  idReuseRound,
  stalledSseRound,
  stalledWebSocketRound,
} from './support/hostile-clients.ts';
import { delay, formatInt, summarize, waitFor } from './support/measure.ts';
import { BENCH_GATEWAY_KEY, serviceModeEnv } from './support/service-mode-env.ts';

const EMBEDDED_ENV: Record<string, string> = {
  EMULATOR_STEP_MS: '200',
  EMULATOR_DEMO_PROFILES: '500',
  EMULATOR_MAX_ACTIVE_JOBS: '1000',
};

const CONNECTION_PARAMS = { 'x-gateway-key': BENCH_GATEWAY_KEY };
const HTTP_HEADERS = { 'content-type': 'application/json', 'x-gateway-key': BENCH_GATEWAY_KEY };

const BYSTANDER_QUERY = '{ segmentJobs(first: 5) { totalCount edges { node { id status } } } }';
const CREATE = `mutation Create($ids: [ID!]) {
  createSegmentJob(input: { segmentIds: $ids }) { __typename ... on CreateSegmentJobSuccess { job { id } } }
}`;
const WATCH = `subscription Watch($ids: [ID!]!) {
  segmentJobStatusChanged(ids: $ids) { jobId status previousStatus initial }
}`;
const FEED = 'subscription Feed { segmentJobEvents { jobId status previousStatus initial } }';
const FEED_FULL = `subscription FeedFull {
  segmentJobEvents {
    jobId status previousStatus initial observedAtMs
    job { id status creationTime updateTime metrics { totalProfiles segments { segmentId qualified realized exited } } }
  }
}`;

interface Context {
  gateway: HostProcess;
  graphqlUrl: string;
  wsUrl: string;
  definitionId: string;
}

interface AttackResult {
  attack: string;
  sent: string;
  closes: Record<string, number>;
  loopMaxMs: number;
  bystander: { p99: number; max: number; failed: number };
  /** Live memory (heap + external) after a full GC, at the attack's peak when it has one. */
  liveBeforeMiB: number;
  livePeakMiB: number | undefined;
  liveAfterMiB: number;
  left: { slots: number; watchedJobs: number; watchers: number; sockets: number };
  note?: string;
}

function liveMiB(memory: MemorySample): number {
  return (memory.heapUsedBytes + memory.externalBytes + memory.arrayBuffersBytes) / 2 ** 20;
}

function countClose(closes: Record<string, number>, outcome: HostileOutcome | number): void {
  const code = typeof outcome === 'number' ? outcome : outcome.closeCode;
  const key = code === undefined ? 'client left' : String(code);
  closes[key] = (closes[key] ?? 0) + 1;
}

/** An ordinary client asking a small query every 100 ms until `stop` resolves. */
function startBystander(ctx: Context): {
  stop(): Promise<{ p99: number; max: number; failed: number }>;
} {
  const latencies: number[] = [];
  let failed = 0;
  let isStopped = false;
  const loop = (async () => {
    while (!isStopped) {
      const startedMs = performance.now();
      try {
        const response = await fetch(ctx.graphqlUrl, {
          method: 'POST',
          headers: HTTP_HEADERS,
          body: JSON.stringify({ query: BYSTANDER_QUERY }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await response.json()) as { errors?: unknown };
        if (body.errors !== undefined) failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - startedMs);
      await delay(100);
    }
  })();
  return {
    async stop() {
      isStopped = true;
      await loop;
      const summary = summarize([...latencies].sort((a, b) => a - b));
      return { p99: summary.p99, max: summary.max, failed };
    },
  };
}

/** Creates a job through the gateway every `everyMs` until stopped, so subscribers get events. */
function startJobFeed(ctx: Context, everyMs: number): { stop(): Promise<void> } {
  let isStopped = false;
  const loop = (async () => {
    while (!isStopped) {
      await fetch(ctx.graphqlUrl, {
        method: 'POST',
        headers: HTTP_HEADERS,
        body: JSON.stringify({ query: CREATE, variables: { ids: [ctx.definitionId] } }),
      }).catch(() => undefined);
      await delay(everyMs);
    }
  })();
  return {
    async stop() {
      isStopped = true;
      await loop;
    },
  };
}

async function createJob(ctx: Context): Promise<string> {
  const response = await fetch(ctx.graphqlUrl, {
    method: 'POST',
    headers: HTTP_HEADERS,
    body: JSON.stringify({ query: CREATE, variables: { ids: [ctx.definitionId] } }),
  });
  const body = (await response.json()) as {
    data?: { createSegmentJob?: { job?: { id: string } } };
  };
  const id = body.data?.createSegmentJob?.job?.id;
  if (id === undefined) throw new Error(`expected a created job, but got ${JSON.stringify(body)}`);
  return id;
}

/** What the attacker left once every socket of it is gone (after the gateway settles). */
async function leftovers(ctx: Context): Promise<AttackResult['left']> {
  const settled = (stats: HostStats) =>
    stats.openSubscriptions === 0 && stats.webSockets === 0 ? stats : undefined;
  const stats = await waitFor(
    async () => settled(await ctx.gateway.call('stats')),
    10_000,
    'the attacker to be gone',
    100,
  ).catch(() => ctx.gateway.call('stats'));
  let watchedJobs = 0;
  let watchers = 0;
  for (const tenant of Object.values(stats.watcher)) {
    watchedJobs += tenant.watchedIds;
    watchers += tenant.subscribers + tenant.feedSubscribers;
  }
  return { slots: stats.openSubscriptions, watchedJobs, watchers, sockets: stats.webSockets };
}

async function runAttack(
  ctx: Context,
  attack: string,
  run: (closes: Record<string, number>) => Promise<{
    sent: string;
    peak?: MemorySample;
    /** The loop's longest delay up to a mid-attack memory sample (whose GC is not counted). */
    loopMaxBeforePeakMs?: number;
    note?: string;
  }>,
): Promise<AttackResult> {
  const before = await ctx.gateway.call('memory');
  await ctx.gateway.call('loopDelay');
  const bystander = startBystander(ctx);
  const closes: Record<string, number> = {};
  const outcome = await run(closes);
  const loop = await ctx.gateway.call('loopDelay');
  const waited = await bystander.stop();
  const left = await leftovers(ctx);
  const after = await ctx.gateway.call('memory');
  return {
    attack,
    sent: outcome.sent,
    closes,
    loopMaxMs: Math.max(loop.maxMs, outcome.loopMaxBeforePeakMs ?? 0),
    bystander: waited,
    liveBeforeMiB: liveMiB(before),
    livePeakMiB: outcome.peak === undefined ? undefined : liveMiB(outcome.peak),
    liveAfterMiB: liveMiB(after),
    left,
    ...(outcome.note === undefined ? {} : { note: outcome.note }),
  };
}

/** No attack: what the bystander and the loop see on an idle gateway. */
function baseline(ctx: Context): Promise<AttackResult> {
  return runAttack(ctx, 'none (baseline)', async () => {
    await delay(3_000);
    return { sent: '—' };
  });
}

/** 50 sockets × 20 rounds of `subscribe x, complete x, subscribe x` in one write, `complete x`. */
function idReuse(ctx: Context): Promise<AttackResult> {
  return runAttack(ctx, 'subscription id reuse', async (closes) => {
    const jobId = await createJob(ctx);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        idReuseRound({
          url: ctx.wsUrl,
          connectionParams: CONNECTION_PARAMS,
          jobQuery: WATCH,
          jobIds: [jobId],
          feedQuery: FEED,
          rounds: 20,
          terminate: index % 2 === 0,
        }),
      ),
    );
    for (const outcome of outcomes) countClose(closes, outcome);
    const messages = outcomes.reduce((sum, outcome) => sum + outcome.messagesSent, 0);
    return { sent: `50 sockets × 20 rounds, ${formatInt(messages)} messages` };
  });
}

/** Opens a socket, acknowledged or not, and resolves with it once open. */
function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves on `connection_ack` (or when the socket closes first, or after 5 s). */
function acknowledged(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, 5_000);
    socket.on('message', (data) => {
      if (String(data).includes('"connection_ack"')) done();
    });
    socket.once('close', done);
  });
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(1006);
    else socket.once('close', (code) => resolve(code));
  });
}

/**
 * 500 sockets, each sending subscribe/complete pairs 50 to a write, as fast as its socket takes
 * them, for up to 5 s: a message flood from many clients at once.
 */
function messageFlood(ctx: Context): Promise<AttackResult> {
  return runAttack(ctx, 'subscribe/complete flood', async (closes) => {
    let messages = 0;
    const deadline = Date.now() + 5_000;
    const sockets = await Promise.all(Array.from({ length: 500 }, () => openSocket(ctx.wsUrl)));
    await Promise.all(
      sockets.map(async (socket, index) => {
        const ended = closed(socket);
        let isClosed = false;
        void ended.then(() => {
          isClosed = true;
        });
        socket.send(JSON.stringify({ type: 'connection_init', payload: CONNECTION_PARAMS }));
        await acknowledged(socket);
        for (let round = 0; !isClosed && Date.now() < deadline; round++) {
          const transport = (socket as unknown as { _socket: { cork(): void; uncork(): void } })
            ._socket;
          transport.cork();
          for (let pair = 0; pair < 25; pair++) {
            const id = `${index}-${round}-${pair}`;
            socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: FEED } }));
            socket.send(JSON.stringify({ id, type: 'complete' }));
          }
          transport.uncork();
          messages += 50;
          await delay(10);
        }
        if (!isClosed) socket.terminate();
        countClose(closes, isClosed ? await ended : 1006);
      }),
    );
    return { sent: `500 sockets, ${formatInt(messages)} messages in ≤ 5 s` };
  });
}

/** 20 sockets that never read, each writing 20,000 `ping`s before (or without) `connection_init`. */
function pingFlood(ctx: Context): Promise<AttackResult> {
  return runAttack(ctx, 'ping flood, never reading', async (closes) => {
    let messages = 0;
    const sockets = await Promise.all(Array.from({ length: 20 }, () => openSocket(ctx.wsUrl)));
    await Promise.all(
      sockets.map(async (socket) => {
        const ended = closed(socket);
        const transport = (
          socket as unknown as {
            _socket: { pause(): void; resume(): void; cork(): void; uncork(): void };
          }
        )._socket;
        transport.pause();
        const ping = JSON.stringify({ type: 'ping' });
        for (let batch = 0; batch < 40 && socket.readyState === WebSocket.OPEN; batch++) {
          transport.cork();
          for (let index = 0; index < 500; index++) socket.send(ping);
          transport.uncork();
          messages += 500;
          await delay(5);
        }
        transport.resume();
        const code = await Promise.race([ended, delay(3_000).then(() => undefined)]);
        if (code === undefined) socket.terminate();
        countClose(closes, code ?? 1006);
      }),
    );
    return { sent: `20 sockets, ${formatInt(messages)} pings` };
  });
}

/** 50 sockets, 20 feed subscriptions each with metrics, not reading for 10 s, 20 pings/s. */
function stalledReaders(ctx: Context): Promise<AttackResult> {
  return runAttack(ctx, 'stalled WebSocket readers', async (closes) => {
    const jobs = startJobFeed(ctx, 50);
    const rounds = Array.from({ length: 50 }, () =>
      stalledWebSocketRound({
        url: ctx.wsUrl,
        connectionParams: CONNECTION_PARAMS,
        query: FEED_FULL,
        variables: {},
        subscriptions: 20,
        stallMs: 10_000,
        pingsPerSecond: 20,
      }),
    );
    await delay(9_000);
    // Memory at the peak, while every stalled client still holds what the gateway buffered. The
    // sample runs a full GC: the loop's delay is read before it, and counted afresh after it.
    const stats = await ctx.gateway.call('stats');
    const loopBeforePeak = await ctx.gateway.call('loopDelay');
    const peak = await ctx.gateway.call('memory');
    await ctx.gateway.call('loopDelay');
    const outcomes = await Promise.all(rounds);
    await jobs.stop();
    for (const outcome of outcomes) countClose(closes, outcome);
    return {
      sent: '50 sockets × 20 feed subscriptions, 10 s unread, 20 pings/s',
      peak,
      loopMaxBeforePeakMs: loopBeforePeak.maxMs,
      note: `${formatInt(stats.webSocketBufferedBytes)} bytes waiting on WebSockets at the peak (the rest sits in kernel socket buffers; \`npm run bench -- stalled\` fills them with 100 KB documents to reach the limit)`,
    };
  });
}

/** 30 SSE feed streams with metrics that read nothing for 10 s while jobs run. */
function stalledSse(ctx: Context): Promise<AttackResult> {
  return runAttack(ctx, 'stalled SSE readers', async (closes) => {
    const jobs = startJobFeed(ctx, 50);
    const ended = await Promise.all(
      Array.from({ length: 30 }, () =>
        stalledSseRound({
          url: ctx.graphqlUrl,
          headers: HTTP_HEADERS,
          query: FEED_FULL,
          stallMs: 10_000,
        }),
      ),
    );
    await jobs.stop();
    for (const isEnded of ended) countClose(closes, isEnded ? 0 : 1006);
    return {
      sent: '30 streams, 10 s unread',
      note: 'SSE: "0" counts streams the gateway ended, "1006" streams the client aborted',
    };
  });
}

function report(results: readonly AttackResult[]): boolean {
  console.log(
    'Gateway at its default limits, service mode, over the embedded service in another process. "loop max" is the gateway\'s longest event-loop delay during the attack (10 ms resolution); "bystander" is an ordinary client querying every 100 ms meanwhile; "left" is counted once the attacker is gone.',
  );
  console.table(
    results.map((result) => ({
      attack: result.attack,
      sent: result.sent,
      'closed (code: count)':
        Object.entries(result.closes)
          .map(([code, count]) => `${code}: ${count}`)
          .join(', ') || '—',
      'loop max ms': result.loopMaxMs.toFixed(0),
      'bystander p99/max ms': `${result.bystander.p99.toFixed(0)} / ${result.bystander.max.toFixed(0)}${result.bystander.failed > 0 ? ` (${result.bystander.failed} failed)` : ''}`,
      'live MiB before/peak/after': `${result.liveBeforeMiB.toFixed(1)} / ${result.livePeakMiB?.toFixed(1) ?? '—'} / ${result.liveAfterMiB.toFixed(1)}`,
      'left: slots, watched, watchers, sockets': `${result.left.slots}, ${result.left.watchedJobs}, ${result.left.watchers}, ${result.left.sockets}`,
    })),
  );
  for (const result of results) {
    if (result.note !== undefined) console.log(`${result.attack}: ${result.note}`);
  }
  const stalled = results.find((result) => result.attack === 'stalled WebSocket readers');
  if (stalled?.livePeakMiB !== undefined) {
    const perClient = ((stalled.livePeakMiB - stalled.liveBeforeMiB) * 2 ** 20) / 50;
    console.log(
      `Memory per stalled WebSocket client at the peak: ${(perClient / 2 ** 20).toFixed(2)} MiB (live memory growth / 50 clients; WS_MAX_BUFFERED_BYTES is 1 MiB)`,
    );
  }
  const leaked = results.filter(
    (result) =>
      result.left.slots + result.left.watchedJobs + result.left.watchers + result.left.sockets > 0,
  );
  for (const result of leaked)
    console.log(`LEAK after ${result.attack}: ${JSON.stringify(result.left)}`);
  return leaked.length === 0;
}

/** Runs every attack in turn against one gateway and prints the table. */
export async function runAttacksBench(): Promise<void> {
  const embedded = await startHost({
    env: EMBEDDED_ENV,
    embedded: true,
    gateway: false,
    ceiling: false,
  });
  let gateway: HostProcess | undefined;
  try {
    const baseUrl = embedded.info.upstreamBaseUrl as string;
    gateway = await startHost(
      {
        env: { ...serviceModeEnv(baseUrl), POLL_INTERVAL_MS: '200' },
        embedded: false,
        gateway: true,
        ceiling: false,
      },
      { exposeGc: true },
    );
    const [definitionId] = await definitionIds(baseUrl);
    if (definitionId === undefined) throw new Error('expected a demo definition, but got none');
    const graphqlUrl = gateway.info.graphqlUrl as string;
    const ctx: Context = {
      gateway,
      graphqlUrl,
      wsUrl: graphqlUrl.replace(/^http/, 'ws'),
      definitionId,
    };
    const results: AttackResult[] = [];
    for (const attack of [baseline, idReuse, messageFlood, pingFlood, stalledReaders, stalledSse]) {
      results.push(await attack(ctx));
    }
    if (!report(results)) process.exitCode = 1;
  } finally {
    await gateway?.stop();
    await embedded.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runAttacksBench();
}
