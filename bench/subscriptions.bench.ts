// Subscription cost at scale: upstream calls per poll tick as subscribers grow, push lag of one
// transition fanned out to thousands of WebSocket subscribers, and memory per idle subscriber.
// The embedded service and the gateway each run in a forked process; every client runs here,
// so the gateway's CPU and memory are its own. Loopback only; every wait is bounded.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { profileRows, readCpuProfile, summarizeCpuProfile } from './support/cpu-profile.ts';
import { cancelJob, createJob, createJobs, definitionIds } from './support/embedded-rest.ts';
import { type HostProcess, startHost } from './support/host-process.ts';
import { callKey, type HostStats, type MemorySample } from './support/host-protocol.ts';
import { delay, formatInt, formatKib, formatMs, summarize, waitFor } from './support/measure.ts';
import { BENCH_GATEWAY_KEY, serviceModeEnv } from './support/service-mode-env.ts';
import { describe, type SubscriberPool, subscribeMany } from './support/ws-subscribers.ts';

const POLL_INTERVAL_MS = 200;
const TICK_WINDOW_MS = 2_000;
const IDLE_JOBS = 10;
const LAG_GOAL_P99_MS = 100;
const MEMORY_GOAL_BYTES = 25 * 1024;
const MEMORY_SUBSCRIBERS = 2_000;
const BULK_GET = callKey('POST', '/segment/jobs/bulk-get');

/** Jobs never move on their own (a step takes 10 minutes); only a cancel changes them. */
const EMBEDDED_ENV: Record<string, string> = {
  EMULATOR_STEP_MS: '600000',
  EMULATOR_DEMO_PROFILES: '200',
  EMULATOR_MAX_ACTIVE_JOBS: '1000',
};

/**
 * Production settings in service mode over the embedded service, except: a 200 ms poll, and the
 * subscription caps raised (per socket 20 → 100, per tenant 1,000 → 20,000) so one process can
 * hold thousands of subscribers of one tenant.
 */
function gatewayEnv(upstreamBaseUrl: string): Record<string, string> {
  return {
    ...serviceModeEnv(upstreamBaseUrl),
    POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
    SUBSCRIPTIONS_PER_CONNECTION: '100',
    SUBSCRIPTIONS_PER_TENANT: '20000',
  };
}

const WATCH_QUERY = `subscription Watch($ids: [ID!]!) {
  segmentJobStatusChanged(ids: $ids) {
    jobId
    status
    previousStatus
    initial
    observedAtMs
    job { id status updateTime metrics { totalProfiles } }
  }
}`;

const CONNECTION_PARAMS = { 'x-gateway-key': BENCH_GATEWAY_KEY };

function wsUrl(gateway: HostProcess): string {
  return (gateway.info.graphqlUrl as string).replace(/^http/, 'ws');
}

function startGateway(upstreamBaseUrl: string, exposeGc = false): Promise<HostProcess> {
  return startHost(
    { env: gatewayEnv(upstreamBaseUrl), embedded: false, gateway: true, ceiling: false },
    { exposeGc },
  );
}

/** Closes the pool and waits until the gateway holds no socket and watches nothing. */
async function closeAndDrain(gateway: HostProcess, pool: SubscriberPool): Promise<void> {
  await pool.close();
  await waitFor(
    async () => {
      const stats = await gateway.call('stats');
      return stats.webSockets === 0 && Object.keys(stats.watcher).length === 0 ? true : undefined;
    },
    30_000,
    'the gateway to release every socket and watch',
    50,
  );
}

function watchedSubscribers(stats: HostStats): number {
  return Object.values(stats.watcher).reduce((sum, tenant) => sum + tenant.subscribers, 0);
}

/** Calls whose end times lie within half a poll interval of each other form one tick. */
function countTicks(endTimesMs: readonly number[]): number {
  const sorted = [...endTimesMs].sort((a, b) => a - b);
  let ticks = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const time of sorted) {
    if (time - last > POLL_INTERVAL_MS / 2) ticks++;
    last = time;
  }
  return ticks;
}

