// The node:http transport of the embedded service: request ids, credentials, bounded JSON
// bodies, dispatch through the router, and every failure turned into a documented error body.
// close() lets requests in flight finish (for at most `drainTimeoutMs`) and ends idle keep-alive
// sockets so a stop really stops; no API logic lives here.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readCredentials } from './credentials.ts';
import type { Router, ServiceResponse } from './router.ts';
import {
  GatewayError,
  gatewayErrorBody,
  ServiceError,
  serviceErrorBody,
} from './service-errors.ts';
import type { ServiceLogger } from './service-logger.ts';

export interface HttpServerOptions {
  router: Router;
  logger: ServiceLogger;
  /** Body limit of routes that set none. @default 10 MiB */
  maxBodyBytes?: number;
  /** How long close() waits for requests in flight before cutting them. @default 5000 */
  drainTimeoutMs?: number;
}

export interface HttpServer {
  /** Listens and resolves with the bound port (port 0 picks a free one). */
  listen(port: number, host: string): Promise<number>;
  /**
   * Stops accepting, lets the requests in flight finish (each answered with `connection:
   * close`), closes idle sockets, and cuts what is left after `drainTimeoutMs`.
   */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;
const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers['x-request-id'];
  const value = Array.isArray(sent) ? sent[0] : sent;
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}

function tooLarge(limitBytes: number): ServiceError {
  return new ServiceError(
    413,
    `expected a request body of at most ${limitBytes} bytes, but got more`,
  );
}

/** Declared bodies from this size on are copied into one buffer as they arrive. */
const PREALLOCATE_FROM_BYTES = 1024 * 1024;

/**
 * Reads the body up to `limitBytes`; the rest is left for node:http to discard. The bytes stay
 * bytes: a large body is never decoded into one string (at 50 MB that alone held the loop ~50 ms).
 * A large body with a Content-Length is copied chunk by chunk into a buffer of that size, so no
 * single turn concatenates (and first touches) tens of megabytes at its end.
 */
function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      reject(tooLarge(limitBytes));
      return;
    }
    let filled =
      Number.isSafeInteger(declared) && declared >= PREALLOCATE_FROM_BYTES
        ? Buffer.allocUnsafe(declared)
        : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let isDone = false;
    const fail = (error: Error) => {
      if (isDone) return;
      isDone = true;
      chunks.length = 0;
      filled = undefined;
      reject(error);
    };
    request.on('data', (chunk: Buffer) => {
      if (isDone) return;
      if (size + chunk.length > limitBytes) return fail(tooLarge(limitBytes));
      if (filled !== undefined && size + chunk.length <= filled.length) chunk.copy(filled, size);
      else {
        // More than declared (node:http does not let that happen): keep the chunks instead.
        if (filled !== undefined) chunks.push(filled.subarray(0, size));
        filled = undefined;
        chunks.push(chunk);
      }
      size += chunk.length;
    });
    request.on('end', () => {
      if (isDone) return;
      isDone = true;
      resolve(filled === undefined ? Buffer.concat(chunks, size) : filled.subarray(0, size));
    });
    request.on('error', fail);
    request.on('close', () => fail(new Error('the client closed the request before its end')));
  });
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw new ServiceError(400, 'expected a JSON body, but the body is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ServiceError(400, `expected a JSON body, but it does not parse: ${reason}`);
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  if (status === 204 || body === undefined) {
    response.writeHead(status);
    response.end();
    return;
  }
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { router, logger } = options;
  const defaultMaxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  let isClosing = false;

  async function dispatch(request: IncomingMessage, requestId: string): Promise<ServiceResponse> {
    const method = request.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      throw new ServiceError(400, `expected a request path, but got "${request.url ?? ''}"`);
    }
    const match = router.match(method, url.pathname);
    if (match.kind === 'not-found') {
      throw new ServiceError(404, `expected a known API path, but got ${method} ${url.pathname}`);
    }
    if (match.kind === 'method-not-allowed') {
      throw new ServiceError(
        405,
        `expected ${match.allow.join(' or ')} for ${url.pathname}, but got ${method}`,
        { headers: { allow: match.allow.join(', ') } },
      );
    }
    const scope = readCredentials(request.headers);
    const { route, params } = match;
    let body: unknown;
    if (route.hasBody) {
      const limitBytes = route.maxBodyBytes ?? defaultMaxBodyBytes;
      const bytes = await readBody(request, limitBytes);
      body = route.bodyFormat === 'bytes' ? bytes : parseJson(bytes);
    }
    return route.handler({ scope, requestId, params, query: url.searchParams, body });
  }

  /** Once closing, a socket ends with the response it carries (`connection: close`). */
  function endSocketIfClosing(response: ServerResponse): void {
    if (isClosing) response.shouldKeepAlive = false;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = requestIdOf(request);
    response.setHeader('x-request-id', requestId);
    try {
      const result = await dispatch(request, requestId);
      endSocketIfClosing(response);
      send(response, result.status, result.body, result.headers);
    } catch (error) {
      endSocketIfClosing(response);
      if (error instanceof ServiceError) {
        send(response, error.status, serviceErrorBody(error, requestId), error.headers);
      } else if (error instanceof GatewayError) {
        send(response, error.status, gatewayErrorBody(error));
      } else {
        logger.error({ err: error, requestId, url: request.url }, 'request failed');
        const internal = new ServiceError(500, 'the service failed to handle the request');
        send(response, 500, serviceErrorBody(internal, requestId));
      }
    }
  }

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });

  function listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  function close(): Promise<void> {
    return new Promise((resolve) => {
      if (!server.listening) return resolve();
      isClosing = true;
      const deadline = setTimeout(() => {
        logger.warn({ drainTimeoutMs }, 'requests still in flight at the drain deadline: cut');
        server.closeAllConnections();
      }, drainTimeoutMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      // Keep-alive clients would otherwise hold the server open until they time out.
      server.closeIdleConnections();
    });
  }

  return { listen, close };
}
