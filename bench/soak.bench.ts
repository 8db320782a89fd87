// A bounded soak of the gateway's subscriptions: subscribers churn (subscribe, receive, complete,
// unsubscribe, sockets terminated mid-stream, SSE streams aborted) while jobs are created, run
// and cancelled; the gateway's memory is sampled every second. Fails (exit code 1) when live
// memory keeps growing or when the watcher still holds anything once every client is gone.
// The embedded service and the gateway each run in a forked process; the clients run here.

import { pathToFileURL } from 'node:url';
import type { Client } from 'graphql-ws';
import { definitionIds } from './support/embedded-rest.ts';
import { type HostProcess, startHost } from './support/host-process.ts';
import type { HostStats, MemorySample } from './support/host-protocol.ts';
import {
  type HostileOutcome,
  idReuseRound,
  stalledSseRound,
  stalledWebSocketRound,
} from './support/hostile-clients.ts';
import { delay, formatInt, formatKib, slope, waitFor } from './support/measure.ts';
import { BENCH_GATEWAY_KEY, serviceModeEnv } from './support/service-mode-env.ts';
import { describe, openClient, type Subscriber, subscribe } from './support/ws-subscribers.ts';

const DEFAULT_SECONDS = 120;
const SAMPLE_INTERVAL_MS = 1_000;
/**
 * Growth of live memory (heap used + external, after a full GC) over the second half of the run
 * that fails the soak, when it also adds up to `MIN_GROWTH_BYTES` over that half. A leak of
 * 1 KiB per churned subscription at this churn (about 50 per second) exceeds both within a minute;
 * a steady process measured here stays under half the slope. Runs shorter than 60 s judge weakly.
 */
const MAX_LIVE_SLOPE_BYTES_PER_S = 16 * 1024;
/** RSS growth that fails the soak (RSS is noisier: the allocator keeps pages). */
const MAX_RSS_SLOPE_BYTES_PER_S = 128 * 1024;
/** Growth over the second half below this never fails the soak (sampling noise is ±0.5 MiB). */
const MIN_GROWTH_BYTES = 2 * 2 ** 20;
const JOB_WORKERS = 3;
const ABANDON_WORKERS = 2;
const SUBSCRIBERS_PER_JOB = 4;
const JOB_DEADLINE_MS = 20_000;

const EMBEDDED_ENV: Record<string, string> = {
  EMULATOR_STEP_MS: '100',
  EMULATOR_DEMO_PROFILES: '500',
  EMULATOR_MAX_ACTIVE_JOBS: '1000',
};

function gatewayEnv(upstreamBaseUrl: string): Record<string, string> {
  return {
    ...serviceModeEnv(upstreamBaseUrl),
    POLL_INTERVAL_MS: '100',
    SUBSCRIPTIONS_PER_CONNECTION: '100',
    SUBSCRIPTIONS_PER_TENANT: '20000',
  };
}

const CONNECTION_PARAMS = { 'x-gateway-key': BENCH_GATEWAY_KEY };
const HTTP_HEADERS = { 'content-type': 'application/json', 'x-gateway-key': BENCH_GATEWAY_KEY };

const CREATE = `mutation Create($ids: [ID!]) {
  createSegmentJob(input: { segmentIds: $ids }) {
    __typename
    ... on CreateSegmentJobSuccess { job { id status } }
    ... on Error { code message }
  }
}`;
const CANCEL = `mutation Cancel($id: ID!) {
  cancelSegmentJob(id: $id) { __typename ... on Error { code message } }
}`;
const WATCH = `subscription Watch($ids: [ID!]!) {
  segmentJobStatusChanged(ids: $ids) {
    jobId status previousStatus initial observedAtMs
    job { id status metrics { totalProfiles } }
  }
}`;
const FEED = `subscription Feed {
  segmentJobEvents { jobId status previousStatus initial observedAtMs }
}`;

interface Counters {
  jobsCreated: number;
  jobsCancelled: number;
  subscriptions: number;
  completedStreams: number;
  eventsReceived: number;
  socketsTerminated: number;
  feedStreams: number;
  sseStreams: number;
  /** Sockets of the id-reuse client, and the messages they sent. */
  idReuseSockets: number;
  idReuseMessages: number;
  /** Stalled readers, and how many of them the gateway closed itself (by close code). */
  stalledWebSockets: number;
  stalledClosedBy: Record<string, number>;
  stalledSseStreams: number;
  stalledSseEndedByGateway: number;
  errors: number;
  firstErrors: string[];
}

