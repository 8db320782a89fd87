// When and how long to wait before another attempt of an idempotent upstream call: capped
// exponential backoff with full jitter, and Retry-After. Pure: no timers, no I/O.

/** Statuses worth another attempt: throttling and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export interface BackoffOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  /** A number in [0, 1). */
  random: () => number;
}

/**
 * Full-jitter delay after the failed attempt `failedAttempt` (1 for the first attempt):
 * `random() * min(retryMaxMs, retryBaseMs * 2 ** (failedAttempt - 1))`.
 */
export function backoffDelayMs(failedAttempt: number, options: BackoffOptions): number {
  const capMs = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (failedAttempt - 1));
  return Math.floor(options.random() * capMs);
}

/** `Retry-After` lives in its own module; re-exported for the callers of this one. */
export { parseRetryAfterMs } from './retry-after.ts';

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'attempts-exhausted' | 'retry-after-exceeds-budget' };

export interface RetryContext extends BackoffOptions {
  /** The attempt that just failed, 1-based. */
  failedAttempt: number;
  maxAttempts: number;
  /** From the failed response's `Retry-After`, when it sent one. */
  retryAfterMs?: number | undefined;
}

/**
 * Decides on another attempt. Never earlier than `Retry-After`; gives up when `Retry-After`
 * asks for longer than `retryMaxMs`, since waiting that long inside one call helps nobody.
 */
export function decideRetry(context: RetryContext): RetryDecision {
  if (context.failedAttempt >= context.maxAttempts) {
    return { retry: false, reason: 'attempts-exhausted' };
  }
  const jitteredMs = backoffDelayMs(context.failedAttempt, context);
  if (context.retryAfterMs === undefined) return { retry: true, delayMs: jitteredMs };
  if (context.retryAfterMs > context.retryMaxMs) {
    return { retry: false, reason: 'retry-after-exceeds-budget' };
  }
  return { retry: true, delayMs: Math.max(context.retryAfterMs, jitteredMs) };
}
