// The gateway's parts put together: upstream client, tenants, event bus, watcher and the app
// with its transports. Used by main and by the tests, so both run the same wiring; it starts
// nothing until `start()` and stops everything it made in `stop()`.
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.ts';
import { createJobCaches, type JobCaches } from '../loaders/job-caches.ts';
import { createGatewayMetrics, type GatewayMetrics } from '../observability/gateway-metrics.ts';
import { instrumentBus, instrumentWatcherUpstream } from '../observability/watcher-metrics.ts';
import { createJobEventBus, type JobEventBus } from '../pubsub/index.ts';
import { useItemErrors } from '../schema/item-errors.ts';
import { createTenantResolver, type TenantResolver } from '../tenants/index.ts';
import { createUpstreamClient } from '../upstream/index.ts';
import { routeTemplate } from '../upstream/route-template.ts';
import type { UpstreamCallEvent, UpstreamClient } from '../upstream/types.ts';
import { createFleet, createWatcher, type Fleet, type Watcher } from '../watcher/index.ts';
import { coalescedEventCount } from '../watcher/job-subscriber.ts';
import { type App, buildApp, type StartedApp } from './app.ts';
import { createMetricsServer } from './metrics-server.ts';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Where the Segmentation Service answers: `config.upstream.url` or the embedded one. */
  upstreamBaseUrl: string;
  logger: Logger;
  /** Replaces the tenant resolver made from `config.auth`. */
  tenants?: Pick<TenantResolver, 'fromHeaders' | 'fromConnectionParams'> | undefined;
  /** Observes every upstream HTTP attempt, from operations and from the watcher alike. */
  onUpstreamCall?: ((event: UpstreamCallEvent) => void) | undefined;
  /** The caches' clock (tests age entries without waiting). @default Date.now */
  now?: (() => number) | undefined;
}

export interface StartedGateway extends StartedApp {
  /** The scrape URL on `config.metrics` (its own port); undefined when METRICS_PORT is off. */
  metricsUrl: string | undefined;
}

export interface Gateway {
  readonly app: App;
  /** This gateway's own registry (several gateways in one process do not share series). */
  readonly metrics: GatewayMetrics;
  /** The client itself; operations use it through `caches`. */
  readonly upstream: UpstreamClient;
  /** Final jobs and list pages, fed by reads and by the watcher's observations. */
  readonly caches: JobCaches;
  readonly watcher: Watcher;
  readonly bus: JobEventBus;
  /** Set with `REDIS_URL`: the replicas' shared pollers. */
  readonly fleet: Fleet | undefined;
  /** Starts the app on `port`/`host`, then the metrics listener on `config.metrics`. */
  start(port?: number, host?: string): Promise<StartedGateway>;
  /**
   * Stops the app (sockets, in-flight requests), then the watcher, the bus and the client.
   * Calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config, logger } = options;
  const metrics = createGatewayMetrics();
  const upstream = createUpstreamClient({
    ...config.upstream,
    baseUrl: options.upstreamBaseUrl,
    logger: logger.child({ component: 'upstream' }),
    onCall: (event) => {
      metrics.recordUpstreamCall({ ...event, endpoint: routeTemplate(event.path) });
      options.onUpstreamCall?.(event);
    },
    onCircuitOpened: () => metrics.recordCircuitOpened(),
  });
  const caches = createJobCaches({
    finalJobMaxEntries: config.cache.finalJobMaxEntries,
    finalJobTtlMs: config.cache.finalJobTtlMs,
    listTtlMs: config.cache.listTtlMs,
    now: options.now,
    recorder: metrics,
  });
  const tenants =
    options.tenants ??
    createTenantResolver(config.auth, {
      logger: logger.child({ component: 'tenants' }),
      onTokenRequest: (outcome) => metrics.recordTokenRequest(outcome),
    });
  const bus = createJobEventBus({
    redisUrl: config.redisUrl,
    logger: logger.child({ component: 'bus' }),
  });
  const fleet =
    config.redisUrl === undefined
      ? undefined
      : createFleet({
          redisUrl: config.redisUrl,
          keyPrefix: config.fleet.keyPrefix,
          leaseMs: config.fleet.leaseMs,
          stateTtlMs: config.fleet.stateTtlMs,
          streamMaxLength: config.fleet.streamMaxLength,
          streamMaxAgeMs: config.fleet.streamMaxAgeMs,
          feedLingerMs: config.fleet.feedLingerMs,
          logger: logger.child({ component: 'fleet' }),
        });
  const watcher = createWatcher({
    // The watcher's reads are timed and its publishes counted from outside it; the final jobs
    // its reads return enter the cache, at no extra call.
    upstream: instrumentWatcherUpstream(caches.observeReads(upstream), metrics),
    // Every observation passes the caches on its way to the bus, at no extra call.
    bus: instrumentBus(caches.observeBus(bus), metrics),
    fleet,
    pollIntervalMs: config.subscriptions.pollIntervalMs,
    bulkGetMaxIds: config.upstream.bulkGetMaxIds,
    logger: logger.child({ component: 'watcher' }),
  });
  const app = buildApp({
    config,
    upstream: caches.wrap(upstream),
    tenants,
    logger,
    watcher,
    metrics,
    plugins: [useItemErrors()],
  });
  metrics.bind({
    watcherStats: () => watcher.stats(),
    openCircuits: () => upstream.openCircuits(),
    droppedForeignJobs: () => upstream.droppedForeignJobs,
    connections: () => ({ ws: app.webSocket.socketCount(), sse: app.sseStreamCount() }),
    webSocketBufferedBytes: () => app.webSocket.bufferedBytes(),
    sharedExecution: () => app.sharedExecution,
    coalescedEvents: coalescedEventCount,
  });
  const metricsServer = createMetricsServer(metrics);
  let stopping: Promise<void> | undefined;
  return {
    app,
    upstream,
    caches,
    watcher,
    bus,
    fleet,
    metrics,
    async start(port, host) {
      const started = await app.start(port, host);
      const metricsPort = config.metrics.port;
      if (metricsPort === undefined) return { ...started, metricsUrl: undefined };
      try {
        const metricsUrl = await metricsServer.start(metricsPort, config.metrics.host);
        return { ...started, metricsUrl };
      } catch (error) {
        await app.stop();
        throw error;
      }
    },
    stop() {
      stopping ??= (async () => {
        await app.stop();
        await metricsServer.stop();
        await watcher.close();
        await fleet?.close();
        await bus.close();
        await upstream.close();
      })();
      return stopping;
    },
  };
}
