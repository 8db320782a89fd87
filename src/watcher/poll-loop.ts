// The poll loop of one tenant: when to tick, one tick at a time, and backoff after failures.
// It knows no jobs: the tick's work, whether there is any, and what a failure means come in.
import { clampTimerDelayMs, computeBackoffMs } from './backoff.ts';

export interface PollLoopOptions {
  intervalMs: number;
  backoffMaxMs: number;
  random: () => number;
  /** Whether a tick would do anything; without work the loop sleeps until `ensure()`. */
  hasWork: () => boolean;
  /** One tick's work; a rejection counts as a failure. */
  poll: () => Promise<void>;
  /** 'stop' ends the loop's interest in the failure (the owner disposes); 'retry' backs off. */
  onFailure: (error: unknown) => 'stop' | 'retry';
  /** The upstream's `Retry-After` carried by a failure, in milliseconds. */
  retryAfterMsOf: (error: unknown) => number | undefined;
  /** Told of every retry, for logging. */
  onRetry: (retry: { error: unknown; failures: number; delayMs: number }) => void;
}

export interface PollLoop {
  /** Schedules a tick after the interval unless one is due or running. */
  ensure(): void;
  /** Ticks at once, or right after the running tick. */
  now(): void;
  /** Clears the timer and the failure count when there is nothing to do. */
  sleepIfIdle(): void;
  /** Stops for good. */
  stop(): void;
  readonly failures: number;
  /** True while a timer is set or a tick is running. */
  readonly isActive: boolean;
}

export function createPollLoop(options: PollLoopOptions): PollLoop {
  let timer: NodeJS.Timeout | undefined;
  let isTicking = false;
  let wantsTickAgain = false;
  let failures = 0;
  let isStopped = false;

  const clearTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const schedule = (delayMs: number): void => {
    clearTimer();
    // Never below the poll interval, never above what a timer holds (a longer one fires at once).
    timer = setTimeout(
      () => {
        timer = undefined;
        void tick();
      },
      clampTimerDelayMs(delayMs, options.intervalMs),
    );
  };

  const tick = async (): Promise<void> => {
    if (isStopped) return;
    if (isTicking) {
      wantsTickAgain = true;
      return;
    }
    if (!options.hasWork()) {
      failures = 0;
      return;
    }
    isTicking = true;
    wantsTickAgain = false;
    let delayMs = options.intervalMs;
    try {
      await options.poll();
      failures = 0;
    } catch (error) {
      if (!isStopped && options.onFailure(error) === 'retry') {
        failures += 1;
        delayMs = computeBackoffMs({
          failures,
          baseMs: options.intervalMs,
          maxMs: options.backoffMaxMs,
          random: options.random,
          retryAfterMs: options.retryAfterMsOf(error),
        });
        options.onRetry({ error, failures, delayMs });
      }
    } finally {
      isTicking = false;
    }
    if (isStopped) return;
    if (wantsTickAgain && failures === 0) {
      wantsTickAgain = false;
      void tick();
      return;
    }
    wantsTickAgain = false;
    if (options.hasWork()) schedule(delayMs);
    else failures = 0;
  };

  return {
    ensure() {
      if (timer === undefined && !isTicking && !isStopped && options.hasWork()) {
        schedule(options.intervalMs);
      }
    },
    now() {
      if (isStopped) return;
      if (isTicking) {
        wantsTickAgain = true;
        return;
      }
      clearTimer();
      void tick();
    },
    sleepIfIdle() {
      if (options.hasWork()) return;
      clearTimer();
      failures = 0;
    },
    stop() {
      isStopped = true;
      clearTimer();
    },
    get failures() {
      return failures;
    },
    get isActive() {
      return timer !== undefined || isTicking;
    },
  };
}