interface Soak {
  graphqlUrl: string;
  wsUrl: string;
  definitionId: string;
  deadlineMs: number;
  counters: Counters;
}

function noteError(soak: Soak, error: unknown): void {
  soak.counters.errors++;
  if (soak.counters.firstErrors.length < 5) soak.counters.firstErrors.push(describe(error));
}

async function postGraphql(
  soak: Soak,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(soak.graphqlUrl, {
    method: 'POST',
    headers: HTTP_HEADERS,
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (json.errors !== undefined || json.data === undefined) {
    throw new Error(`expected data, but got ${JSON.stringify(json).slice(0, 300)}`);
  }
  return json.data;
}

async function createJob(soak: Soak): Promise<string> {
  const data = await postGraphql(soak, CREATE, { ids: [soak.definitionId] });
  const result = data.createSegmentJob as { __typename: string; job?: { id: string } };
  if (result.job === undefined) {
    throw new Error(`expected a created job, but got ${JSON.stringify(result)}`);
  }
  soak.counters.jobsCreated++;
  return result.job.id;
}

function isDone(soak: Soak): boolean {
  return Date.now() >= soak.deadlineMs;
}

/** Waits until `check` holds or `timeoutMs` passes; never throws. */
async function settle(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await delay(10);
  }
  return true;
}

function countEvents(soak: Soak, subscribers: readonly Subscriber[]): void {
  for (const subscriber of subscribers) soak.counters.eventsReceived += subscriber.events.length;
}

/** Creates a job and follows it to the end with several subscribers on two sockets. */
async function jobWorker(soak: Soak): Promise<void> {
  while (!isDone(soak)) {
    const clients: Client[] = [];
    try {
      const jobId = await createJob(soak);
      clients.push(
        openClient(soak.wsUrl, CONNECTION_PARAMS),
        openClient(soak.wsUrl, CONNECTION_PARAMS),
      );
      const subscribers = Array.from({ length: SUBSCRIBERS_PER_JOB }, (_, index) =>
        subscribe(clients[index % clients.length] as Client, WATCH, { ids: [jobId] }),
      );
      soak.counters.subscriptions += subscribers.length;
      const ended = await settle(
        () => subscribers.every((s) => s.isComplete || s.error !== undefined),
        JOB_DEADLINE_MS,
      );
      for (const subscriber of subscribers) {
        if (subscriber.error !== undefined) noteError(soak, subscriber.error);
        else if (subscriber.isComplete) soak.counters.completedStreams++;
      }
      if (!ended) noteError(soak, new Error(`expected job ${jobId}'s streams to complete`));
      countEvents(soak, subscribers);
    } catch (error) {
      noteError(soak, error);
      await delay(100);
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  }
}

/**
 * Subscribes to a new job and goes away mid-stream: terminates the socket after the first event,
 * or completes from the client side, and cancels every other job through the gateway.
 */
async function abandonWorker(soak: Soak, seed: number): Promise<void> {
  let round = seed;
  while (!isDone(soak)) {
    round++;
    const client = openClient(soak.wsUrl, CONNECTION_PARAMS);
    let isTerminated = false;
    try {
      const jobId = await createJob(soak);
      const subscriber = subscribe(client, WATCH, { ids: [jobId] });
      soak.counters.subscriptions++;
      await settle(() => subscriber.events.length > 0 || subscriber.error !== undefined, 5_000);
      countEvents(soak, [subscriber]);
      if (round % 2 === 0) {
        await postGraphql(soak, CANCEL, { id: jobId });
        soak.counters.jobsCancelled++;
      }
      if (round % 3 === 0) subscriber.unsubscribe();
      else {
        client.terminate();
        isTerminated = true;
        soak.counters.socketsTerminated++;
      }
    } catch (error) {
      noteError(soak, error);
    } finally {
      if (!isTerminated) await client.dispose();
    }
    await delay(50);
  }
}

/** The tenant feed: subscribe, take a few events, complete, again. */
async function feedWorker(soak: Soak): Promise<void> {
  while (!isDone(soak)) {
    const client = openClient(soak.wsUrl, CONNECTION_PARAMS);
    try {
      const subscriber = subscribe(client, FEED);
      soak.counters.feedStreams++;
      await settle(() => subscriber.events.length >= 3 || subscriber.error !== undefined, 2_000);
      if (subscriber.error !== undefined) noteError(soak, subscriber.error);
      countEvents(soak, [subscriber]);
      subscriber.unsubscribe();
    } catch (error) {
      noteError(soak, error);
    } finally {
      await client.dispose();
    }
  }
}

/** The tenant feed over SSE: read until the first event (or a second), then abort. */
async function sseWorker(soak: Soak): Promise<void> {
  while (!isDone(soak)) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 1_000);
    try {
      const response = await fetch(soak.graphqlUrl, {
        method: 'POST',
        headers: { ...HTTP_HEADERS, accept: 'text/event-stream' },
        body: JSON.stringify({ query: FEED }),
        signal: controller.signal,
      });
      soak.counters.sseStreams++;
      const reader = response.body?.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (reader !== undefined && !text.includes('event: next')) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
      if (text.includes('event: next')) soak.counters.eventsReceived++;
      controller.abort();
    } catch (error) {
      if (!controller.signal.aborted) noteError(soak, error);
    } finally {
      clearTimeout(timer);
    }
    await delay(50);
  }
}

