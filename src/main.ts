// Composition root: config → embedded service on its own worker thread (when no UPSTREAM_URL)
// → gateway (client, tenants, bus, watcher, app) → start → graceful shutdown on SIGTERM/SIGINT,
// gateway first, then the service's thread. Nothing else.
import { pino } from 'pino';
import { ConfigError, loadGatewayConfig } from './config/index.ts';
import { type ServiceThread, startServiceThread } from './segmentation-service/thread.ts';
import { createGateway } from './server/gateway.ts';

function loadConfig() {
  try {
    return loadGatewayConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

const config = loadConfig();
const logger = pino({ level: config.logLevel });

/** The embedded service's thread, listening; a failure to start ends the process. */
async function startEmbedded(): Promise<ServiceThread | undefined> {
  if (config.emulator === undefined) return undefined;
  try {
    return await startServiceThread(config.emulator);
  } catch (error) {
    logger.fatal({ err: error }, 'the embedded Segmentation Service failed to start');
    process.exit(1);
  }
}

const embedded = await startEmbedded();
const baseUrl = config.upstream.url ?? embedded?.baseUrl;
if (baseUrl === undefined)
  throw new Error('expected UPSTREAM_URL or the embedded service, but got neither');

const gateway = createGateway({ config, upstreamBaseUrl: baseUrl, logger });
const started = await gateway.start(config.port, config.host);

logger.info(
  {
    graphql: started.url,
    embeddedService: embedded?.baseUrl ?? null,
    authMode: config.auth.mode,
  },
  'gateway started',
);
console.log(`GraphQL and GraphiQL: ${started.url}`);
console.log(
  embedded
    ? `Embedded Segmentation Service: ${embedded.baseUrl}`
    : `Segmentation Service: ${baseUrl}`,
);

let isShuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (isShuttingDown) return;
  isShuttingDown = true;
  logger.info({ signal }, 'shutting down');
  const allowedMs = config.shutdownDelayMs + config.shutdownTimeoutMs + 1_000;
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: allowedMs }, 'shutdown took too long; exiting');
    process.exit(1);
  }, allowedMs);
  deadline.unref();
  await gateway.stop();
  await embedded?.stop();
  clearTimeout(deadline);
  logger.info('stopped');
}

function shutdownOrFail(reason: string): void {
  shutdown(reason).catch((error: unknown) => {
    logger.error({ err: error }, 'shutdown failed');
    process.exitCode = 1;
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => shutdownOrFail(signal));
}

// A crashed service thread must not leave a gateway answering over a dead upstream.
void embedded?.crashed.then((error) => {
  logger.fatal({ err: error }, 'the embedded Segmentation Service crashed; stopping');
  process.exitCode = 1;
  shutdownOrFail('embedded service crashed');
});
