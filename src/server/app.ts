// The gateway's HTTP server: graphql-yoga on node:http at /graphql (GraphQL, GraphiQL), health
// endpoints, a cheap body limit, and graceful shutdown over tracked sockets. Building and
// starting are separate so tests and main decide ports; WebSocket transports attach to `server`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createYoga, type Plugin, type YogaLogger, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.ts';
import type { GatewayMetrics } from '../observability/gateway-metrics.ts';
import { schema } from '../schema/index.ts';
import { createSubscriptionQuota, type SubscriptionQuota } from '../services/subscription-quota.ts';
import type { TenantResolver } from '../tenants/index.ts';
import type { UpstreamCallEvent, UpstreamClient } from '../upstream/types.ts';
import type { Watcher } from '../watcher/index.ts';
import { answerBoard, isBoardPath } from './board/board.ts';
import { type BodyRefusal, checkDeclaredSize, readStreamedBody } from './body-limit.ts';
import { useCompiledExecution } from './compiled-execution.ts';
import { corsForOrigins } from './cors.ts';
import { CSRF_HEADERS, useCsrfPrevention } from './csrf-prevention.ts';
import {
  createGraphiqlPage,
  GRAPHIQL_DEFAULT_QUERY,
  graphiqlHeaders,
  isGraphiqlPageRequest,
  renderGraphiqlLazily,
} from './graphiql.ts';
import { useGraphqlLimits } from './graphql-limits.ts';
import {
  answerHealth,
  answerReady,
  answerStopping,
  HEALTH_PATH,
  READY_PATH,
  sendJson,
} from './health.ts';
import { type LiveQueryStats, useLiveQueries } from './live-queries.ts';
import { useOperationLog } from './operation-log.ts';
import { useOperationTelemetry } from './operation-telemetry.ts';
import { isPersistedGet, usePersistedOperationsMode } from './persisted-operations.ts';
import {
  createRequestContext,
  type InitialContext,
  type RequestContext,
  type RequestContextOptions,
} from './request-context.ts';
import { useRequestErrorCodes } from './request-error-codes.ts';
import type { DirectResultSink } from './result-stream.ts';
import {
  type SharedExecutionStats,
  useSharedSubscriptionExecution,
} from './shared-subscription-execution.ts';
import { guardSseResponse } from './sse-guard.ts';
import { useSseSingleConnectionRefusal } from './sse-single-connection.ts';
import { attachWebSocket, type WebSocketTransport } from './websocket.ts';

export const GRAPHQL_PATH = '/graphql';

export interface BuildAppOptions {
  config: Pick<
    GatewayConfig,
    | 'auth'
    | 'graphql'
    | 'subscriptions'
    | 'allowedOrigins'
    | 'upstream'
    | 'shutdownTimeoutMs'
    | 'shutdownDelayMs'
    | 'board'
  >;
  upstream: UpstreamClient;
  /** Feeds the subscriptions; told about jobs created or cancelled through the gateway. */
  watcher: Watcher;
  tenants: Pick<TenantResolver, 'fromHeaders' | 'fromConnectionParams'>;
  logger: Logger;
  /** Observes every upstream HTTP attempt made for a GraphQL operation. */
  onUpstreamCall?: ((event: UpstreamCallEvent) => void) | undefined;
  /** Extra yoga plugins (e.g. for subscriptions), after the gateway's own. */
  plugins?: Plugin<RequestContext>[] | undefined;
  /** Where operations, subscriptions, WebSocket closes and push lag are counted. */
  metrics?: GatewayMetrics | undefined;
}

export interface StartedApp {
  /** The GraphQL endpoint (and GraphiQL in a browser), e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  port: number;
}

export interface App {
  /** Listens on `port` (0: any free port) and `host`. @default port 4000, host '127.0.0.1' */
  start(port?: number, host?: string): Promise<StartedApp>;
  /**
   * Answers `/readyz` with 503 at once, keeps serving for `config.shutdownDelayMs`, then runs the
   * `onStop` callbacks (WebSockets close with 1001), stops accepting, lets in-flight requests
   * finish (up to `config.shutdownTimeoutMs`, then closes what is left) and closes idle
   * keep-alive sockets.
   */
  stop(): Promise<void>;
  /** Registers work to run at the start of `stop()` (e.g. closing WebSocket transports). */
  onStop(callback: () => Promise<void> | void): void;
  readonly server: Server;
  /** graphql-ws on `server`, same path as HTTP. */
  readonly webSocket: WebSocketTransport;
  /** Subscription events executed vs. answered from another subscriber's result. */
  readonly sharedExecution: SharedExecutionStats;
  /** Live query executions, shared results and invalidations (see live-queries.ts). */
  readonly liveQueries: LiveQueryStats;
  /** SSE responses open right now. */
  sseStreamCount(): number;
  /** Open subscriptions per tenant, over WebSocket and SSE (read-only: for stats and tests). */
  readonly subscriptionQuota: Pick<SubscriptionQuota, 'count' | 'total'>;
  // biome-ignore lint/suspicious/noExplicitAny: the yoga instance is shared with transports that do not know the context types
  readonly yoga: YogaServerInstance<any, any>;
}