/**
 * A socket that reuses one subscription id: `subscribe x`, `complete x`, `subscribe x` in one
 * write, then `complete x`, 20 rounds, on a job that is running and on the tenant feed; then it
 * closes or vanishes. The gateway must release every stream it started.
 */
async function idReuseWorker(soak: Soak): Promise<void> {
  let round = 0;
  while (!isDone(soak)) {
    round++;
    try {
      const jobId = await createJob(soak);
      const outcome = await idReuseRound({
        url: soak.wsUrl,
        connectionParams: CONNECTION_PARAMS,
        jobQuery: WATCH,
        jobIds: [jobId],
        feedQuery: FEED,
        rounds: 20,
        terminate: round % 2 === 0,
      });
      soak.counters.idReuseSockets++;
      soak.counters.idReuseMessages += outcome.messagesSent;
      if (outcome.closeCode !== undefined) noteClose(soak, outcome);
    } catch (error) {
      noteError(soak, error);
    }
    await delay(50);
  }
}

function noteClose(soak: Soak, outcome: HostileOutcome): void {
  const key = String(outcome.closeCode);
  soak.counters.stalledClosedBy[key] = (soak.counters.stalledClosedBy[key] ?? 0) + 1;
}

/** The feed with each job's metrics: the largest frames a subscriber can ask for. */
const FEED_FULL = `subscription FeedFull {
  segmentJobEvents {
    jobId status previousStatus initial observedAtMs
    job { id status creationTime updateTime metrics { totalProfiles segments { segmentId qualified realized exited } } }
  }
}`;

/**
 * A socket that opens 20 feed subscriptions, then stops reading for 15 s while it sends 20
 * pings a second: more than the kernel's socket buffers absorb, so the gateway's own bound on
 * bytes waiting (WS_MAX_BUFFERED_BYTES) decides, and closes it with 4503.
 */
async function stalledWebSocketWorker(soak: Soak): Promise<void> {
  while (!isDone(soak)) {
    try {
      const outcome = await stalledWebSocketRound({
        url: soak.wsUrl,
        connectionParams: CONNECTION_PARAMS,
        query: FEED_FULL,
        variables: {},
        subscriptions: 20,
        stallMs: 15_000,
        pingsPerSecond: 20,
      });
      soak.counters.stalledWebSockets++;
      if (outcome.closeCode !== undefined) noteClose(soak, outcome);
    } catch (error) {
      noteError(soak, error);
    }
  }
}

/** An SSE subscriber to the feed that reads nothing for 5 s, then aborts. */
async function stalledSseWorker(soak: Soak): Promise<void> {
  while (!isDone(soak)) {
    try {
      const endedByGateway = await stalledSseRound({
        url: soak.graphqlUrl,
        headers: HTTP_HEADERS,
        query: FEED,
        stallMs: 5_000,
      });
      soak.counters.stalledSseStreams++;
      if (endedByGateway) soak.counters.stalledSseEndedByGateway++;
    } catch (error) {
      noteError(soak, error);
    }
  }
}

interface Sample {
  seconds: number;
  memory: MemorySample;
}

function liveBytes(memory: MemorySample): number {
  return memory.heapUsedBytes + memory.externalBytes + memory.arrayBuffersBytes;
}

async function sampleMemory(
  gateway: HostProcess,
  startedMs: number,
  deadlineMs: number,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  while (Date.now() < deadlineMs) {
    const memory = await gateway.call('memory');
    samples.push({ seconds: (Date.now() - startedMs) / 1000, memory });
    await delay(SAMPLE_INTERVAL_MS);
  }
  return samples;
}

