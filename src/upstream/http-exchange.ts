// The I/O edge of the upstream client: one HTTP attempt over a keep-alive undici pool, under the
// attempt timeout and the caller's abort signal, read into an outcome. Never throws, never retries.
import { Pool } from 'undici';
import { type AttemptOutcome, networkOutcome } from './attempt-outcome.ts';

export interface HttpExchangeOptions {
  /** Origin of the upstream, e.g. `https://platform.adobe.io`. */
  origin: string;
  /** Path prefix before `/segment/jobs`, without a trailing slash. */
  basePath: string;
  /** Per attempt, from sending the request to reading the whole body. */
  timeoutMs: number;
  /** Keep-alive connections to the origin. */
  connections: number;
}

export interface ExchangeRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Below the base path, with its query. */
  pathWithQuery: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal | undefined;
}

export interface HttpExchange {
  exchange(request: ExchangeRequest): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

export function createHttpExchange(options: HttpExchangeOptions): HttpExchange {
  const { timeoutMs, basePath } = options;
  const pool = new Pool(options.origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    connect: { timeout: timeoutMs },
  });

  async function exchange(request: ExchangeRequest): Promise<AttemptOutcome> {
    const { signal } = request;
    const controller = new AbortController();
    let isTimedOut = false;
    const timer = setTimeout(() => {
      isTimedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await pool.request({
        path: `${basePath}${request.pathWithQuery}`,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        signal: controller.signal,
      });
      const text = await response.body.text();
      return { kind: 'response', status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      if (isTimedOut) return { kind: 'timeout' };
      if (isAborted(signal)) return { kind: 'aborted' };
      return networkOutcome(error);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    exchange,
    close: async () => {
      await pool.close();
    },
  };
}

// A function, not a property read, so that TypeScript does not keep a narrowing across awaits.
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Waits `ms`, or less when `signal` aborts. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (isAborted(signal) || ms <= 0) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
