// Replicas sharing one Redis: R = 1, 2, 3 gateway processes over one embedded service, 1,000
// subscribers spread over them on the same jobs. Upstream calls per tick, push lag from the
// holder's observation to every client, and Redis commands per tick, with ratios against R = 1.
// Loopback only; every wait is bounded.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { cancelJob, createJob, createJobs, definitionIds } from './support/embedded-rest.ts';
import { type HostProcess, startHost } from './support/host-process.ts';
import { callKey } from './support/host-protocol.ts';
import { delay, formatMs, summarize, waitFor } from './support/measure.ts';
import { BENCH_GATEWAY_KEY, serviceModeEnv } from './support/service-mode-env.ts';
import { describe, type SubscriberPool, subscribeMany } from './support/ws-subscribers.ts';

const POLL_INTERVAL_MS = 200;
const TICK_WINDOW_MS = 3_000;
const SUBSCRIBERS = 1_000;
const JOBS = 10;
const REPLICA_COUNTS = [1, 2, 3] as const;
const BULK_GET = callKey('POST', '/segment/jobs/bulk-get');
const CONNECTION_PARAMS = { 'x-gateway-key': BENCH_GATEWAY_KEY };

/** Jobs never move on their own (a step takes 10 minutes); only a cancel changes them. */
const EMBEDDED_ENV: Record<string, string> = {
  EMULATOR_STEP_MS: '600000',
  EMULATOR_DEMO_PROFILES: '200',
  EMULATOR_MAX_ACTIVE_JOBS: '1000',
};

const WATCH_QUERY = `subscription Watch($ids: [ID!]!) {
  segmentJobStatusChanged(ids: $ids) { jobId status previousStatus initial observedAtMs }
}`;