function soakSeconds(): number {
  const raw = process.env.SOAK_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 10 || seconds > 3_600) {
    throw new Error(`SOAK_SECONDS: expected an integer from 10 to 3600, but got "${raw}"`);
  }
  return seconds;
}

/** Runs the soak, prints its table, and sets a non-zero exit code when it fails. */
export async function runSoakBench(): Promise<void> {
  const seconds = soakSeconds();
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
      { env: gatewayEnv(baseUrl), embedded: false, gateway: true, ceiling: false },
      { exposeGc: true },
    );
    const [definitionId] = await definitionIds(baseUrl);
    if (definitionId === undefined) throw new Error('expected a demo definition, but got none');
    const graphqlUrl = gateway.info.graphqlUrl as string;
    const startedMs = Date.now();
    const soak: Soak = {
      graphqlUrl,
      wsUrl: graphqlUrl.replace(/^http/, 'ws'),
      definitionId,
      deadlineMs: startedMs + seconds * 1000,
      counters: {
        jobsCreated: 0,
        jobsCancelled: 0,
        subscriptions: 0,
        completedStreams: 0,
        eventsReceived: 0,
        socketsTerminated: 0,
        feedStreams: 0,
        sseStreams: 0,
        idReuseSockets: 0,
        idReuseMessages: 0,
        stalledWebSockets: 0,
        stalledClosedBy: {},
        stalledSseStreams: 0,
        stalledSseEndedByGateway: 0,
        errors: 0,
        firstErrors: [],
      },
    };
    const workers = [
      ...Array.from({ length: JOB_WORKERS }, () => jobWorker(soak)),
      ...Array.from({ length: ABANDON_WORKERS }, (_, index) => abandonWorker(soak, index)),
      feedWorker(soak),
      sseWorker(soak),
      idReuseWorker(soak),
      stalledWebSocketWorker(soak),
      stalledSseWorker(soak),
    ];
    const samples = await sampleMemory(gateway, startedMs, soak.deadlineMs);
    await Promise.all(workers);
    const drained = await waitFor(
      async () => {
        const stats = await gateway?.call('stats');
        if (stats === undefined) return undefined;
        return stats.webSockets === 0 &&
          stats.openSubscriptions === 0 &&
          Object.keys(stats.watcher).length === 0
          ? stats
          : undefined;
      },
      15_000,
      'the watcher to be empty and every socket closed',
      100,
    ).catch(async () => gateway?.call('stats'));
    report(seconds, soak.counters, samples, drained);
  } finally {
    await gateway?.stop();
    await embedded.stop();
  }
}

/** Samples per window whose lowest value is kept (see {@link windowFloors}). */
const FLOOR_WINDOW_SAMPLES = 5;

/**
 * The lowest value of each run of {@link FLOOR_WINDOW_SAMPLES} samples. A stalled reader holds
 * up to WS_MAX_BUFFERED_BYTES until the gateway closes it, so live memory rises and falls by
 * about a MiB every few seconds; a leak raises the floor under those peaks, which is what the
 * slope is taken over.
 */
function windowFloors(
  samples: readonly Sample[],
  measure: (memory: MemorySample) => number,
): { x: number; y: number }[] {
  const floors: { x: number; y: number }[] = [];
  for (let start = 0; start < samples.length; start += FLOOR_WINDOW_SAMPLES) {
    const window = samples.slice(start, start + FLOOR_WINDOW_SAMPLES);
    let lowest = window[0];
    for (const sample of window) {
      if (lowest === undefined || measure(sample.memory) < measure(lowest.memory)) lowest = sample;
    }
    if (lowest !== undefined) floors.push({ x: lowest.seconds, y: measure(lowest.memory) });
  }
  return floors;
}

