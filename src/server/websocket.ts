// graphql-ws (graphql-transport-ws) on the gateway's HTTP server and path. Every operation runs
// through yoga's envelope, so WebSocket and HTTP share schema, plugins, context and masking.
// It owns the upgrade rules (origin, path) and the graphql-ws hooks; each socket is served, bounded
// and its operations' lifetime kept by websocket-socket.ts. Results may skip graphql-ws's
// per-message path (see websocket-fan-out.ts).
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError, getOperationAST } from 'graphql';
import { handleProtocols, makeServer } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { PersistedOperationsMode } from '../config/gateway.ts';
import { resolveSubscribeQuery } from './persisted-operations.ts';
import type { DirectResultSink } from './result-stream.ts';
import { createFrameWriter, createNextFrameSink } from './websocket-fan-out.ts';
import { createMessageTurns } from './websocket-message-turns.ts';
import { never, type Operation, type SocketOperations } from './websocket-operations.ts';
import { type SocketExtra, serveSocket } from './websocket-socket.ts';

export interface WebSocketOptions {
  /** Path served, the same as HTTP GraphQL. @default '/graphql' */
  path?: string;
  /** A socket must send `connection_init` within this, else it is closed with 4408. @default 3000 */
  connectionInitTimeoutMs: number;
  /** Ping interval; 0 turns pings off. @default 12000 */
  keepAliveMs: number;
  /** Largest frame accepted; a larger one closes the socket with 1009. @default 65536 */
  maxPayloadBytes: number;
  /** Open operations per socket (the per-tenant cap is the subscription service's). @default 20 */
  maxPerConnection: number;
  /** Bytes that may wait unsent on one socket; past it the socket is closed with 4503. @default 1048576 */
  maxBufferedBytes: number;
  /** Messages per second one socket may send after a burst; past it the socket is closed with 4008. @default 50 */
  messageRate: number;
  /** Messages one socket may send at once before the rate applies. @default 100 */
  messageBurst: number;
  /** Origins allowed to open a socket; empty allows any (and requests with no Origin). */
  allowedOrigins: readonly string[];
  /**
   * Checks the `connection_init` payload before the connection is acknowledged; throws when it
   * is refused (the socket is closed with 4403).
   */
  authenticate(connectionParams: Readonly<Record<string, unknown>> | undefined): void;
  /** Reports a refused connection or a failure, without credentials. */
  onWarning?(message: string, details: Record<string, unknown>): void;
  /** Told of every socket's close code (4503 slow reader, 4008 too many messages, ...). */
  onClosed?(code: number): void;
  /**
   * Where each subscription's `next` frame writer is registered under the operation's context
   * value, for the shared execution to write results without errors straight to the socket.
   * @default none: every result goes through graphql-ws
   */
  directSinks?: WeakMap<object, DirectResultSink>;
  /**
   * Persisted operations, as over HTTP: a subscribe with `query: ''` and
   * `extensions.persistedQuery` runs the manifest's document. @default 'off'
   */
  persistedOperations?: PersistedOperationsMode;
}

export interface WebSocketTransport {
  /** Open sockets right now. */
  socketCount(): number;
  /** Bytes waiting unsent across every socket right now (each at most `maxBufferedBytes`). */
  bufferedBytes(): number;
  /** Messages received and handed to graphql-ws so far, and those waiting their turn. */
  messageCounts(): { handled: number; waiting: number };
  /** Closes every socket with 1001 (going away) and stops accepting upgrades. */
  close(): Promise<void>;
}

/** graphql-ws's close code for refused `connection_init` credentials. */
const FORBIDDEN = 4403;
/** The longest close reason RFC 6455 allows, in bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

/** RFC 6455 close code for a server going down. */
const GOING_AWAY = 1001;
/** How long sockets get to finish closing at shutdown; one that does not read is cut then. */
const SHUTDOWN_GRACE_MS = 1_000;

type Enveloped = ReturnType<YogaServerInstance<object, object>['getEnveloped']>;
type EnvelopedArgs = ExecutionArgs & {
  rootValue: {
    execute: Enveloped['execute'];
    subscribe: Enveloped['subscribe'];
    /** The generation of the client's id this execution belongs to. */
    operation: Operation;
    operations: SocketOperations;
    /** graphql-ws's own map of the socket's ids (see `settle`). */
    protocolIds: Record<string, unknown>;
  };
};