async function measureCallsPerTick(gateway: HostProcess, jobIds: readonly string[]) {
  const rows = [];
  for (const subscriptions of [1, 100, 1_000]) {
    await gateway.call('resetCalls', { record: true });
    const pool = await subscribeMany({
      url: wsUrl(gateway),
      connectionParams: CONNECTION_PARAMS,
      sockets: Math.ceil(subscriptions / 100),
      subscriptions,
      query: WATCH_QUERY,
      variables: () => ({ ids: jobIds }),
      initialEventsEach: jobIds.length,
    });
    try {
      const subscribing = await gateway.call('calls');
      await gateway.call('resetCalls', { record: true });
      await delay(TICK_WINDOW_MS);
      const { counts, records } = await gateway.call('calls');
      const stats = await gateway.call('stats');
      const ticks = countTicks(records.map((record) => record.endedAtMs));
      const bulkGets = counts[BULK_GET] ?? 0;
      const other = records.length - bulkGets;
      const tenant = Object.values(stats.watcher)[0];
      rows.push({
        subscribers: subscriptions,
        'jobs each': jobIds.length,
        'bulk-gets while subscribing': subscribing.counts[BULK_GET] ?? 0,
        [`ticks in ${TICK_WINDOW_MS / 1000} s`]: ticks,
        'bulk-gets': bulkGets,
        'bulk-gets/tick': ticks === 0 ? 'n/a' : (bulkGets / ticks).toFixed(2),
        'other calls': other,
        'watched ids': tenant?.watchedIds ?? 0,
        'watcher subscribers': watchedSubscribers(stats),
        ok: ticks > 0 && bulkGets === ticks && other === 0 ? 'yes' : 'NO',
      });
    } finally {
      await closeAndDrain(gateway, pool);
    }
  }
  console.log(
    `(a) Upstream calls per poll tick (POLL_INTERVAL_MS=${POLL_INTERVAL_MS}), every subscriber watching the same ${jobIds.length} jobs; expected 1 bulk-get per tick whatever the subscriber count`,
  );
  console.table(rows);
  if (rows.some((row) => row.ok !== 'yes')) process.exitCode = 1;
}

interface LagLayout {
  subscribers: number;
  sockets: number;
}

const LAG_LAYOUTS: readonly LagLayout[] = [
  { subscribers: 1_000, sockets: 10 },
  { subscribers: 1_000, sockets: 1_000 },
  { subscribers: 5_000, sockets: 50 },
  { subscribers: 5_000, sockets: 5_000 },
];
/** The row of the push-lag target: one transition to 5,000 subscribers on 5,000 sockets. */
const LAG_TARGET_LAYOUT: LagLayout = { subscribers: 5_000, sockets: 5_000 };
/** With `BENCH_LAG_RUNS`, one fan-out before the counted runs (the full table's second row). */
const LAG_WARM_UP_LAYOUT: LagLayout = { subscribers: 1_000, sockets: 1_000 };

/**
 * `BENCH_LAG_RUNS=N`: only the push-lag target row, N times over one gateway (the goal is p99
 * under the limit in every run); tables (a), (c) and the other layouts are skipped.
 */
function lagRuns(): number | undefined {
  const raw = process.env.BENCH_LAG_RUNS;
  if (raw === undefined || raw === '') return undefined;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`expected BENCH_LAG_RUNS to be a positive integer, but got ${raw}`);
  }
  return runs;
}

/** Milliseconds of garbage collection in this (the client) process until `stop()`. */
function observeGc(): { stop(): number } {
  let totalMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as PerformanceEntry[]) totalMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      for (const entry of observer.takeRecords()) totalMs += entry.duration;
      observer.disconnect();
      return totalMs;
    },
  };
}

