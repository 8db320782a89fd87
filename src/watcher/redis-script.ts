// Lua scripts sent to Redis by their SHA1 (EVALSHA), with the script itself sent only when the
// server does not know it yet. Owns no connection and no key.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RedisScript {
  lua: string;
  sha: string;
}

export function redisScript(lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Lua lines that set `nowMs` from the server's clock (every replica reads the same one). */
export const LUA_NOW_MS = `local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Runs a script; `onTrip` is told of each round trip (two when the server had to be sent the
 * script first).
 */
export async function runScript(
  client: Redis,
  s: RedisScript,
  keys: readonly string[],
  args: readonly string[],
  onTrip: () => void,
): Promise<unknown> {
  onTrip();
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    onTrip();
    return await client.eval(s.lua, keys.length, ...keys, ...args);
  }
}
