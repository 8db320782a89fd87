// Each tenant's feed as a Redis stream: what was published on the feed topic, in publish order,
// bounded in length and age, read back after a cursor. Owns the stream's commands and entry
// format; it decides nothing about expiry (`feed-replay.ts`) and delivers nothing.
import type { Redis } from 'ioredis';
import { isJobStatusEvent, type JobStatusEvent } from '../pubsub/index.ts';
import type { StreamWindow } from './feed-replay.ts';
import { LUA_NOW_MS, redisScript, runScript } from './redis-script.ts';

/** What is appended: an event as published, or a gap (changes the feed may have missed). */
export type FeedAppend = { kind: 'event'; event: JobStatusEvent } | { kind: 'gap' };

/** One entry read back, with its stream id. An unreadable entry reads as a gap. */
export type FeedRecord =
  | { id: string; kind: 'event'; event: JobStatusEvent }
  | { id: string; kind: 'gap' };

export interface FeedPage {
  /** The stream's bounds when it was read; undefined when the stream does not exist. */
  window: StreamWindow | undefined;
  /** Entries after the id asked for, oldest first. */
  records: FeedRecord[];
}

export interface FeedStream {
  readonly maxLength: number;
  readonly maxAgeMs: number;
  /** Appends in order, in one round trip; resolves with the stream id of each entry. */
  append(tenantKey: string, entries: readonly FeedAppend[]): Promise<string[]>;
  /** Up to `count` entries after `afterId`, with the stream's bounds, read atomically. */
  read(tenantKey: string, afterId: string, count: number): Promise<FeedPage>;
}

export interface FeedStreamOptions {
  client: Redis;
  streamKey: (tenantKey: string) => string;
  maxLength: number;
  maxAgeMs: number;
  onTrip: () => void;
  /** Resolves once the connection is up, or soon (commands fail fast while it is down). */
  untilReady: () => Promise<void>;
}

/**
 * KEYS: stream. ARGV: max length, max age ms, then one argument per entry ('' for a gap, else
 * the event's JSON). A stream begins with a gap, so a cursor older than the stream reads as
 * expired. Length is trimmed approximately on each XADD (whole nodes, cheap); age exactly, by
 * MINID on the server's clock; an idle stream expires once its newest entry is too old.
 */
const APPEND = redisScript(`${LUA_NOW_MS}
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('XADD', KEYS[1], '*', 'gap', 'start')
end
local ids = {}
for i = 3, #ARGV do
  if ARGV[i] == '' then
    ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'gap', 'lost')
  else
    ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[i])
  end
end
redis.call('XTRIM', KEYS[1], 'MINID', (nowMs - tonumber(ARGV[2])) .. '-0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return ids`);

/**
 * KEYS: stream. ARGV: after id, count. Returns {} when the stream does not exist, else
 * {first entry id ('' when empty), last generated id, entries after the id}.
 */
const READ = redisScript(`if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local first, last = '', ''
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = info[i + 1] end
  if info[i] == 'first-entry' and type(info[i + 1]) == 'table' then first = info[i + 1][1] end
end
return {first, last, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}`);

function recordOf(raw: unknown): FeedRecord | undefined {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') return undefined;
  const id = raw[0];
  const fields: unknown = raw[1];
  if (!Array.isArray(fields) || fields[0] !== 'event' || typeof fields[1] !== 'string') {
    return { id, kind: 'gap' };
  }
  try {
    const event: unknown = JSON.parse(fields[1]);
    return isJobStatusEvent(event) ? { id, kind: 'event', event } : { id, kind: 'gap' };
  } catch {
    return { id, kind: 'gap' };
  }
}

export function createFeedStream(options: FeedStreamOptions): FeedStream {
  const { client, onTrip } = options;
  return {
    maxLength: options.maxLength,
    maxAgeMs: options.maxAgeMs,
    async append(tenantKey, entries) {
      if (entries.length === 0) return [];
      const args = entries.map((entry) => {
        if (entry.kind === 'gap') return '';
        // The stream id is the entry's key: the stored event does not carry one.
        const { streamId: _, ...stored } = entry.event;
        return JSON.stringify(stored);
      });
      await options.untilReady();
      const reply = await runScript(
        client,
        APPEND,
        [options.streamKey(tenantKey)],
        [String(options.maxLength), String(options.maxAgeMs), ...args],
        onTrip,
      );
      if (!Array.isArray(reply) || reply.length !== entries.length) {
        throw new Error(`expected ${entries.length} stream ids from XADD, but got another reply`);
      }
      return reply.map(String);
    },
    async read(tenantKey, afterId, count) {
      await options.untilReady();
      const reply = await runScript(
        client,
        READ,
        [options.streamKey(tenantKey)],
        [afterId, String(count)],
        onTrip,
      );
      if (!Array.isArray(reply) || reply.length === 0) return { window: undefined, records: [] };
      const [first, last, entries] = reply as unknown[];
      const records: FeedRecord[] = [];
      for (const raw of Array.isArray(entries) ? entries : []) {
        const record = recordOf(raw);
        if (record !== undefined) records.push(record);
      }
      return {
        window: {
          firstId: typeof first === 'string' && first !== '' ? first : undefined,
          lastGeneratedId: typeof last === 'string' ? last : '0-0',
        },
        records,
      };
    },
  };
}
