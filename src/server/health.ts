// Liveness and readiness over plain node:http: /healthz answers while the process runs;
// /readyz answers 200 only when the upstream answers HTTP and the gateway is not stopping.
// No GraphQL, no credentials.
import type { ServerResponse } from 'node:http';
import type { UpstreamClient } from '../upstream/types.ts';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

/** 200 `{status: "ok"}`, always. */
export function answerHealth(response: ServerResponse): void {
  sendJson(response, 200, { status: 'ok' });
}

/**
 * 200 `{status: "ready"}` when `upstream.ping()` succeeds within `timeoutMs`; otherwise 503 with
 * `{status: "unavailable", reason, code}` saying why. With Redis configured, `redis` says
 * `connected` or `degraded`: without Redis each replica polls for its own subscribers, so
 * the gateway still serves and stays ready.
 */
export async function answerReady(
  response: ServerResponse,
  upstream: Pick<UpstreamClient, 'ping'>,
  timeoutMs: number,
  redis?: 'connected' | 'degraded' | undefined,
): Promise<void> {
  try {
    await upstream.ping({ signal: AbortSignal.timeout(timeoutMs) });
    sendJson(response, 200, {
      status: 'ready',
      upstream: 'reachable',
      ...(redis === undefined ? {} : { redis }),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'the upstream did not answer';
    const code =
      typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      typeof error.code === 'string'
        ? error.code
        : 'UPSTREAM_UNAVAILABLE';
    sendJson(response, 503, {
      status: 'unavailable',
      reason: `expected the Segmentation Service to answer, but: ${reason}`,
      code,
    });
  }
}

/** 503 `{status: "stopping"}`: the process is shutting down and takes no new work. */
export function answerStopping(response: ServerResponse): void {
  sendJson(response, 503, {
    status: 'stopping',
    reason: 'expected to be serving, but the gateway is shutting down',
    code: 'SHUTTING_DOWN',
  });
}

export { sendJson };