function wsUrl(gateway: HostProcess): string {
  return (gateway.info.graphqlUrl as string).replace(/^http/, 'ws');
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

/** Commands Redis has run so far, every client together (INFO commandstats). */
async function redisCommands(redis: Redis): Promise<number> {
  const text = await redis.info('commandstats');
  let total = 0;
  for (const match of text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    // The bench's own INFO calls are not the gateways'.
    if (match[1] !== 'info') total += Number(match[2]);
  }
  return total;
}

interface Measurement {
  replicas: number;
  ticks: number;
  upstreamPerTick: number;
  bulkGetsPerTick: number;
  polling: number;
  redisPerTick: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
}

async function measure(
  replicas: number,
  upstreamBaseUrl: string,
  definitionId: string,
  redisUrl: string,
  redis: Redis,
): Promise<Measurement> {
  const prefix = `bench-replicas-${randomUUID()}`;
  const gateways = await Promise.all(
    Array.from({ length: replicas }, () =>
      startHost(
        {
          env: {
            ...serviceModeEnv(upstreamBaseUrl),
            POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
            SUBSCRIPTIONS_PER_CONNECTION: '100',
            SUBSCRIPTIONS_PER_TENANT: '20000',
            REDIS_URL: redisUrl,
            REDIS_KEY_PREFIX: prefix,
            // Several gateways on one machine: no fixed side port may collide.
            METRICS_PORT: 'off',
          },
          embedded: false,
          gateway: true,
          ceiling: false,
        },
        {},
      ),
    ),
  );
  const pools: SubscriberPool[] = [];
  try {
    const jobIds = await createJobs(upstreamBaseUrl, JOBS);
    const lagJob = await createJob(upstreamBaseUrl, [definitionId]);
    const ids = [...jobIds, lagJob];
    for (const [index, gateway] of gateways.entries()) {
      const share = Math.floor(SUBSCRIBERS / replicas) + (index < SUBSCRIBERS % replicas ? 1 : 0);
      pools.push(
        await subscribeMany({
          url: wsUrl(gateway),
          connectionParams: CONNECTION_PARAMS,
          sockets: Math.ceil(share / 100),
          subscriptions: share,
          query: WATCH_QUERY,
          variables: () => ({ ids }),
          initialEventsEach: ids.length,
        }),
      );
    }
    // Registrations reach the holder within a heartbeat; then measure a quiet window.
    await delay(1_500);
    await Promise.all(gateways.map((gateway) => gateway.call('resetCalls', { record: true })));
    const redisBefore = await redisCommands(redis);
    await delay(TICK_WINDOW_MS);
    const redisAfter = await redisCommands(redis);
    const calls = await Promise.all(gateways.map((gateway) => gateway.call('calls')));
    const records = calls.flatMap((call) => call.records);
    const ticks = countTicks(records.map((record) => record.endedAtMs));
    const bulkGets = calls.reduce((sum, call) => sum + (call.counts[BULK_GET] ?? 0), 0);
    const polling = calls.filter((call) => call.records.length > 0).length;

    // One transition, observed by the holder, pushed to every subscriber on every replica.
    await cancelJob(upstreamBaseUrl, lagJob);
    const subscribers = pools.flatMap((pool) => pool.subscribers);
    const changeOf = (events: (typeof subscribers)[number]['events']) =>
      events.find((event) => !event.initial && event.status === 'CANCELLING');
    await waitFor(
      () => {
        const errors = pools.flatMap((pool) => pool.errors());
        if (errors.length > 0) {
          throw new Error(`expected no subscription errors, but got: ${describe(errors[0])}`);
        }
        return subscribers.every((subscriber) => changeOf(subscriber.events) !== undefined)
          ? true
          : undefined;
      },
      30_000,
      `the cancel to reach ${SUBSCRIBERS} subscribers`,
      5,
    );
    const lags = subscribers.map((subscriber) => {
      const event = changeOf(subscriber.events);
      return (event?.receivedAtMs ?? 0) - (event?.observedAtMs ?? 0);
    });
    const lag = summarize(lags);
    return {
      replicas,
      ticks,
      upstreamPerTick: ticks === 0 ? Number.NaN : records.length / ticks,
      bulkGetsPerTick: ticks === 0 ? Number.NaN : bulkGets / ticks,
      polling,
      redisPerTick: ticks === 0 ? Number.NaN : (redisAfter - redisBefore) / ticks,
      lagP50: lag.p50,
      lagP99: lag.p99,
      lagMax: lag.max,
    };
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    // This run's keys only (the prefix is its own).
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
}

const ratio = (value: number, base: number): string =>
  Number.isFinite(value) && base > 0 ? `×${(value / base).toFixed(2)}` : 'n/a';

export async function runReplicasBench(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const embedded = await startHost(
    { env: EMBEDDED_ENV, embedded: true, gateway: false, ceiling: false },
    {},
  );
  try {
    const upstreamBaseUrl = embedded.info.upstreamBaseUrl as string;
    const [definitionId] = await definitionIds(upstreamBaseUrl);
    if (definitionId === undefined) throw new Error('expected a demo definition');
    const results: Measurement[] = [];
    for (const replicas of REPLICA_COUNTS) {
      results.push(await measure(replicas, upstreamBaseUrl, definitionId, redisUrl, redis));
    }
    const base = results[0] as Measurement;
    console.log(
      `${SUBSCRIBERS} subscribers spread over R gateway processes, each watching the same ${JOBS + 1} jobs; POLL_INTERVAL_MS=${POLL_INTERVAL_MS}, a ${TICK_WINDOW_MS / 1000} s window; Redis commands counted by INFO commandstats (the whole server: anything else using it adds to them); lag from the holder's observation to each client`,
    );
    console.table(
      results.map((result) => ({
        R: result.replicas,
        ticks: result.ticks,
        'replicas polling': result.polling,
        'upstream calls/tick': result.upstreamPerTick.toFixed(2),
        'vs R=1': ratio(result.upstreamPerTick, base.upstreamPerTick),
        'bulk-gets/tick': result.bulkGetsPerTick.toFixed(2),
        'lag p50 ms': formatMs(result.lagP50),
        'lag p99 ms': formatMs(result.lagP99),
        'p99 vs R=1': ratio(result.lagP99, base.lagP99),
        'lag max ms': formatMs(result.lagMax),
        'Redis cmds/tick': result.redisPerTick.toFixed(1),
        'Redis vs R=1': ratio(result.redisPerTick, base.redisPerTick),
      })),
    );
    const flat = results.every(
      (result) => result.polling === 1 && result.upstreamPerTick === base.upstreamPerTick,
    );
    console.log(
      flat
        ? 'upstream calls per tick: flat across R (one replica polls)'
        : 'upstream calls per tick: NOT flat',
    );
    if (!flat) process.exitCode = 1;
  } finally {
    await embedded.stop();
    await redis.quit();
  }
}
