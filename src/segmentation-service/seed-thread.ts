// Runs the demo seed on a short-lived worker thread of its own, with its own SQLite connection
// (WAL, busy timeout), so the service's thread keeps answering and the seed's garbage (every
// profile state of ten days of history, about 40 MB of RSS) goes away with the thread.
import { Worker } from 'node:worker_threads';
import { workerBootstrap, workerEntry } from './thread.ts';

/** The seed thread's workerData. */
export interface SeedThreadData {
  entry: string;
  tsxApi: string | undefined;
  dataDir: string;
  profileCount: number;
  logLevel: string;
}

/** What the caller posts to the seed thread. */
export type ToSeedThread = { type: 'stop' };
/** What the seed thread posts back before it ends. */
export type FromSeedThread = { type: 'seeded'; isSeeded: boolean };

export interface SeedThreadOptions {
  dataDir: string;
  profileCount: number;
  logLevel: string;
  /** Once aborted, the seed stops between two runs and the thread ends. */
  signal: AbortSignal;
}

/**
 * Seeds the demo tenant on its own thread; resolves with whether it seeded once the thread has
 * ended (its store closed), rejects if the thread fails.
 */
export function seedOnThread(options: SeedThreadOptions): Promise<boolean> {
  const worker = new Worker(workerBootstrap(), {
    eval: true,
    workerData: {
      ...workerEntry('seed-thread-main'),
      dataDir: options.dataDir,
      profileCount: options.profileCount,
      logLevel: options.logLevel,
    } satisfies SeedThreadData,
    name: 'demo-seed',
  });
  const stop = () => worker.postMessage({ type: 'stop' } satisfies ToSeedThread);
  if (options.signal.aborted) stop();
  else options.signal.addEventListener('abort', stop, { once: true });
  let isSeeded: boolean | undefined;
  let failure: Error | undefined;
  worker.on('message', (message: FromSeedThread) => {
    if (message.type === 'seeded') isSeeded = message.isSeeded;
  });
  worker.on('error', (error) => {
    failure = error;
  });
  return new Promise<boolean>((resolve, reject) => {
    worker.once('exit', (code) => {
      options.signal.removeEventListener('abort', stop);
      if (isSeeded !== undefined && code === 0) resolve(isSeeded);
      else {
        reject(
          new Error(
            `expected the demo seed thread to end with its outcome, but it ended with exit code ${code}`,
            { cause: failure },
          ),
        );
      }
    });
  });
}
