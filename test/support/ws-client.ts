// WebSocket clients for subscription tests: a real graphql-ws client over the `ws` package (with
// an Origin and connectionParams when asked), each subscription recorded, and a raw socket for
// protocol-level checks. Never retries: a refused or dropped socket is what a test looks at.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type FormattedExecutionResult, print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  createSubscriptionRecorder,
  DEFAULT_WAIT_MS,
  type SubscriptionRecorder,
} from './subscription-recorder.ts';

/** The WebSocket subprotocol of graphql-ws. */
export const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';

/** `http://host:port/graphql` → `ws://host:port/graphql`. */
export function wsUrlOf(graphqlUrl: string): string {
  return graphqlUrl.replace(/^http/, 'ws');
}

export interface WsClientOptions {
  /** Sent as the `connection_init` payload (the four Adobe headers in passthrough mode). */
  connectionParams?: Record<string, unknown>;
  /** Sent as the upgrade request's Origin header. */
  origin?: string;
  /**
   * Connect at once and stay connected with no subscription open (graphql-ws `lazy: false`);
   * otherwise the socket opens with the first subscription and closes after the last.
   * @default false
   */
  keepOpen?: boolean;
}

/** A close the client saw. */
export interface CloseInfo {
  code: number;
  reason: string;
}

export interface WsClient {
  readonly client: Client;
  /** Every close of this client's socket, in order. */
  readonly closes: readonly CloseInfo[];
  /** Starts a subscription and records what it delivers. */
  subscribe<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): SubscriptionRecorder<TData>;
  /** The socket, once the server acknowledged `connection_init`. */
  socket(timeoutMs?: number): Promise<WebSocket>;
  /** Kills the TCP connection with no close frame, as a crashed client or a cut network would. */
  terminateSocket(): Promise<void>;
  /** Resolves with the next close; rejects after `timeoutMs`. */
  nextClose(timeoutMs?: number): Promise<CloseInfo>;
  dispose(): Promise<void>;
}

/** A `ws` WebSocket class that sends `origin` on the upgrade. */
function webSocketWithOrigin(origin: string | undefined): unknown {
  if (origin === undefined) return WebSocket;
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { origin });
    }
  };
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

/** Connects to the gateway's graphql-ws endpoint (lazily, on the first subscription). */
export function connectWs(graphqlUrl: string, options: WsClientOptions = {}): WsClient {
  const closes: CloseInfo[] = [];
  const closeWaiters: ((close: CloseInfo) => void)[] = [];
  let current: WebSocket | undefined;
  const socketWaiters: ((socket: WebSocket) => void)[] = [];

  const client = createClient({
    url: wsUrlOf(graphqlUrl),
    webSocketImpl: webSocketWithOrigin(options.origin),
    retryAttempts: 0,
    lazy: options.keepOpen !== true,
    // A refused or dropped socket is recorded in `closes`; nothing to print.
    onNonLazyError: () => {},
    ...(options.connectionParams === undefined
      ? {}
      : { connectionParams: options.connectionParams }),
    on: {
      connected: (socket) => {
        current = socket as WebSocket;
        for (const resolve of socketWaiters.splice(0)) resolve(current);
      },
      closed: (event) => {
        current = undefined;
        const close = isCloseEvent(event)
          ? { code: event.code, reason: String(event.reason) }
          : { code: -1, reason: String(event) };
        closes.push(close);
        for (const resolve of closeWaiters.splice(0)) resolve(close);
      },
    },
  });

  const withDeadline = <T>(
    register: (resolve: (value: T) => void) => void,
    timeoutMs: number,
    what: string,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${what} within ${timeoutMs} ms, but got none`)),
        timeoutMs,
      );
      register((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });

  const socket = (timeoutMs = DEFAULT_WAIT_MS): Promise<WebSocket> => {
    if (current !== undefined) return Promise.resolve(current);
    return withDeadline((resolve) => socketWaiters.push(resolve), timeoutMs, 'an open socket');
  };

  return {
    client,
    closes,
    subscribe: (document, variables) => subscribeWith(client, document, variables),
    socket,
    async terminateSocket() {
      const open = await socket();
      const closed = withDeadline<CloseInfo>(
        (resolve) => closeWaiters.push(resolve),
        DEFAULT_WAIT_MS,
        'the terminated socket to close',
      );
      open.terminate();
      await closed;
    },
    nextClose(timeoutMs = DEFAULT_WAIT_MS) {
      return withDeadline((resolve) => closeWaiters.push(resolve), timeoutMs, 'a socket close');
    },
    async dispose() {
      await client.dispose();
    },
  };
}

function subscribeWith<TData, TVariables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
): SubscriptionRecorder<TData> {
  const { recorder, sink } = createSubscriptionRecorder<TData>();
  const unsubscribe = client.subscribe<TData>(
    { query: print(document), variables },
    {
      next: (result) => sink.push(result as FormattedExecutionResult<TData>),
      error: (error) => sink.fail(error),
      complete: () => sink.complete(),
    },
  );
  sink.onCancel(unsubscribe);
  return recorder;
}

/** A raw graphql-transport-ws socket: what the server sends, and how it ends. */
export interface RawSocket {
  readonly socket: WebSocket;
  /** Every JSON message received, in order. */
  readonly messages: readonly Record<string, unknown>[];
  /** Resolves once open; rejects when the upgrade is refused (with the HTTP status in the message). */
  readonly opened: Promise<void>;
  /** The HTTP status of a refused upgrade; undefined when it was accepted. */
  readonly refused: Promise<number | undefined>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<CloseInfo>;
  send(message: unknown): void;
  /** Resolves with the first message of `type` not returned before; rejects after `timeoutMs` or on close. */
  nextMessage(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Opens a socket speaking graphql-transport-ws by hand. */
export function openRawSocket(graphqlUrl: string, options: { origin?: string } = {}): RawSocket {
  const socket = new WebSocket(wsUrlOf(graphqlUrl), GRAPHQL_TRANSPORT_WS, {
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  });
  const messages: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  const returned = new Set<number>();
  let isClosed = false;

  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const listener of [...listeners]) listener();
  });
  const closed = new Promise<CloseInfo>((resolve) => {
    socket.on('close', (code, reason) => {
      isClosed = true;
      for (const listener of [...listeners]) listener();
      resolve({ code, reason: reason.toString('utf8') });
    });
  });
  const refused = new Promise<number | undefined>((resolve) => {
    socket.once('open', () => resolve(undefined));
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode);
      response.resume();
      socket.terminate();
    });
    socket.once('error', () => resolve(undefined));
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    void refused.then((status) => {
      if (status !== undefined) reject(new Error(`expected an open socket, but got ${status}`));
    });
  });
  // A refused upgrade also rejects `opened`; tests awaiting `refused` must not see it unhandled.
  opened.catch(() => {});

  return {
    socket,
    messages,
    opened,
    refused,
    closed,
    send(message) {
      socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    nextMessage(type, timeoutMs = DEFAULT_WAIT_MS) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const index = messages.findIndex(
            (message, at) => message.type === type && !returned.has(at),
          );
          const found = messages[index];
          if (found !== undefined) {
            returned.add(index);
            finish();
            resolve(found);
          } else if (isClosed) {
            finish();
            reject(new Error(`expected a '${type}' message, but the socket closed first`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`expected a '${type}' message within ${timeoutMs} ms, but got none`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}
