// Binds graphql-ws's protocol core to one `ws` socket, in place of graphql-ws's own `ws` adapter:
// it bounds what the client may send (messages per second) and leave unread (buffered bytes),
// answers pings without queueing pongs, and owns the lifetime of the socket's operations.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode, MessageType, type Server, stringifyMessage } from 'graphql-ws';
import type WebSocket from 'ws';
import type { FrameSocket } from './websocket-fan-out.ts';
import {
  createTokenBucket,
  fitsBuffer,
  SLOW_CONSUMER,
  slowConsumerReason,
  TOO_MANY_MESSAGES,
  tooManyMessagesReason,
} from './websocket-limits.ts';
import type { MessageTurns } from './websocket-message-turns.ts';
import { createSocketOperations, type SocketOperations } from './websocket-operations.ts';

/** What graphql-ws hands its hooks as `ctx.extra`. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** The operations started on the socket: their count and their streams' lifetime. */
  readonly operations: SocketOperations;
  /** Sends a frame within the socket's buffer limit (for the fan-out's `next` frames). */
  readonly frames: FrameSocket;
  /** The TCP socket under the WebSocket. */
  readonly transport: Socket;
}

export interface SocketLimits {
  /** Ping interval; 0 turns pings off. A peer that does not answer within it is dropped. */
  keepAliveMs: number;
  /** Bytes that may wait unsent on the socket; past it the socket is closed with 4503. */
  maxBufferedBytes: number;
  /** Messages per second a client may send, after a burst of `messageBurst`; else 4008. */
  messageRate: number;
  messageBurst: number;
  /**
   * Where the socket's messages wait their turn: a bounded number is handed to graphql-ws per
   * event-loop turn across all sockets. A socket with more than `messageBurst` messages waiting
   * is closed with 4008 like one over its rate.
   */
  turns: MessageTurns;
  /** Reports a closed client or a failure, without credentials. */
  onWarning?(message: string, details: Record<string, unknown>): void;
}