function report(
  seconds: number,
  counters: Counters,
  samples: readonly Sample[],
  stats: HostStats | undefined,
): void {
  const secondHalf = samples.filter((sample) => sample.seconds >= seconds / 2);
  const liveSlope = slope(windowFloors(secondHalf, (memory) => liveBytes(memory)));
  const rssSlope = slope(windowFloors(secondHalf, (memory) => memory.rssBytes));
  const first = secondHalf[0]?.memory;
  const last = secondHalf[secondHalf.length - 1]?.memory;
  const watcherEmpty = stats !== undefined && Object.keys(stats.watcher).length === 0;
  const socketsClosed = stats?.webSockets === 0;
  const slotsReleased = stats?.openSubscriptions === 0;
  const halfSeconds = seconds / 2;
  const liveOk =
    liveSlope <= MAX_LIVE_SLOPE_BYTES_PER_S || liveSlope * halfSeconds < MIN_GROWTH_BYTES;
  const rssOk = rssSlope <= MAX_RSS_SLOPE_BYTES_PER_S || rssSlope * halfSeconds < MIN_GROWTH_BYTES;
  const progressed = counters.eventsReceived > 0 && counters.jobsCreated > 0;
  console.log(
    `${seconds} s (SOAK_SECONDS), memory of the gateway process sampled every second after a full GC (${samples.length} samples); slopes by least squares over the lowest sample of every ${FLOOR_WINDOW_SAMPLES} in the second half (${secondHalf.length} samples). A slope over its limit fails the soak when it also adds up to ${MIN_GROWTH_BYTES / 2 ** 20} MiB over that half.`,
  );
  console.table([
    {
      'jobs created': formatInt(counters.jobsCreated),
      cancelled: formatInt(counters.jobsCancelled),
      'job subscriptions': formatInt(counters.subscriptions),
      'completed streams': formatInt(counters.completedStreams),
      'events received': formatInt(counters.eventsReceived),
      'sockets terminated': formatInt(counters.socketsTerminated),
      'feed streams': formatInt(counters.feedStreams),
      'SSE streams': formatInt(counters.sseStreams),
      errors: counters.errors,
    },
  ]);
  console.table([
    {
      'id-reuse sockets': formatInt(counters.idReuseSockets),
      'id-reuse messages': formatInt(counters.idReuseMessages),
      'stalled WebSockets': formatInt(counters.stalledWebSockets),
      'closed by the gateway (code: count)':
        Object.entries(counters.stalledClosedBy)
          .map(([code, count]) => `${code}: ${count}`)
          .join(', ') || 'none',
      'stalled SSE streams': formatInt(counters.stalledSseStreams),
      'SSE ended by the gateway': formatInt(counters.stalledSseEndedByGateway),
    },
  ]);
  console.table([
    {
      measure: 'live (heap used + external), KiB/s',
      slope: formatKib(liveSlope),
      limit: formatKib(MAX_LIVE_SLOPE_BYTES_PER_S),
      'at half, MiB': ((first === undefined ? 0 : liveBytes(first)) / 2 ** 20).toFixed(1),
      'at end, MiB': ((last === undefined ? 0 : liveBytes(last)) / 2 ** 20).toFixed(1),
      ok: liveOk ? 'yes' : 'NO',
    },
    {
      measure: 'RSS, KiB/s',
      slope: formatKib(rssSlope),
      limit: formatKib(MAX_RSS_SLOPE_BYTES_PER_S),
      'at half, MiB': ((first?.rssBytes ?? 0) / 2 ** 20).toFixed(1),
      'at end, MiB': ((last?.rssBytes ?? 0) / 2 ** 20).toFixed(1),
      ok: rssOk ? 'yes' : 'NO',
    },
  ]);
  const step = Math.max(1, Math.floor(samples.length / 10));
  console.log('Live memory (MiB) over time:');
  console.log(
    samples
      .filter((_, index) => index % step === 0 || index === samples.length - 1)
      .map(
        (sample) =>
          `${sample.seconds.toFixed(0)} s: ${(liveBytes(sample.memory) / 2 ** 20).toFixed(1)}`,
      )
      .join(' | '),
  );
  console.log(
    `After the last client left: watcher ${watcherEmpty ? 'empty' : `NOT empty: ${JSON.stringify(stats?.watcher)}`}, open WebSockets ${stats?.webSockets ?? 'unknown'}, open subscriptions (leaked slots) ${stats?.openSubscriptions ?? 'unknown'}`,
  );
  for (const message of counters.firstErrors) console.log(`  error: ${message}`);
  const failures = [
    liveOk ? undefined : 'live memory keeps growing',
    rssOk ? undefined : 'RSS keeps growing',
    watcherEmpty ? undefined : 'the watcher is not empty',
    socketsClosed ? undefined : 'sockets are still open',
    slotsReleased ? undefined : 'subscription slots are still held',
    progressed ? undefined : 'no job was created or no event received',
  ].filter((failure) => failure !== undefined);
  if (failures.length > 0) {
    console.log(`SOAK FAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else console.log('Soak passed.');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSoakBench();
}