async function measureLagOnce(
  gateway: HostProcess,
  upstreamBaseUrl: string,
  definitionId: string,
  layout: LagLayout,
  around: { before(): Promise<unknown>; after(): Promise<unknown> } = {
    before: async () => undefined,
    after: async () => undefined,
  },
) {
  const jobId = await createJob(upstreamBaseUrl, [definitionId]);
  const subscribeStarted = performance.now();
  const pool = await subscribeMany({
    url: wsUrl(gateway),
    connectionParams: CONNECTION_PARAMS,
    sockets: layout.sockets,
    subscriptions: layout.subscribers,
    query: WATCH_QUERY,
    variables: () => ({ ids: [jobId] }),
    initialEventsEach: 1,
  });
  const subscribeMs = performance.now() - subscribeStarted;
  try {
    await around.before();
    const before = await gateway.call('stats');
    const clientCpuBefore = process.cpuUsage();
    const clientGc = observeGc();
    await cancelJob(upstreamBaseUrl, jobId);
    await waitFor(
      () => {
        const errors = pool.errors();
        if (errors.length > 0) {
          throw new Error(`expected no subscription errors, but got: ${describe(errors[0])}`);
        }
        return pool.subscribers.every((subscriber) => subscriber.events.length >= 2)
          ? true
          : undefined;
      },
      30_000,
      `the transition to reach ${layout.subscribers} subscribers`,
      5,
    );
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const clientGcMs = clientGc.stop();
    const after = await gateway.call('stats');
    await around.after();
    const changes = pool.subscribers.map((subscriber) => subscriber.events[1]);
    const wrong = changes.filter((event) => event?.status !== 'CANCELLING' || event.initial);
    if (wrong.length > 0) {
      throw new Error(
        `expected every subscriber's second event to be CANCELLING, but ${wrong.length} were not`,
      );
    }
    const received = changes.map((event) => event?.receivedAtMs ?? Number.NaN);
    const lags = changes.map((event) => (event?.receivedAtMs ?? 0) - (event?.observedAtMs ?? 0));
    const lag = summarize(lags);
    const cpuMs = (after.cpuMicros - before.cpuMicros) / 1000;
    return {
      p99: lag.p99,
      row: {
        subscribers: formatInt(layout.subscribers),
        sockets: formatInt(layout.sockets),
        'subscribe s': (subscribeMs / 1000).toFixed(1),
        'lag p50 ms': formatMs(lag.p50),
        'lag p99 ms': formatMs(lag.p99),
        'lag max ms': formatMs(lag.max),
        'first→last ms': formatMs(Math.max(...received) - Math.min(...received)),
        executions: after.sharedExecution.executions - before.sharedExecution.executions,
        shared: after.sharedExecution.shared - before.sharedExecution.shared,
        'gateway CPU ms': formatMs(cpuMs),
        'CPU µs/delivery': formatInt((cpuMs * 1000) / layout.subscribers),
        'client CPU ms': formatMs((clientCpu.user + clientCpu.system) / 1000),
        'client GC ms': formatMs(clientGcMs),
        [`p99 < ${LAG_GOAL_P99_MS} ms`]: lag.p99 < LAG_GOAL_P99_MS ? 'yes' : 'NO',
      },
    };
  } finally {
    await closeAndDrain(gateway, pool);
  }
}

