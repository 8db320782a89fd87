// How long the watcher waits before polling a failing upstream again. Pure arithmetic: no
// timers, no clock; randomness comes in as a function.

export interface BackoffInput {
  /** Consecutive failed polls, 1 for the first failure. */
  failures: number;
  /** The normal poll interval, also the smallest wait. */
  baseMs: number;
  /** The cap of the exponential part. */
  maxMs: number;
  /** Returns a number in [0, 1). */
  random: () => number;
  /** The upstream's `Retry-After`, in milliseconds, when it sent one. */
  retryAfterMs?: number | undefined;
}

/**
 * Capped exponential backoff with jitter: `base × 2^failures`, capped at `maxMs`, then a
 * random point in its upper half (so waits grow but replicas and tenants do not poll in step),
 * never shorter than `baseMs` nor than the upstream's `Retry-After`.
 */
export function computeBackoffMs(input: BackoffInput): number {
  const exponent = Math.min(Math.max(input.failures, 1), 30);
  const ceilingMs = Math.max(input.baseMs, Math.min(input.maxMs, input.baseMs * 2 ** exponent));
  const jitteredMs = ceilingMs / 2 + (input.random() * ceilingMs) / 2;
  return Math.round(Math.max(input.baseMs, jitteredMs, input.retryAfterMs ?? 0));
}