/** `ws`'s `WebSocket.OPEN`. */
const OPEN = 1;
/** How long a socket closed for being slow may still take to flush its close frame. */
const SLOW_CLOSE_GRACE_MS = 2_000;
/** The longest close reason RFC 6455 allows, in bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

/** Serves graphql-ws on `socket` until it closes. */
export function serveSocket(
  server: Server<SocketExtra>,
  socket: WebSocket,
  request: IncomingMessage,
  limits: SocketLimits,
): void {
  const operations = createSocketOperations();
  const bucket = createTokenBucket(limits.messageRate, limits.messageBurst);
  const lane = limits.turns.lane();
  let terminateTimer: NodeJS.Timeout | undefined;
  let isPongPending = false;

  const closeWith = (code: number, reason: string): void => {
    if (socket.readyState !== OPEN) return;
    socket.close(code, fitCloseReason(reason));
  };

  const closeSlow = (): void => {
    if (socket.readyState !== OPEN) return;
    limits.onWarning?.('websocket client too slow', {
      bufferedBytes: socket.bufferedAmount,
      limit: limits.maxBufferedBytes,
    });
    closeWith(SLOW_CONSUMER, slowConsumerReason(limits.maxBufferedBytes));
    // The close frame waits behind what is buffered: a client that never reads never gets it.
    terminateTimer = setTimeout(() => socket.terminate(), SLOW_CLOSE_GRACE_MS);
    terminateTimer.unref();
  };

  /** Queues `data` unless the socket is closing or it would pass the buffer limit. */
  const sendWithin = (data: string | Buffer, sent?: () => void): boolean => {
    if (socket.readyState !== OPEN) return false;
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (!fitsBuffer(socket.bufferedAmount, bytes, limits.maxBufferedBytes)) {
      closeSlow();
      return false;
    }
    // An error here means the socket is gone: its close handler releases everything.
    socket.send(data, { binary: false }, sent);
    return true;
  };

  const frames: FrameSocket = {
    get readyState() {
      return socket.readyState;
    },
    send(data) {
      sendWithin(data);
    },
  };

  const closed = server.opened(
    {
      protocol: socket.protocol,
      send: (data) =>
        new Promise<void>((resolve) => {
          if (!sendWithin(data, () => resolve())) resolve();
        }),
      close: (code, reason) => closeWith(code ?? 1000, reason ?? ''),
      onMessage: (handle) => {
        socket.on('message', (data) => {
          if (socket.readyState !== OPEN) return;
          if (!bucket.take() || lane.waiting >= limits.messageBurst) {
            limits.onWarning?.('websocket client over its message rate', {
              rate: limits.messageRate,
              burst: limits.messageBurst,
              waiting: lane.waiting,
            });
            lane.close();
            closeWith(
              TOO_MANY_MESSAGES,
              tooManyMessagesReason(limits.messageRate, limits.messageBurst),
            );
            return;
          }
          const text = String(data);
          // Screening waits its turn with the message: it tracks subscribe/complete in the order
          // graphql-ws sees them.
          lane.push(() => {
            if (socket.readyState !== OPEN) return;
            if (!screen(text, operations, closeWith)) return;
            handle(text).catch((error: unknown) => {
              limits.onWarning?.('websocket message failed', {
                reason: error instanceof Error ? error.message : String(error),
              });
              closeWith(CloseCode.InternalServerError, 'Internal server error');
            });
          });
        });
      },
      // One pong answers every ping that came while it waited to be sent: a client that sends
      // pings and never reads gets one pong queued, not one per ping.
      onPing: (payload) => {
        if (isPongPending) return;
        const pong = stringifyMessage(
          payload === undefined ? { type: MessageType.Pong } : { type: MessageType.Pong, payload },
        );
        isPongPending = sendWithin(pong, () => {
          isPongPending = false;
        });
      },
    },
    { socket, request, operations, frames, transport: request.socket },
  );

  const pingTimer = keepAlive(socket, limits.keepAliveMs);

  socket.on('error', (error: Error & { code?: string }) => {
    // ws has closed the socket with the right code (e.g. 1009 for a frame over maxPayload).
    limits.onWarning?.('websocket error', { reason: error.message, code: error.code });
  });
  socket.once('close', (code, reason) => {
    lane.close();
    if (pingTimer !== undefined) clearInterval(pingTimer);
    if (terminateTimer !== undefined) clearTimeout(terminateTimer);
    operations.endAll();
    closed(code, String(reason)).catch(() => undefined);
  });
}

/**
 * Tracks `subscribe` and `complete` before graphql-ws sees them; false when the message must
 * not reach it (the socket is being closed).
 */
function screen(
  text: string,
  operations: SocketOperations,
  closeWith: (code: number, reason: string) => void,
): boolean {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return true; // graphql-ws closes the socket with 4400.
  }
  if (typeof message !== 'object' || message === null) return true;
  const { type, id } = message as { type?: unknown; id?: unknown };
  if (typeof id !== 'string') return true;
  if (type === MessageType.Subscribe) {
    // The protocol: an id may be reused once completed, never while active.
    if (operations.start(id) !== undefined) return true;
    closeWith(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
    return false;
  }
  if (type === MessageType.Complete) operations.complete(id);
  return true;
}

/** `reason`, shortened to what a close frame holds (a long subscription id would not fit). */
function fitCloseReason(reason: string): string {
  let fitting = reason;
  while (Buffer.byteLength(fitting) > MAX_CLOSE_REASON_BYTES) fitting = fitting.slice(0, -1);
  return fitting;
}

/** Pings every `intervalMs`; a peer that has not answered by the next ping is terminated. */
function keepAlive(socket: WebSocket, intervalMs: number): NodeJS.Timeout | undefined {
  if (intervalMs <= 0 || !Number.isFinite(intervalMs)) return undefined;
  let isAnswered = true;
  socket.on('pong', () => {
    isAnswered = true;
  });
  return setInterval(() => {
    if (socket.readyState !== OPEN) return;
    if (!isAnswered) {
      socket.terminate();
      return;
    }
    isAnswered = false;
    socket.ping();
  }, intervalMs);
}
