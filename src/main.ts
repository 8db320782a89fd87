// Composition root: config → embedded service (when no UPSTREAM_URL) → gateway (client,
// tenants, bus, watcher, app) → start → graceful shutdown on SIGTERM/SIGINT. Nothing else.
import { pino } from 'pino';
import { ConfigError, loadGatewayConfig } from './config/index.ts';
import { createSegmentationService } from './segmentation-service/index.ts';
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

const embedded =
  config.emulator === undefined ? undefined : createSegmentationService(config.emulator);
const embeddedStarted =
  embedded && config.emulator
    ? await embedded.start(config.emulator.port, config.emulator.host)
    : undefined;
const baseUrl = config.upstream.url ?? embeddedStarted?.baseUrl;
if (baseUrl === undefined)
  throw new Error('expected UPSTREAM_URL or the embedded service, but got neither');

const gateway = createGateway({ config, upstreamBaseUrl: baseUrl, logger });
const started = await gateway.start(config.port, config.host);

logger.info(
  {
    graphql: started.url,
    embeddedService: embeddedStarted?.baseUrl ?? null,
    authMode: config.auth.mode,
  },
  'gateway started',
);
console.log(`GraphQL and GraphiQL: ${started.url}`);
console.log(
  embeddedStarted
    ? `Embedded Segmentation Service: ${embeddedStarted.baseUrl}`
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

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    });
  });
}
