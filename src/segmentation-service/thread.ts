// Runs the embedded Segmentation Service on its own worker thread, so nothing it does can hold the
// caller's event loop; the caller speaks HTTP to it like to Adobe. This module imports none of
// the service's code: the worker entry (thread-main.ts) loads it inside the thread.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EmulatorConfig } from '../config/index.ts';

/** The thread's workerData. */
export interface ServiceThreadData {
  config: EmulatorConfig;
  /** URL of the worker entry module. */
  entry: string;
  /** URL of tsx's ESM API when the entry is TypeScript source, to be registered first. */
  tsxApi: string | undefined;
}

/** What the caller's side posts to the thread. */
export type ToServiceThread = { type: 'stop' };

/** What the thread posts back. */
export type FromServiceThread =
  | { type: 'listening'; baseUrl: string; profilesUrl: string; port: number }
  | { type: 'stopped' };

export interface ServiceThreadOptions {
  /** How long stop() waits for the thread to close its server and SQLite. @default 10_000 */
  stopTimeoutMs?: number | undefined;
}

export interface ServiceThread {
  /** Base URL of the REST API, ending in `/data/core/ups`. */
  readonly baseUrl: string;
  /** URL of `POST /emulator/profiles`. */
  readonly profilesUrl: string;
  readonly port: number;
  /**
   * Resolves with what went wrong if the thread ends without being asked to (an uncaught error,
   * a failed stop inside it); never resolves once stop() was called.
   */
  readonly crashed: Promise<Error>;
  /** Asks the service to stop (sockets, runner, SQLite) and waits for the thread to end. */
  stop(): Promise<void>;
}

/** The worker entry beside this module, with this module's extension (.ts under tsx, .js built). */
export function serviceThreadEntry(name = 'thread-main'): URL {
  const extension = extname(fileURLToPath(import.meta.url));
  return new URL(`./${name}${extension}`, import.meta.url);
}

/**
 * The thread's bootstrap, evaluated as a script. A worker inherits execArgv, tsx's loader
 * included, but on Node 20 that loader registers its hooks on the main thread only: a
 * TypeScript entry would fail with "Unknown file extension .ts". So the bootstrap registers tsx
 * in the thread itself when (and only when) the entry is TypeScript; built to .js, tsx is not
 * involved at all.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi !== undefined) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})().catch((error) => {
  setImmediate(() => {
    throw error;
  });
});
`;

/** The bootstrap above, for another worker entry of this service (the demo seed's thread). */
export function workerBootstrap(): string {
  return BOOTSTRAP;
}

/** The workerData fields the bootstrap reads, for the entry module `name` beside this one. */
export function workerEntry(name: string): { entry: string; tsxApi: string | undefined } {
  const entry = serviceThreadEntry(name);
  const isTypeScript = entry.pathname.endsWith('.ts');
  return {
    entry: entry.href,
    tsxApi: isTypeScript ? import.meta.resolve('tsx/esm/api') : undefined,
  };
}

function threadData(config: EmulatorConfig): ServiceThreadData {
  return { config, ...workerEntry('thread-main') };
}

function describeExit(code: number, error: Error | undefined): string {
  return error === undefined ? `exit code ${code}` : `exit code ${code}: ${error.message}`;
}

/**
 * Starts the thread and resolves once the service listens; rejects if the thread fails or ends
 * before that.
 */
export function startServiceThread(
  config: EmulatorConfig,
  options: ServiceThreadOptions = {},
): Promise<ServiceThread> {
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: threadData(config),
    name: 'segmentation-service',
  });
  let lastError: Error | undefined;
  let isStopping = false;
  let reportCrash: (error: Error) => void = () => {};
  const crashed = new Promise<Error>((resolve) => {
    reportCrash = resolve;
  });
  const exited = new Promise<number>((resolve) => {
    worker.once('exit', resolve);
  });
  worker.on('error', (error) => {
    lastError = error;
  });

  async function stop(): Promise<void> {
    if (isStopping) {
      await exited;
      return;
    }
    isStopping = true;
    worker.postMessage({ type: 'stop' } satisfies ToServiceThread);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
    });
    const outcome = await Promise.race([exited, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      await worker.terminate();
      throw new Error(
        `expected the Segmentation Service thread to stop within ${stopTimeoutMs} ms, but it was still running; terminated it`,
      );
    }
    if (outcome !== 0) {
      throw new Error(
        `expected the Segmentation Service thread to stop cleanly, but it ended with ${describeExit(outcome, lastError)}`,
      );
    }
  }

  return new Promise<ServiceThread>((resolve, reject) => {
    let isListening = false;
    worker.on('message', (message: FromServiceThread) => {
      if (message.type !== 'listening' || isListening) return;
      isListening = true;
      const { baseUrl, profilesUrl, port } = message;
      resolve({ baseUrl, profilesUrl, port, crashed, stop });
    });
    void exited.then((code) => {
      const error = new Error(
        `expected the Segmentation Service thread to keep running, but it ended with ${describeExit(code, lastError)}`,
        { cause: lastError },
      );
      if (!isListening) reject(error);
      else if (!isStopping) reportCrash(error);
    });
  });
}
