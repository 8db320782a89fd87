// The fleet: replicas sharing one poller per tenant through Redis. Per tenant it owns this
// replica's registration of watched ids, the fenced polling lease, and the last published state
// of each job; the feed stream lives in `feed-stream.ts` on the same connection. It never polls
// and never stores a credential: only job ids, job documents, tokens.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { isSegmentJobStatus } from '../domain/index.ts';
import { createFeedStream, type FeedStream } from './feed-stream.ts';
import type { JobState } from './job-observation.ts';
import { LUA_NOW_MS, type RedisScript, redisScript, runScript } from './redis-script.ts';

/** What this replica does for a tenant right now. */
export type FleetRole =
  /** Holds the lease: polls the union of every replica's ids and the feed, and publishes. */
  | 'holder'
  /** Another replica polls; this one delivers from the bus and polls nothing. */
  | 'follower'
  /** Redis is unreachable: this replica polls for its own subscribers, as without a fleet. */
  | 'standalone';

export interface FleetLogger {
  debug(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
}

export interface FleetOptions {
  redisUrl: string;
  /** Prefix of every key this fleet writes, so that deployments sharing a Redis never cross. */
  keyPrefix: string;
  /**
   * How long a lease lives without renewal. The holder renews every quarter of it and stops
   * polling once two thirds have passed since its last confirmed renewal, so it has stopped
   * well before the lease can expire and another replica take it. @default 5000
   */
  leaseMs?: number | undefined;
  /** How long the last published states of a tenant live after its last write. @default 3600000 */
  stateTtlMs?: number | undefined;
  /** Events kept per tenant feed stream (trimmed approximately, `MAXLEN ~`). @default 10000 */
  streamMaxLength?: number | undefined;
  /** Age past which feed stream events are trimmed (exactly, `MINID`). @default 86400000 */
  streamMaxAgeMs?: number | undefined;
  /**
   * How long a tenant's feed is still polled and appended to its stream after the last feed
   * subscriber of a replica left, so a client that reconnects meanwhile resumes from its cursor
   * instead of getting `CURSOR_EXPIRED`. 0 turns it off. @default 300000
   */
  feedLingerMs?: number | undefined;
  /** Told when a role changes, for logging. */
  logger?: FleetLogger | undefined;
}

/** What another replica watches of one tenant, as the holder reads it. */
export interface FleetWatch {
  ids: Set<string>;
  hasFeed: boolean;
}

export interface FleetMemberOptions {
  /** This replica's non-final watched ids and whether it has feed subscribers. */
  localWatch: () => { ids: readonly string[]; hasFeed: boolean };
  /** Called when this replica has just taken the lease. */
  onAcquired: () => void;
}

/** One tenant's membership of the fleet, while this replica has subscribers of it. */
export interface FleetMember {
  role(): FleetRole;
  /** Writes the local registration soon (after a subscriber came or went). */
  touch(): void;
  /** The union of what every live replica watches, this one included. */
  readWatch(): Promise<FleetWatch>;
  /** The last published states of these jobs (all of them when `ids` is undefined). */
  loadStates(ids?: readonly string[]): Promise<Map<string, JobState>>;
  /** Stores states as published (and forgets evicted ids); failures are logged, never thrown. */
  saveStates(states: readonly JobState[], forgotten?: readonly string[]): void;
  /** Releases the lease and the registration. */
  leave(): Promise<void>;
}

export interface Fleet {
  readonly replicaId: string;
  readonly leaseMs: number;
  /** How long a feed lingers after its last subscriber on a replica left (0: never). */
  readonly feedLingerMs: number;
  /** Every tenant's feed as a Redis stream: what was published, to resume from a cursor. */
  readonly feed: FeedStream;
  join(tenantKey: string, options: FleetMemberOptions): FleetMember;
  /** 'connected' while Redis answers; 'degraded' while replicas fall back to polling alone. */
  status(): 'connected' | 'degraded';
  /** Redis commands sent since start (round trips: a pipeline or a script counts once). */
  roundTrips(): number;
  close(): Promise<void>;
}

/**
 * KEYS: watch hash, lease. ARGV: replica, registration ('' when unchanged), registration TTL,
 * token, lease ms, wants the lease ('1'/'0'). Returns {held (0 no, 1 renewed, 2 acquired),
 * registration missing (1: send it again)}.
 */
const HEARTBEAT = redisScript(`${LUA_NOW_MS}
local regTtl = tonumber(ARGV[3])
local missing = 0
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[1], (nowMs + regTtl) .. '|' .. ARGV[2])
else
  local current = redis.call('HGET', KEYS[1], ARGV[1])
  if current then
    local sep = string.find(current, '|', 1, true)
    redis.call('HSET', KEYS[1], ARGV[1], (nowMs + regTtl) .. string.sub(current, sep))
  else
    missing = 1
  end
end
redis.call('PEXPIRE', KEYS[1], regTtl)
local holder = redis.call('GET', KEYS[2])
if holder == ARGV[4] then
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  return {1, missing}
end
if not holder and ARGV[6] == '1' then
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
  return {2, missing}
end
return {0, missing}`);

/** KEYS: watch hash. Returns the live registrations, dropping expired ones. */
const READ_WATCH = redisScript(`${LUA_NOW_MS}
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local value = all[i + 1]
  local sep = string.find(value, '|', 1, true)
  if sep and tonumber(string.sub(value, 1, sep - 1)) >= nowMs then
    live[#live + 1] = string.sub(value, sep + 1)
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return live`);

/** KEYS: watch hash, lease. ARGV: replica, token. */
const LEAVE = redisScript(`redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1`);

function isJobState(value: unknown, id: string): value is JobState {
  if (typeof value !== 'object' || value === null) return false;
  const job: unknown = Reflect.get(value, 'job');
  return (
    typeof Reflect.get(value, 'observedAt') === 'number' &&
    typeof Reflect.get(value, 'isFeedSeen') === 'boolean' &&
    typeof job === 'object' &&
    job !== null &&
    Reflect.get(job, 'id') === id &&
    isSegmentJobStatus(Reflect.get(job, 'status'))
  );
}

function parseRegistration(text: string): { ids: string[]; hasFeed: boolean } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const ids: unknown = Reflect.get(value, 'ids');
    const hasFeed: unknown = Reflect.get(value, 'feed');
    if (!Array.isArray(ids) || typeof hasFeed !== 'boolean') return undefined;
    return { ids: ids.filter((id): id is string => typeof id === 'string'), hasFeed };
  } catch {
    return undefined;
  }
}

