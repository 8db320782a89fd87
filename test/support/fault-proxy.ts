// An HTTP proxy on port 0 in front of a real upstream, switched at will between forwarding and
// an outage (503, a hang, a dropped connection), for the requests a matcher picks. It records
// every request and what it did with it; it changes nothing it forwards.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does with a request: forward it, or fail in one of three ways. */
export type Fault = 'none' | 'unavailable' | 'hang' | 'reset';

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  /** Path below the target's base path (e.g. `/segment/jobs/bulk-get`), without query. */
  path: string;
  /** What the proxy did with it. */
  fault: Fault;
}

export interface FaultProxy {
  /** The target's base URL with the proxy's origin (e.g. `http://127.0.0.1:1234/data/core/ups`). */
  readonly baseUrl: string;
  /** Every request since start, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /**
   * From now on, requests `matches` picks (default: all) get `fault`; the others are forwarded.
   * `'none'` forwards everything again.
   */
  setFault(fault: Fault, matches?: (request: { method: string; path: string }) => boolean): void;
  /** Requests so far that `predicate` picks. */
  count(predicate: (request: ProxiedRequest) => boolean): number;
  /** Resolves once `predicate()` holds; checked on every request; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy forwarding to `targetBaseUrl` (its path becomes the proxy's base path). */
export async function startFaultProxy(targetBaseUrl: string): Promise<FaultProxy> {
  const target = new URL(targetBaseUrl);
  const basePath = target.pathname.replace(/\/$/, '');
  const requests: ProxiedRequest[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  let fault: Fault = 'none';
  let matches: (request: { method: string; path: string }) => boolean = () => true;

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };

  const server = createServer((incoming, outgoing) => {
    const method = incoming.method ?? 'GET';
    const fullPath = (incoming.url ?? '/').split('?', 1)[0] ?? '/';
    const path = fullPath.startsWith(basePath) ? fullPath.slice(basePath.length) : fullPath;
    const applied: Fault = fault !== 'none' && matches({ method, path }) ? fault : 'none';
    requests.push({ method, path, fault: applied });
    for (const wake of [...waiters]) wake();
    if (applied === 'none') return forward(incoming, outgoing);
    // Faults do not read the body: the answer (or its absence) is all that matters.
    incoming.resume();
    if (applied === 'reset') return void incoming.socket.destroy();
    if (applied === 'hang') return;
    const body = JSON.stringify({
      type: 'http://ns.adobe.com/aep/errors/service-unavailable',
      title: 'Service Unavailable',
      status: 503,
    });
    outgoing.writeHead(503, { 'content-type': 'application/problem+json' });
    outgoing.end(body);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    requests,
    setFault(next, picks = () => true) {
      fault = next;
      matches = picks;
    },
    count: (predicate) => requests.filter(predicate).length,
    waitFor(predicate, what, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${what} within ${timeoutMs} ms, but it did not happen`));
        }, timeoutMs);
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