/** Attaches graphql-ws to `server` for upgrades on `path`. */
export function attachWebSocket(
  server: Server,
  // biome-ignore lint/suspicious/noExplicitAny: yoga's instance type is generic over contexts this module does not need to know
  yoga: YogaServerInstance<any, any>,
  options: WebSocketOptions,
): WebSocketTransport {
  const path = options.path ?? '/graphql';
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const frames = createFrameWriter();
  // Every socket's messages share these turns, so a flood from many sockets at once cannot keep
  // the loop from other requests (measured in `npm run bench -- attacks`).
  const turns = createMessageTurns();

  const protocol = makeServer<Record<string, unknown> | undefined, SocketExtra>({
    connectionInitWaitTimeout: options.connectionInitTimeoutMs,
    execute: async (args) => {
      const { rootValue } = args as EnvelopedArgs;
      const result = await rootValue.execute(args);
      return settle(rootValue, result);
    },
    subscribe: async (args) => {
      const { rootValue } = args as EnvelopedArgs;
      const result = await rootValue.subscribe(args);
      return settle(rootValue, result);
    },
    onConnect: (ctx) => {
      try {
        options.authenticate(ctx.connectionParams);
        return true;
      } catch (error) {
        options.onWarning?.('websocket connection refused', {
          reason: error instanceof Error ? error.message : String(error),
        });
        // Closed here with a reason naming the credential at fault; graphql-ws's own close
        // ("Forbidden") that follows finds the socket closing and does nothing.
        ctx.extra.socket.close(FORBIDDEN, refusalReason(error));
        return false;
      }
    },
    onSubscribe: async (ctx, id, payload) => {
      const { operations } = ctx.extra;
      // The socket registered this generation just before graphql-ws called here, synchronously.
      const operation = operations.active(id);
      if (operation === undefined) return never();
      operation.payload = payload;
      if (operations.size > options.maxPerConnection) {
        operations.end(operation);
        return [connectionCapError(options.maxPerConnection)];
      }
      const enveloped = yoga.getEnveloped({
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        connectionParams: ctx.connectionParams,
        params: payload,
      });
      let document: ReturnType<Enveloped['parse']>;
      try {
        document = enveloped.parse(
          resolveSubscribeQuery(options.persistedOperations ?? 'off', payload),
        );
      } catch (error) {
        operations.end(operation);
        return [asGraphQLError(error)];
      }
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) {
        operations.end(operation);
        return errors;
      }
      const contextValue = await enveloped.contextFactory();
      // Completed (or the socket closed) meanwhile: graphql-ws must not hear of it again, as
      // the id may already name a newer subscription.
      if (operation.isEnded) return never();
      if (
        options.directSinks !== undefined &&
        getOperationAST(document, payload.operationName)?.operation === 'subscription'
      ) {
        options.directSinks.set(
          contextValue,
          createNextFrameSink(frames, ctx.extra.frames, ctx.extra.transport, id),
        );
      }
      const args: EnvelopedArgs = {
        schema: enveloped.schema,
        operationName: payload.operationName ?? null,
        document,
        variableValues: payload.variables ?? null,
        contextValue,
        rootValue: {
          execute: enveloped.execute,
          subscribe: enveloped.subscribe,
          operation,
          operations,
          protocolIds: ctx.subscriptions,
        },
      };
      return args;
    },
    onComplete: (ctx, id, payload) => ctx.extra.operations.finished(id, payload),
    onError: (ctx, id, payload) => {
      ctx.extra.operations.finished(id, payload);
    },
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return refuseUpgrade(socket, 404, 'Not Found');
    if (!isOriginAllowed(request.headers.origin, options.allowedOrigins)) {
      options.onWarning?.('websocket origin refused', { origin: request.headers.origin });
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
      if (options.onClosed !== undefined) ws.once('close', options.onClosed);
      serveSocket(protocol, ws, request, {
        keepAliveMs: options.keepAliveMs,
        maxBufferedBytes: options.maxBufferedBytes,
        messageRate: options.messageRate,
        messageBurst: options.messageBurst,
        turns,
        onWarning: options.onWarning,
      });
    });
  };
  server.on('upgrade', onUpgrade);
  return {
    socketCount: () => wss.clients.size,
    messageCounts: () => ({ handled: turns.handled, waiting: turns.waiting }),
    bufferedBytes() {
      let total = 0;
      for (const client of wss.clients) total += client.bufferedAmount;
      return total;
    },
    async close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(GOING_AWAY, 'Server shutting down');
      // A client that does not read never takes its close frame: ws would wait 30 s for it.
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, SHUTDOWN_GRACE_MS);
      cut.unref();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      clearTimeout(cut);
    },
  };
}

/**
 * What graphql-ws gets back from an execution: a stream under the operation's lease, a result, or,
 * for an operation that ended while it ran, nothing ever (its id may name a newer one by now).
 */
async function settle<T>(
  rootValue: EnvelopedArgs['rootValue'],
  result: T | AsyncIterable<T>,
): Promise<T | AsyncIterableIterator<T>> {
  const { operation, operations, protocolIds } = rootValue;
  // graphql-ws drops an id from its map at the end of every execution under that id, also of
  // an older generation that ended with an error while this one started: this operation is
  // still active, so it must stay in graphql-ws's map, or graphql-ws would drop its results.
  if (!operation.isEnded && !(operation.id in protocolIds)) protocolIds[operation.id] = null;
  if (isAsyncIterable(result)) {
    return operations.adopt(operation, result[Symbol.asyncIterator]());
  }
  if (operation.isEnded) return never();
  return result;
}

function isAsyncIterable<T>(value: T | AsyncIterable<T>): value is AsyncIterable<T> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function connectionCapError(maxPerConnection: number): GraphQLError {
  return new GraphQLError(
    `Too many subscriptions on this connection: the limit is ${maxPerConnection}. Complete one before starting another.`,
    { extensions: { code: 'RATE_LIMITED' } },
  );
}

function isOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  return origin !== undefined && allowed.includes(origin);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  return new GraphQLError(error instanceof Error ? error.message : 'Invalid document', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * A 4403 close reason of at most 123 bytes naming what was missing or invalid: the problems of a
 * credential error (they name headers and what was expected, never a value) when they fit, else
 * the headers' names alone.
 */
export function refusalReason(error: unknown): string {
  const problems =
    typeof error === 'object' &&
    error !== null &&
    'problems' in error &&
    Array.isArray(error.problems) &&
    error.problems.every((problem) => typeof problem === 'string')
      ? (error.problems as string[])
      : [];
  if (problems.length === 0) return 'Forbidden: credentials refused';
  const full = `Forbidden: ${problems.join('; ')}`;
  if (Buffer.byteLength(full) <= MAX_CLOSE_REASON_BYTES) return full;
  const names = [...new Set(problems.map((problem) => problem.split(':', 1)[0]))];
  let reason = `Forbidden: missing or invalid ${names.join(', ')}`;
  while (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}
