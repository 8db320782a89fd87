// The `/metrics` listener: Prometheus text on a port of its own (METRICS_PORT, loopback by
// default), apart from the public GraphQL port. It serves scrapes and nothing else; what a scrape
// holds is the metrics module's business.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const METRICS_PATH = '/metrics';

export interface MetricsSource {
  scrape(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  /** Listens; resolves with the scrape URL, e.g. `http://127.0.0.1:9464/metrics`. */
  start(port: number, host: string): Promise<string>;
  stop(): Promise<void>;
}

export function createMetricsServer(source: MetricsSource): MetricsServer {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`expected GET ${METRICS_PATH}\n`);
      return;
    }
    source.scrape().then(
      (text) => {
        response.writeHead(200, {
          'content-type': source.contentType,
          'cache-control': 'no-store',
        });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('metrics collection failed\n');
      },
    );
  });
  // A scraper keeps its connection alive between scrapes; stopping must not wait for it.
  server.keepAliveTimeout = 5_000;
  return {
    start(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          reject(
            error.code === 'EADDRINUSE'
              ? new Error(
                  `port ${port} on ${host} is in use: set METRICS_PORT to a free port (or off)`,
                  { cause: error },
                )
              : error,
          );
        };
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${urlHost}:${address.port}${METRICS_PATH}`);
        });
      });
    },
    stop() {
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
