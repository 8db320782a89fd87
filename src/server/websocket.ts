// graphql-ws (graphql-transport-ws) on the gateway's HTTP server and path. Every operation runs
// through yoga's envelope, so WebSocket and HTTP share schema, plugins, context and masking.
// It owns the socket-level rules (origin, init timeout, frame size, caps), nothing GraphQL-level;
// subscription results may skip graphql-ws's per-message path (see websocket-fan-out.ts).
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError, getOperationAST } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { DirectResultSink } from './result-stream.ts';
import { createFrameWriter, createNextFrameSink } from './websocket-fan-out.ts';

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
  /** Origins allowed to open a socket; empty allows any (and requests with no Origin). */
  allowedOrigins: readonly string[];
  /**
   * Checks the `connection_init` payload before the connection is acknowledged; throws when it
   * is refused (the socket is closed with 4403).
   */
  authenticate(connectionParams: Readonly<Record<string, unknown>> | undefined): void;
  /** Reports a refused connection or a failure, without credentials. */
  onWarning?(message: string, details: Record<string, unknown>): void;
  /**
   * Where each subscription's `next` frame writer is registered under the operation's context
   * value, for the shared execution to write results without errors straight to the socket.
   * @default none: every result goes through graphql-ws
   */
  directSinks?: WeakMap<object, DirectResultSink>;
}

export interface WebSocketTransport {
  /** Open sockets right now. */
  socketCount(): number;
  /** Closes every socket with 1001 (going away) and stops accepting upgrades. */
  close(): Promise<void>;
}

/** RFC 6455 close code for a server going down. */
const GOING_AWAY = 1001;

interface ExtraState {
  subscriptions: number;
}

type Enveloped = ReturnType<YogaServerInstance<object, object>['getEnveloped']>;
type EnvelopedArgs = ExecutionArgs & {
  rootValue: { execute: Enveloped['execute']; subscribe: Enveloped['subscribe'] };
};

/** Attaches graphql-ws to `server` for upgrades on `path`. */
export function attachWebSocket(
  server: Server,
  // biome-ignore lint/suspicious/noExplicitAny: yoga's instance type is generic over contexts this module does not need to know
  yoga: YogaServerInstance<any, any>,
  options: WebSocketOptions,
): WebSocketTransport {
  const path = options.path ?? '/graphql';
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const states = new WeakMap<object, ExtraState>();
  const frames = createFrameWriter();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return refuseUpgrade(socket, 404, 'Not Found');
    if (!isOriginAllowed(request.headers.origin, options.allowedOrigins)) {
      options.onWarning?.('websocket origin refused', { origin: request.headers.origin });
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
      // graphql-ws reports a socket error (e.g. a frame over maxPayload) on stderr with its stack,
      // once per frame a client cares to send. ws has already closed the socket with the right
      // code by then, so the error is only worth a warning in the structured log.
      ws.removeAllListeners('error');
      ws.on('error', (error: Error & { code?: string }) => {
        options.onWarning?.('websocket error', { reason: error.message, code: error.code });
      });
    });
  };
  server.on('upgrade', onUpgrade);

  const stateOf = (extra: object): ExtraState => {
    let state = states.get(extra);
    if (!state) {
      state = { subscriptions: 0 };
      states.set(extra, state);
    }
    return state;
  };
  const release = (state: ExtraState) => {
    if (state.subscriptions > 0) state.subscriptions--;
  };

  const disposable = useServer(
    {
      connectionInitWaitTimeout: options.connectionInitTimeoutMs,
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args),
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args),
      onConnect: (ctx) => {
        try {
          options.authenticate(ctx.connectionParams);
          return true;
        } catch (error) {
          options.onWarning?.('websocket connection refused', {
            reason: error instanceof Error ? error.message : String(error),
          });
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = stateOf(ctx.extra);
        if (state.subscriptions >= options.maxPerConnection) {
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
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [asGraphQLError(error)];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const contextValue = await enveloped.contextFactory();
        if (
          options.directSinks !== undefined &&
          getOperationAST(document, payload.operationName)?.operation === 'subscription'
        ) {
          // The upgrade request's socket is the TCP socket under the WebSocket.
          options.directSinks.set(
            contextValue,
            createNextFrameSink(frames, ctx.extra.socket, ctx.extra.request.socket, id),
          );
        }
        const args: EnvelopedArgs = {
          schema: enveloped.schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        state.subscriptions++;
        return args;
      },
      onComplete: (ctx) => release(stateOf(ctx.extra)),
      onClose: (ctx) => {
        const state = stateOf(ctx.extra);
        // Subscriptions still open when the socket dies were not completed one by one.
        while (state.subscriptions > 0) release(state);
      },
    },
    wss,
    options.keepAliveMs,
  );

  return {
    socketCount: () => wss.clients.size,
    async close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(GOING_AWAY, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
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