/** Adapts pino to the logger yoga wants, keeping its messages at their level. */
function yogaLogger(logger: Logger): YogaLogger {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, first.message);
      else logger[level]({ details: rest.length > 0 ? rest : undefined }, String(first));
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** A job status event from the watcher: it carries when it was observed. */
function isJobEvent(event: unknown): event is { observedAt: number } {
  return (
    typeof event === 'object' &&
    event !== null &&
    'observedAt' in event &&
    typeof event.observedAt === 'number'
  );
}

function refuse(response: ServerResponse, refusal: BodyRefusal): void {
  // The rest of the body is not read: close the connection rather than reuse it.
  response.setHeader('connection', 'close');
  sendJson(response, refusal.status, {
    errors: [{ message: refusal.message, extensions: { code: refusal.code } }],
  });
}

/** Builds the gateway's HTTP app; nothing listens until `start()`. */
export function buildApp(options: BuildAppOptions): App {
  const { config, upstream, tenants, logger, watcher, metrics } = options;
  const limitBytes = config.graphql.maxBodyBytes;
  const sharedExecution: SharedExecutionStats = { executions: 0, shared: 0 };
  const subscriptionQuota = createSubscriptionQuota(config.subscriptions.maxPerTenant);
  // WebSocket subscriptions register here: their results without errors skip graphql-ws's
  // per-message path and per-result plugin hooks (see shared-subscription-execution.ts).
  const directSinks = new WeakMap<object, DirectResultSink>();

  const contextOptions: RequestContextOptions = {
    tenants,
    upstream,
    watcher,
    subscriptionQuota,
    maxResolvedItems: config.graphql.maxResolvedItems,
    onUpstreamCall: options.onUpstreamCall,
  };
  const liveQueries: LiveQueryStats = {
    executions: 0,
    shared: 0,
    jobInvalidations: 0,
    listInvalidations: 0,
  };

  const yoga = createYoga<Record<string, unknown>, RequestContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    healthCheckEndpoint: HEALTH_PATH,
    // Replaced by the cheaper limit in the request handler below (see body-limit.ts).
    maxRequestBodySize: false,
    maskedErrors: { isDev: false },
    logging: yogaLogger(logger.child({ component: 'yoga' })),
    cors: corsForOrigins(config.allowedOrigins),
    graphiql: {
      title: 'Segment jobs gateway',
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
      // GraphiQL sends subscriptions as SSE GETs: the header shows the CSRF guard they are its own.
      additionalHeaders: { [CSRF_HEADERS[0]]: 'graphiql' },
      ...(graphiqlHeaders(config.auth) === undefined
        ? {}
        : { headers: graphiqlHeaders(config.auth) }),
    },
    renderGraphiQL: renderGraphiqlLazily,
    context: (initial) => createRequestContext(initial as InitialContext, contextOptions),
    plugins: [
      // graphql-sse's single connection mode is refused, and persisted GETs need no preflight
      // header; both reasoned in docs/limits.md.
      useSseSingleConnectionRefusal(),
      useCsrfPrevention({
        isTrusted: (request) =>
          config.graphql.persistedOperations !== 'off' && isPersistedGet(request),
      }),
      ...usePersistedOperationsMode(config.graphql.persistedOperations),
      useRequestErrorCodes(),
      useGraphqlLimits(config.graphql),
      // The innermost executor: every plugin below that wraps execution (the operation's span,
      // live queries) wraps the compiled one, never the other way round (see compiled-execution.ts).
      ...(config.graphql.jit ? [useCompiledExecution()] : []),
      useOperationTelemetry(metrics),
      useOperationLog(logger),
      useSharedSubscriptionExecution({
        // Subscribers share an event's result only within one tenant.
        shareKey: (args) => (args.contextValue as RequestContext).requestState.tenant?.key,
        stats: sharedExecution,
        directSinks,
        onDelivered:
          metrics === undefined
            ? undefined
            : (event) => {
                const observedAt = isJobEvent(event) ? event.observedAt : undefined;
                if (observedAt !== undefined) metrics.recordPushLag(Date.now() - observedAt);
              },
      }),
      // @live queries: re-executed when the watcher observes a change (see live-queries.ts).
      useLiveQueries<RequestContext & InitialContext>({
        watcher,
        quota: subscriptionQuota,
        stats: liveQueries,
        tenantOf: (context) => context.resolveTenant(),
        freshContext: (context, signal, primedJobs) =>
          createRequestContext(
            {
              ...('connectionParams' in context
                ? { connectionParams: context.connectionParams }
                : { request: { headers: context.request?.headers ?? new Headers(), signal } }),
              primedJobs,
            },
            contextOptions,
          ),
      }),
      ...(options.plugins ?? []),
    ],
  });

  // Rendered by yoga once, then served compressed with an ETag (see graphiql.ts).
  const graphiqlPage = createGraphiqlPage(async () => {
    const page = await yoga.fetch(`http://localhost${GRAPHQL_PATH}`, {
      headers: { accept: 'text/html' },
    });
    if (page.status !== 200) throw new Error(`expected GraphiQL, but got HTTP ${page.status}`);
    return page.text();
  });

  const sockets = new Map<Socket, { inFlight: number }>();
  let sseStreams = 0;
  const stopCallbacks: (() => Promise<void> | void)[] = [];
  let isStopping = false;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path === HEALTH_PATH) return answerHealth(response);
    if (path === READY_PATH) {
      if (isStopping) return answerStopping(response);
      return answerReady(response, upstream, config.upstream.timeoutMs, watcher.redisStatus());
    }
    if (request.method === 'POST') {
      const size = checkDeclaredSize(request, limitBytes);
      if (typeof size === 'object') return refuse(response, size);
      if (size === 'streamed') {
        const body = await readStreamedBody(request, limitBytes);
        if (!Buffer.isBuffer(body)) return refuse(response, body);
        // A body already read: yoga takes it as is instead of reading the stream again.
        Object.assign(request, { body });
      }
    }
    if (config.board && request.method === 'GET' && isBoardPath(path)) {
      return answerBoard(path as string, response);
    }
    if (isGraphiqlPageRequest(request, path, GRAPHQL_PATH)) {
      return graphiqlPage.answer(request, response);
    }
    // A subscriber over SSE that stops reading is bounded like a WebSocket one (see sse-guard.ts).
    if (request.headers.accept?.includes('text/event-stream') === true) {
      sseStreams += 1;
      response.once('close', () => {
        sseStreams -= 1;
      });
      guardSseResponse(response, {
        keepAliveMs: config.subscriptions.sseKeepAliveMs,
        writeDeadlineMs: config.subscriptions.sseWriteDeadlineMs,
        maxBufferedBytes: config.subscriptions.maxBufferedBytes,
        onEnded: (reason, details) => logger.warn({ ...details, reason }, 'sse stream ended'),
      });
    }
    await yoga.requestListener(request, response);
  }

  const server = createServer((request, response) => {
    const tracked = sockets.get(request.socket);
    if (tracked) tracked.inFlight += 1;
    response.once('close', () => {
      if (tracked) tracked.inFlight -= 1;
      // Once stopping, a socket is closed as soon as its last response is out.
      if (isStopping && tracked?.inFlight === 0) request.socket.end();
    });
    if (isStopping) response.setHeader('connection', 'close');
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (!response.headersSent)
        sendJson(response, 500, { errors: [{ message: 'Unexpected error.' }] });
      else response.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { inFlight: 0 });
    socket.once('close', () => sockets.delete(socket));
  });

  const wsLogger = logger.child({ component: 'websocket' });
  const webSocket = attachWebSocket(server, yoga, {
    path: GRAPHQL_PATH,
    ...config.subscriptions,
    allowedOrigins: config.allowedOrigins,
    persistedOperations: config.graphql.persistedOperations,
    directSinks,
    authenticate: (params) => {
      tenants.fromConnectionParams(params);
    },
    onWarning: (message, details) => wsLogger.warn(details, message),
    onClosed: metrics === undefined ? undefined : (code) => metrics.recordWebSocketClose(code),
  });
  stopCallbacks.push(() => webSocket.close());

  return {
    server,
    yoga,
    webSocket,
    sharedExecution,
    liveQueries,
    subscriptionQuota,
    sseStreamCount: () => sseStreams,
    onStop(callback) {
      stopCallbacks.push(callback);
    },
    start(port = 4000, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${urlHost}:${address.port}${GRAPHQL_PATH}`, port: address.port });
        });
      });
    },
    async stop() {
      if (isStopping) return;
      isStopping = true;
      // Not ready from now on, but still serving: a load balancer gets time to notice.
      if (config.shutdownDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      }
      for (const callback of stopCallbacks) await callback();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, state] of sockets) if (state.inFlight === 0) socket.end();
      const deadline = setTimeout(() => {
        logger.warn({ openSockets: sockets.size }, 'shutdown timeout: closing open connections');
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      deadline.unref();
      await closed;
      clearTimeout(deadline);
    },
  };
}
