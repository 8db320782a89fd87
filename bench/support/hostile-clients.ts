// Clients that misbehave on purpose, for the soak: a graphql-ws socket that reuses one
// subscription id with several messages in one write, and readers that stop reading (WebSocket
// and SSE). Raw `ws` and `fetch`, so nothing smooths over what they send. Loopback only.
import WebSocket from 'ws';
import { delay, waitFor } from './measure.ts';

/** How a hostile round ended, for the soak's table. */
export interface HostileOutcome {
  /** Close code the gateway sent, or undefined when the client left first. */
  closeCode: number | undefined;
  /** Messages (frames) the client sent. */
  messagesSent: number;
}

const PROTOCOL = 'graphql-transport-ws';

function frame(message: Record<string, unknown>): string {
  return JSON.stringify(message);
}

/** Opens a socket and waits for `connection_ack`; rejects on refusal or after `timeoutMs`. */
async function openAcknowledged(
  url: string,
  connectionParams: Record<string, unknown>,
  timeoutMs = 5_000,
): Promise<WebSocket> {
  const socket = new WebSocket(url, PROTOCOL);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`expected connection_ack within ${timeoutMs} ms, but got none`));
    }, timeoutMs);
    socket.once('open', () => {
      socket.send(frame({ type: 'connection_init', payload: connectionParams }));
    });
    socket.on('message', (data) => {
      if (String(data).includes('"connection_ack"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      reject(new Error(`expected connection_ack, but the socket closed ${code} ${String(reason)}`));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return socket;
}

/** Sends `messages` as frames that leave in one TCP write (the socket corked around them). */
function sendInOneWrite(socket: WebSocket, messages: readonly Record<string, unknown>[]): void {
  // `ws` writes each frame to the TCP socket it wraps; corking it gathers them into one write,
  // which is how a client's several messages arrive in one chunk at the server.
  const transport = (socket as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  transport.cork();
  for (const message of messages) socket.send(frame(message));
  transport.uncork();
}

function closeCodeOf(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(1006);
    else socket.once('close', (code) => resolve(code));
  });
}

/**
 * One socket, `rounds` times: `subscribe x`, `complete x`, `subscribe x` in one write, then
 * `complete x`, alternating a job subscription and the tenant feed; then the socket closes
 * (cleanly or by termination). Every stream it started must be released by the gateway.
 */
export async function idReuseRound(options: {
  url: string;
  connectionParams: Record<string, unknown>;
  jobQuery: string;
  jobIds: readonly string[];
  feedQuery: string;
  rounds: number;
  terminate: boolean;
}): Promise<HostileOutcome> {
  const socket = await openAcknowledged(options.url, options.connectionParams);
  let closeCode: number | undefined;
  socket.once('close', (code) => {
    closeCode = code;
  });
  const closed = closeCodeOf(socket);
  let messagesSent = 0;
  for (let round = 0; round < options.rounds && socket.readyState === WebSocket.OPEN; round++) {
    const id = `x${round % 3}`;
    const payload =
      round % 2 === 0
        ? { query: options.jobQuery, variables: { ids: options.jobIds } }
        : { query: options.feedQuery };
    sendInOneWrite(socket, [
      { id, type: 'subscribe', payload },
      { id, type: 'complete' },
      { id, type: 'subscribe', payload },
    ]);
    messagesSent += 3;
    await delay(5);
    if (socket.readyState !== WebSocket.OPEN) break;
    socket.send(frame({ id, type: 'complete' }));
    messagesSent++;
    await delay(5);
  }
  // A close the gateway sent before the client chose to leave is the outcome worth reporting.
  const closedByGateway = closeCode;
  if (closedByGateway === undefined) {
    if (options.terminate) socket.terminate();
    else socket.close(1000);
  }
  await closed;
  return { closeCode: closedByGateway, messagesSent };
}

/**
 * A socket that subscribes, then stops reading for `stallMs` while it keeps sending `ping`s
 * (each of which asks for a `pong` the gateway must not queue without bound). Resolves with the
 * close code once the socket is gone: the gateway's when it closed the stalled client, else the
 * client's own termination (undefined).
 */
export async function stalledWebSocketRound(options: {
  url: string;
  connectionParams: Record<string, unknown>;
  query: string;
  variables: Record<string, unknown>;
  subscriptions: number;
  stallMs: number;
  pingsPerSecond: number;
}): Promise<HostileOutcome> {
  const socket = await openAcknowledged(options.url, options.connectionParams);
  const closed = closeCodeOf(socket);
  let gatewayCode: number | undefined;
  socket.once('close', (code) => {
    gatewayCode = code;
  });
  let messagesSent = 0;
  for (let index = 0; index < options.subscriptions; index++) {
    socket.send(
      frame({
        id: `s${index}`,
        type: 'subscribe',
        payload: { query: options.query, variables: options.variables },
      }),
    );
    messagesSent++;
  }
  const transport = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  transport.pause();
  const deadline = Date.now() + options.stallMs;
  const pingEveryMs = Math.max(1, Math.round(1_000 / options.pingsPerSecond));
  while (Date.now() < deadline && socket.readyState === WebSocket.OPEN) {
    socket.send(frame({ type: 'ping' }));
    messagesSent++;
    await delay(pingEveryMs);
  }
  // Read again so a close frame the gateway sent while the client stalled is seen.
  transport.resume();
  await waitFor(
    () => (socket.readyState === WebSocket.CLOSED || gatewayCode !== undefined ? true : undefined),
    200,
    'the close frame',
    10,
  ).catch(() => undefined);
  const gatewayClosedIt = gatewayCode !== undefined;
  if (!gatewayClosedIt) socket.terminate();
  await closed;
  return { closeCode: gatewayClosedIt ? gatewayCode : undefined, messagesSent };
}

/**
 * An SSE subscriber that reads the response head, then nothing for `stallMs`, then aborts.
 * Resolves true when the gateway ended the stream itself while the client stalled.
 */
export async function stalledSseRound(options: {
  url: string;
  headers: Record<string, string>;
  query: string;
  stallMs: number;
}): Promise<boolean> {
  const controller = new AbortController();
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { ...options.headers, accept: 'text/event-stream' },
      body: JSON.stringify({ query: options.query }),
      signal: controller.signal,
    });
    await delay(options.stallMs);
    // Whatever the gateway sent while the client stalled is in the pipe; an ended stream reads to
    // its end without blocking, a live one is cut short here.
    const reader = response.body?.getReader();
    if (reader === undefined) return false;
    const readAll = (async () => {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return true;
      }
    })();
    const ended = await Promise.race([readAll, delay(1_000).then(() => false)]);
    return ended;
  } catch {
    return false;
  } finally {
    controller.abort();
  }
}