const silentLogger: FleetLogger = { debug() {}, warn() {} };

/** Key names of one tenant; the hash tag keeps them in one Redis Cluster slot. */
export function fleetKeys(prefix: string, tenantKey: string) {
  const base = `${prefix}:{${encodeURIComponent(tenantKey)}}`;
  return {
    lease: `${base}:lease`,
    watch: `${base}:watch`,
    state: `${base}:state`,
    events: `${base}:events`,
  };
}

export function createFleet(options: FleetOptions): Fleet {
  const leaseMs = options.leaseMs ?? 5_000;
  const stateTtlMs = options.stateTtlMs ?? 3_600_000;
  const logger = options.logger ?? silentLogger;
  const replicaId = randomUUID();
  // Fail fast while disconnected (no offline queue), and give up on a command before a
  // holder's lease could run out waiting for it: a late answer is as good as none.
  const client = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: Math.max(50, Math.floor(leaseMs / 3)),
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  let isConnected = false;
  client.on('ready', () => {
    isConnected = true;
  });
  client.on('close', () => {
    isConnected = false;
  });
  client.on('error', (error: unknown) => {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'fleet redis connection error; replicas poll for their own subscribers meanwhile',
    );
  });
  const members = new Set<{ leave(): Promise<void> }>();
  const pendingLeaves = new Set<Promise<void>>();
  let trips = 0;
  let isClosed = false;

  /** Waits (a third of a lease at most) for a connection still being made. */
  const untilReady = async (): Promise<void> => {
    if (client.status === 'ready' || client.status === 'end') return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, Math.floor(leaseMs / 3));
      client.once('ready', done);
    });
  };

  const countTrip = (): void => {
    trips += 1;
  };
  const run = (s: RedisScript, keys: readonly string[], args: readonly string[]) =>
    runScript(client, s, keys, args, countTrip);

  const feed = createFeedStream({
    client,
    streamKey: (tenantKey) => fleetKeys(options.keyPrefix, tenantKey).events,
    maxLength: options.streamMaxLength ?? 10_000,
    maxAgeMs: options.streamMaxAgeMs ?? 86_400_000,
    onTrip: countTrip,
    untilReady,
  });

  return {
    replicaId,
    leaseMs,
    feedLingerMs: options.feedLingerMs ?? 300_000,
    feed,
    status: () => (isConnected ? 'connected' : 'degraded'),
    roundTrips: () => trips,
    join(tenantKey, memberOptions) {
      const keys = fleetKeys(options.keyPrefix, tenantKey);
      const token = `${replicaId}:${randomUUID()}`;
      let phase: 'joining' | 'connected' | 'failed' = 'joining';
      let isHeld = false;
      let validUntil = 0;
      let lastSent = '';
      let timer: NodeJS.Timeout | undefined;
      let isBeating = false;
      let wantsBeat = false;
      let hasLeft = false;

      const heartbeat = async (): Promise<void> => {
        if (hasLeft) return;
        if (isBeating) {
          wantsBeat = true;
          return;
        }
        isBeating = true;
        if (phase === 'joining') await untilReady();
        const local = memberOptions.localWatch();
        const registration = JSON.stringify({ ids: local.ids, feed: local.hasFeed });
        const payload = registration === lastSent ? '' : registration;
        const sentAt = performance.now();
        try {
          const reply = await run(
            HEARTBEAT,
            [keys.watch, keys.lease],
            [replicaId, payload, String(leaseMs * 3), token, String(leaseMs), '1'],
          );
          if (hasLeft) return;
          const [held, missing] = Array.isArray(reply) ? reply.map(Number) : [0, 1];
          lastSent = missing === 1 ? '' : registration;
          if (missing === 1) wantsBeat = true;
          const wasHeld = isHeld && phase === 'connected';
          phase = 'connected';
          isHeld = held === 1 || held === 2;
          // Counted from when the renewal was sent: the lease in Redis lives at least that long.
          if (isHeld) validUntil = sentAt + (leaseMs * 2) / 3;
          if (isHeld && !wasHeld) {
            logger.debug({ tenantKey, replicaId }, 'took the polling lease');
            memberOptions.onAcquired();
          }
        } catch (error) {
          if (hasLeft) return;
          if (phase !== 'failed') {
            logger.warn(
              { tenantKey, err: error instanceof Error ? error.message : String(error) },
              'fleet heartbeat failed; polling for local subscribers until redis answers',
            );
          }
          phase = 'failed';
          isHeld = false;
          lastSent = '';
        } finally {
          isBeating = false;
        }
        if (wantsBeat && !hasLeft) {
          wantsBeat = false;
          void heartbeat();
        }
      };

      const beatEvery = Math.max(10, Math.floor(leaseMs / 4));
      const loop = (): void => {
        timer = setTimeout(() => {
          void heartbeat();
          loop();
        }, beatEvery);
        timer.unref();
      };
      let isTouchScheduled = false;
      const member: FleetMember = {
        role() {
          if (phase === 'failed') return 'standalone';
          return isHeld && performance.now() < validUntil ? 'holder' : 'follower';
        },
        touch() {
          if (isTouchScheduled || hasLeft) return;
          isTouchScheduled = true;
          setImmediate(() => {
            isTouchScheduled = false;
            void heartbeat();
          });
        },
        async readWatch() {
          const reply = await run(READ_WATCH, [keys.watch], []);
          const watch: FleetWatch = { ids: new Set(), hasFeed: false };
          for (const text of Array.isArray(reply) ? reply : []) {
            if (typeof text !== 'string') continue;
            const registration = parseRegistration(text);
            if (registration === undefined) continue;
            for (const id of registration.ids) watch.ids.add(id);
            watch.hasFeed ||= registration.hasFeed;
          }
          return watch;
        },
        async loadStates(ids) {
          const states = new Map<string, JobState>();
          trips += 1;
          let entries: [string, string | null][];
          if (ids === undefined) {
            entries = Object.entries(await client.hgetall(keys.state));
          } else {
            if (ids.length === 0) return states;
            const values = await client.hmget(keys.state, ...ids);
            entries = ids.map((id, index) => [id, values[index] ?? null]);
          }
          for (const [id, text] of entries) {
            if (text === null) continue;
            try {
              const value: unknown = JSON.parse(text);
              if (isJobState(value, id)) states.set(id, value);
            } catch {
              // An unreadable entry is as good as none: the job is then seen for the first time.
            }
          }
          return states;
        },
        saveStates(states, forgotten = []) {
          if ((states.length === 0 && forgotten.length === 0) || hasLeft) return;
          trips += 1;
          const pipeline = client.multi();
          if (states.length > 0) {
            pipeline.hset(
              keys.state,
              Object.fromEntries(states.map((state) => [state.job.id, JSON.stringify(state)])),
            );
          }
          if (forgotten.length > 0) pipeline.hdel(keys.state, ...forgotten);
          pipeline.pexpire(keys.state, stateTtlMs);
          pipeline.exec().catch((error: unknown) => {
            logger.warn(
              { tenantKey, err: error instanceof Error ? error.message : String(error) },
              'storing published job states failed; a failover compares against older ones',
            );
          });
        },
        async leave() {
          if (hasLeft) return;
          hasLeft = true;
          members.delete(member);
          if (timer !== undefined) clearTimeout(timer);
          isHeld = false;
          const leaving = run(LEAVE, [keys.watch, keys.lease], [replicaId, token]).then(
            () => undefined,
            () => undefined,
          );
          pendingLeaves.add(leaving);
          await leaving;
          pendingLeaves.delete(leaving);
        },
      };
      members.add(member);
      void heartbeat();
      loop();
      return member;
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await Promise.all([...members].map((member) => member.leave()));
      await Promise.all([...pendingLeaves]);
      await client.quit().catch(() => client.disconnect());
    },
  };
}