/** A CPU profile of the gateway during one fan-out: where the time per delivery goes. */
async function profileFanOut(
  gateway: HostProcess,
  upstreamBaseUrl: string,
  definitionId: string,
  layout: LagLayout,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const path = join(dir, 'fan-out.cpuprofile');
  try {
    await measureLagOnce(gateway, upstreamBaseUrl, definitionId, layout, {
      before: () => gateway.call('cpuProfileStart'),
      after: () => gateway.call('cpuProfileStop', { path }),
    });
    const summary = summarizeCpuProfile(readCpuProfile(path), 12);
    console.log(
      `CPU profile of the gateway from the cancel to the last delivery, ${formatInt(layout.subscribers)} subscribers on ${formatInt(layout.sockets)} sockets (profiling slows it): busy ${formatInt(summary.busyMs)} ms. Self time by function:`,
    );
    console.table(profileRows(summary.functions));
    console.log('Self time by area:');
    console.table(profileRows(summary.areas.slice(0, 8)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureLag(
  gateway: HostProcess,
  upstreamBaseUrl: string,
  definitionId: string,
  runs?: number,
) {
  const layouts =
    runs === undefined ? LAG_LAYOUTS : Array.from({ length: runs }, () => LAG_TARGET_LAYOUT);
  const rows = [];
  let worstP99 = 0;
  let worstLayout = layouts[0] as LagLayout;
  let met = 0;
  if (runs !== undefined) {
    // The runs are of a gateway that has fanned out before, as in the full table (whose target
    // row comes after three others): one smaller fan-out first, shown and not counted, so that
    // neither end runs its delivery path for the first time (interpreted, then compiled while
    // the transition is under way) inside a counted run.
    const warmUp = await measureLagOnce(gateway, upstreamBaseUrl, definitionId, LAG_WARM_UP_LAYOUT);
    rows.push({ run: 'warm-up (not counted)', ...warmUp.row });
  }
  for (const [index, layout] of layouts.entries()) {
    const result = await measureLagOnce(gateway, upstreamBaseUrl, definitionId, layout);
    if (result.p99 >= worstP99) {
      worstP99 = result.p99;
      worstLayout = layout;
    }
    if (result.p99 < LAG_GOAL_P99_MS) met++;
    rows.push(runs === undefined ? result.row : { run: index + 1, ...result.row });
  }
  console.log(
    '\n(b) Push lag of one transition (NEW → CANCELLING, from a cancel on the embedded service) to every subscriber of one job: from the poll that observed it (observedAtMs) to Date.now() in the client process. Executions/shared: how often the event was executed vs. answered from a shared result. Gateway CPU spans the cancel to the last delivery (includes idle polls); client CPU is that of this process over the same span (every subscriber lives here: when it nears first→last, the clients, not the gateway, set the pace).',
  );
  console.table(rows);
  if (runs !== undefined) {
    console.log(
      `BENCH_LAG_RUNS=${runs}: ${formatInt(LAG_TARGET_LAYOUT.subscribers)} subscribers on ${formatInt(LAG_TARGET_LAYOUT.sockets)} sockets, p99 < ${LAG_GOAL_P99_MS} ms in ${met} of ${runs} runs.`,
    );
  }
  // The layout with the worst p99 is the one worth a look.
  if (worstP99 >= LAG_GOAL_P99_MS || process.env.BENCH_PROFILE === '1') {
    await profileFanOut(gateway, upstreamBaseUrl, definitionId, worstLayout);
  }
}

interface MemoryLayout {
  sockets: number;
}

function perSubscriber(before: MemorySample, after: MemorySample, key: keyof MemorySample) {
  return ((after[key] as number) - (before[key] as number)) / MEMORY_SUBSCRIBERS;
}

async function measureMemoryOnce(
  upstreamBaseUrl: string,
  jobIds: readonly string[],
  layout: MemoryLayout,
) {
  const gateway = await startGateway(upstreamBaseUrl, true);
  try {
    // Warm up the code paths first so the baseline already holds compiled code and caches.
    const warm = await subscribeMany({
      url: wsUrl(gateway),
      connectionParams: CONNECTION_PARAMS,
      sockets: 10,
      subscriptions: 200,
      query: WATCH_QUERY,
      variables: (index) => ({ ids: [jobIds[index % jobIds.length]] }),
      initialEventsEach: 1,
    });
    await closeAndDrain(gateway, warm);
    const baseline = await gateway.call('memory');
    const pool = await subscribeMany({
      url: wsUrl(gateway),
      connectionParams: CONNECTION_PARAMS,
      sockets: layout.sockets,
      subscriptions: MEMORY_SUBSCRIBERS,
      query: WATCH_QUERY,
      variables: (index) => ({ ids: [jobIds[index % jobIds.length]] }),
      initialEventsEach: 1,
    });
    let loaded: MemorySample;
    try {
      const stats = await gateway.call('stats');
      if (watchedSubscribers(stats) !== MEMORY_SUBSCRIBERS) {
        throw new Error(
          `expected ${MEMORY_SUBSCRIBERS} watcher subscribers, but got ${watchedSubscribers(stats)}`,
        );
      }
      loaded = await gateway.call('memory');
    } finally {
      await closeAndDrain(gateway, pool);
    }
    const released = await gateway.call('memory');
    const rss = perSubscriber(baseline, loaded, 'rssBytes');
    const heap = perSubscriber(baseline, loaded, 'heapUsedBytes');
    const offHeap =
      perSubscriber(baseline, loaded, 'externalBytes') +
      perSubscriber(baseline, loaded, 'arrayBuffersBytes');
    return {
      subscribers: formatInt(MEMORY_SUBSCRIBERS),
      sockets: formatInt(layout.sockets),
      'heap used KiB/sub': formatKib(heap),
      'external+buffers KiB/sub': formatKib(offHeap),
      'RSS KiB/sub': formatKib(rss),
      [`heap+external < ${MEMORY_GOAL_BYTES / 1024} KiB/sub`]:
        heap + offHeap < MEMORY_GOAL_BYTES ? 'yes' : 'NO',
      'heap kept after release, KiB total': formatKib(
        released.heapUsedBytes - baseline.heapUsedBytes,
      ),
      'after full GC': loaded.afterGc ? 'yes' : 'no',
    };
  } finally {
    await gateway.stop();
  }
}

async function measureMemory(upstreamBaseUrl: string, jobIds: readonly string[]) {
  const rows = [];
  for (const layout of [{ sockets: MEMORY_SUBSCRIBERS }, { sockets: MEMORY_SUBSCRIBERS / 100 }]) {
    rows.push(await measureMemoryOnce(upstreamBaseUrl, jobIds, layout));
  }
  console.log(
    `\n(c) Memory of the gateway process per idle subscriber: ${MEMORY_SUBSCRIBERS} subscriptions to ${jobIds.length} jobs that never change, a fresh gateway process per row (--expose-gc, sampled after full GCs, baseline after a warm-up); clients live in this process. The goal is checked on live memory (heap used + external): RSS keeps pages the process touched before the baseline (startup, warm-up), so its delta understates.`,
  );
  console.table(rows);
}

/**
 * Prints the three tables: calls per tick, push lag, memory per idle subscriber; with
 * `BENCH_LAG_RUNS=N`, only the push-lag target row N times.
 */
export async function runSubscriptionsBench(): Promise<void> {
  const embedded = await startHost({
    env: EMBEDDED_ENV,
    embedded: true,
    gateway: false,
    ceiling: false,
  });
  try {
    const baseUrl = embedded.info.upstreamBaseUrl as string;
    const [definitionId] = await definitionIds(baseUrl);
    if (definitionId === undefined) throw new Error('expected a demo definition, but got none');
    const idleJobs = await createJobs(baseUrl, IDLE_JOBS);
    const runs = lagRuns();
    const gateway = await startGateway(baseUrl);
    try {
      if (runs === undefined) await measureCallsPerTick(gateway, idleJobs);
      await measureLag(gateway, baseUrl, definitionId, runs);
    } finally {
      await gateway.stop();
    }
    if (runs === undefined) await measureMemory(baseUrl, idleJobs);
  } finally {
    await embedded.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSubscriptionsBench();
}
