// One orderly stop per process, however many SIGTERM/SIGINT arrive (a signal to the process
// group reaches the process once directly and once more relayed by npm); only the deadline cuts
// the stop short. Used by both entry points; it owns the process's signal handlers and exit.
import type { Logger } from 'pino';

export interface StopOnSignalsOptions {
  /** Stops what the process runs; called once, on the first signal or stopNow(). */
  stop: () => Promise<void>;
  /** After the first signal, how long the stop may take before the process exits with 1. */
  deadlineMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[] | undefined;
}

export interface ProcessStopper {
  readonly isStopping: boolean;
  /** Starts the same stop as a signal (e.g. a crashed part); `exitCode` is the process's. */
  stopNow(reason: string, exitCode?: number): void;
}

/**
 * Once stopped, the process should end by itself; if a handle still holds the event loop this
 * long after, it is ended anyway, with the code it would have had.
 */
const EXIT_AFTER_STOP_MS = 2_000;

export function stopOnSignals(options: StopOnSignalsOptions): ProcessStopper {
  const { logger, deadlineMs } = options;
  let isStopping = false;
  let ignoredSignals = 0;

  function stopNow(reason: string, exitCode = 0): void {
    if (isStopping) return;
    isStopping = true;
    logger.info({ reason, deadlineMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    const exitSoon = () => {
      // Unref'd: it fires only if something still keeps the process alive after the stop.
      setTimeout(() => {
        logger.warn({}, 'still running after the stop; exiting');
        process.exit();
      }, EXIT_AFTER_STOP_MS).unref();
    };
    options.stop().then(
      () => {
        clearTimeout(deadline);
        process.exitCode ??= exitCode;
        logger.info({ exitCode: process.exitCode }, 'stopped');
        exitSoon();
      },
      (error: unknown) => {
        clearTimeout(deadline);
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
        exitSoon();
      },
    );
  }

  for (const signal of options.signals ?? (['SIGTERM', 'SIGINT'] as const)) {
    process.on(signal, () => {
      if (!isStopping) return stopNow(signal);
      ignoredSignals += 1;
      // Repeated signals are expected (group + relay, an impatient Ctrl-C): the drain goes on.
      logger.info({ signal, ignoredSignals }, 'already shutting down; the drain continues');
    });
  }

  return {
    get isStopping() {
      return isStopping;
    },
    stopNow,
  };
}
