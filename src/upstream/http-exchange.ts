// The I/O edge of the upstream client: one HTTP attempt over a keep-alive undici pool, under the
// attempt timeout and the caller's abort signal, read into an outcome. Never throws, never retries.
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { type AttemptOutcome, declaredLength, networkOutcome } from './attempt-outcome.ts';
import { MAX_TIMER_DELAY_MS } from './retry-after.ts';
import { createTenantLimiter } from './tenant-limiter.ts';

export interface HttpExchangeOptions {
  /** Origin of the upstream, e.g. `https://platform.adobe.io`. */
  origin: string;
  /** Path prefix before `/segment/jobs`, without a trailing slash. */
  basePath: string;
  /** Per attempt, from sending the request to reading the whole body. */
  timeoutMs: number;
  /** Keep-alive connections to the origin. */
  connections: number;
  /** Largest body read, counted while reading; a larger one is cut off. */
  maxBodyBytes: number;
  /** Attempts of one tenant in flight at once; the rest wait in its queue. */
  maxConcurrencyPerTenant: number;
  /** Attempts of one tenant waiting for a slot; beyond it an attempt is refused unsent. */
  maxQueuedPerTenant: number;
}

export interface ExchangeRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Below the base path, with its query. */
  pathWithQuery: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal | undefined;
  /** The tenant key whose slots the attempt takes; undefined: none (the readiness ping). */
  limitKey: string | undefined;
}

export interface HttpExchange {
  exchange(request: ExchangeRequest): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

export function createHttpExchange(options: HttpExchangeOptions): HttpExchange {
  const { timeoutMs, basePath, maxBodyBytes } = options;
  const limiter = createTenantLimiter({
    maxConcurrent: options.maxConcurrencyPerTenant,
    maxQueued: options.maxQueuedPerTenant,
  });
  const pool = new Pool(options.origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    connect: { timeout: timeoutMs },
  });

  /**
   * One attempt under one deadline of `timeoutMs`, from queueing for a slot to the last byte of
   * the body: undici's `bodyTimeout` only bounds the silence between two chunks, which a body
   * dripping a byte at a time never breaks, while aborting the signal destroys the body too.
   */
  async function exchange(request: ExchangeRequest): Promise<AttemptOutcome> {
    const { signal } = request;
    const controller = new AbortController();
    let isTimedOut = false;
    const timer = setTimeout(() => {
      isTimedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort();
    // A signal that aborted before this attempt (during a credential lookup) fires no event.
    if (isAborted(signal)) controller.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    let release: (() => void) | undefined;
    try {
      if (request.limitKey !== undefined) {
        const slot = await limiter.acquire(request.limitKey, controller.signal);
        if (!slot.ok) {
          if (slot.reason === 'queue-full') {
            return {
              kind: 'queue-full',
              active: slot.active,
              queued: slot.queued,
              maxConcurrent: options.maxConcurrencyPerTenant,
              maxQueued: options.maxQueuedPerTenant,
            };
          }
          if (isTimedOut) {
            return { kind: 'queue-timeout', maxConcurrent: options.maxConcurrencyPerTenant };
          }
          return { kind: 'aborted' };
        }
        release = slot.release;
      }
      const response = await pool.request({
        path: `${basePath}${request.pathWithQuery}`,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        signal: controller.signal,
      });
      const status = response.statusCode;
      const { headers } = response;
      const declaredBytes = declaredLength(headers);
      if (declaredBytes !== undefined && declaredBytes > maxBodyBytes) {
        // Refused before reading a byte: destroying the body closes the connection.
        response.body.destroy();
        return { kind: 'too-large', status, headers, limitBytes: maxBodyBytes, declaredBytes };
      }
      const text = await readCapped(response.body, maxBodyBytes);
      if (text === undefined) {
        return {
          kind: 'too-large',
          status,
          headers,
          limitBytes: maxBodyBytes,
          declaredBytes: undefined,
        };
      }
      return { kind: 'response', status, headers, text };
    } catch (error) {
      if (isTimedOut) return { kind: 'timeout' };
      if (isAborted(signal)) return { kind: 'aborted' };
      return networkOutcome(error);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
      // After the body is read or destroyed: the connection is free again.
      release?.();
    }
  }

  return {
    exchange,
    close: async () => {
      await pool.close();
    },
  };
}

// Stateless between calls (no `stream` option), so one serves every body.
const utf8 = new TextDecoder();

/**
 * Reads a body as UTF-8 (a leading BOM dropped, as undici's `text()` does), counting bytes as
 * they arrive; undefined, with the stream destroyed, as soon as the count passes `maxBytes`.
 */
async function readCapped(body: Readable, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    received += buffer.length;
    if (received > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(buffer);
  }
  // A page from a nearby upstream mostly arrives in one chunk: decoded where it is, not copied.
  return utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
}

// A function, not a property read, so that TypeScript does not keep a narrowing across awaits.
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Waits `ms` (at most what a timer holds), or less when `signal` aborts. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (isAborted(signal) || !(ms > 0)) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.min(ms, MAX_TIMER_DELAY_MS));
    signal?.addEventListener('abort', done, { once: true });
  });
}
