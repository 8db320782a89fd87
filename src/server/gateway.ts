// The gateway's parts put together: upstream client, tenants, event bus, watcher and the app
// with its transports. Used by main and by the tests, so both run the same wiring; it starts
// nothing until `start()` and stops everything it made in `stop()`.
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.ts';
import { createJobEventBus, type JobEventBus } from '../pubsub/index.ts';
import { useItemErrors } from '../schema/item-errors.ts';
import { createTenantResolver, type TenantResolver } from '../tenants/index.ts';
import { createUpstreamClient } from '../upstream/index.ts';
import type { UpstreamCallEvent, UpstreamClient } from '../upstream/types.ts';
import { createFleet, createWatcher, type Fleet, type Watcher } from '../watcher/index.ts';
import { type App, buildApp, type StartedApp } from './app.ts';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Where the Segmentation Service answers: `config.upstream.url` or the embedded one. */
  upstreamBaseUrl: string;
  logger: Logger;
  /** Replaces the tenant resolver made from `config.auth`. */
  tenants?: Pick<TenantResolver, 'fromHeaders' | 'fromConnectionParams'> | undefined;
  /** Observes every upstream HTTP attempt, from operations and from the watcher alike. */
  onUpstreamCall?: ((event: UpstreamCallEvent) => void) | undefined;
}

export interface Gateway {
  readonly app: App;
  readonly upstream: UpstreamClient;
  readonly watcher: Watcher;
  readonly bus: JobEventBus;
  /** Set with `REDIS_URL`: the replicas' shared pollers. */
  readonly fleet: Fleet | undefined;
  start(port?: number, host?: string): Promise<StartedApp>;
  /**
   * Stops the app (sockets, in-flight requests), then the watcher, the bus and the client.
   * Calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config, logger } = options;
  const upstream = createUpstreamClient({
    ...config.upstream,
    baseUrl: options.upstreamBaseUrl,
    logger: logger.child({ component: 'upstream' }),
    onCall: options.onUpstreamCall,
  });
  const tenants =
    options.tenants ??
    createTenantResolver(config.auth, { logger: logger.child({ component: 'tenants' }) });
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
          logger: logger.child({ component: 'fleet' }),
        });
  const watcher = createWatcher({
    upstream,
    bus,
    fleet,
    pollIntervalMs: config.subscriptions.pollIntervalMs,
    bulkGetMaxIds: config.upstream.bulkGetMaxIds,
    logger: logger.child({ component: 'watcher' }),
  });
  const app = buildApp({ config, upstream, tenants, logger, watcher, plugins: [useItemErrors()] });
  let stopping: Promise<void> | undefined;
  return {
    app,
    upstream,
    watcher,
    bus,
    fleet,
    start: (port, host) => app.start(port, host),
    stop() {
      stopping ??= (async () => {
        await app.stop();
        await watcher.close();
        await fleet?.close();
        await bus.close();
        await upstream.close();
      })();
      return stopping;
    },
  };
}
