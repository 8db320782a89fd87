// How long the watcher waits before polling a failing upstream again. Pure arithmetic: no
// timers, no clock; randomness comes in as a function. Every result fits a Node timer.

/** The longest delay `setTimeout` honours; a longer one fires after 1 ms, a tight loop. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The longest `Retry-After` the watcher obeys: one hour, the largest `UPSTREAM_RETRY_AFTER_MAX_MS`
 * allows. The client caps what it reports at that setting (five minutes by default); this guards
 * against any other source, so a subscription is never frozen for days.
 */
export const RETRY_AFTER_CEILING_MS = 3_600_000;

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
 * never shorter than `baseMs` nor than the upstream's `Retry-After` (itself at most
 * {@link RETRY_AFTER_CEILING_MS}; a negative or unreadable one is ignored).
 */
export function computeBackoffMs(input: BackoffInput): number {
  const exponent = Math.min(Math.max(input.failures, 1), 30);
  const ceilingMs = Math.max(input.baseMs, Math.min(input.maxMs, input.baseMs * 2 ** exponent));
  const draw = input.random();
  const fraction = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0;
  const jitteredMs = ceilingMs / 2 + (fraction * ceilingMs) / 2;
  const waitMs = Math.round(Math.max(input.baseMs, jitteredMs, retryAfterOf(input.retryAfterMs)));
  return clampTimerDelayMs(waitMs, input.baseMs);
}

function retryAfterOf(retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined || Number.isNaN(retryAfterMs) || retryAfterMs <= 0) return 0;
  return Math.min(retryAfterMs, RETRY_AFTER_CEILING_MS);
}

/** A delay a timer can hold: at least `minMs` (and 0), at most {@link MAX_TIMER_DELAY_MS}. */
export function clampTimerDelayMs(delayMs: number, minMs = 0): number {
  const floorMs = Math.max(0, Number.isFinite(minMs) ? minMs : 0);
  if (Number.isNaN(delayMs)) return Math.min(floorMs, MAX_TIMER_DELAY_MS);
  return Math.min(Math.max(delayMs, floorMs), MAX_TIMER_DELAY_MS);
}
