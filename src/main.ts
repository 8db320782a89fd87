// Composition root: config → embedded service (when no UPSTREAM_URL) → upstream client →
// tenants → app → start → graceful shutdown on SIGTERM/SIGINT. Nothing else lives here.
import { pino } from 'pino';
import { ConfigError, loadGatewayConfig } from './config/index.ts';
import { createSegmentationService } from './segmentation-service/index.ts';
import { buildApp } from './server/app.ts';
import { createTenantResolver } from './tenants/index.ts';
import { createUpstreamClient } from './upstream/index.ts';

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

const upstream = createUpstreamClient({
  ...config.upstream,
  baseUrl,
  logger: logger.child({ component: 'upstream' }),
});
const tenants = createTenantResolver(config.auth, {
  logger: logger.child({ component: 'tenants' }),
});
const app = buildApp({ config, upstream, tenants, logger });
const started = await app.start(config.port, config.host);

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
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs + 1_000);
  deadline.unref();
  await app.stop();
  await upstream.close();
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
