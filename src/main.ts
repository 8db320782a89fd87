// Composition root: config → embedded service on its own worker thread (when no UPSTREAM_URL)
// → gateway (client, tenants, bus, watcher, app) → start → one orderly stop however many
// SIGTERM/SIGINT arrive, gateway first, then the service's thread. Nothing else. The gateway's
// module graph (and the tracing SDK, only when configured) is imported while the thread boots.
import { pino } from 'pino';
import {
  ConfigError,
  EMULATOR_LISTENER,
  GATEWAY_LISTENER,
  listenProblem,
  loadGatewayConfig,
  unreachableUpstreamProblem,
} from './config/index.ts';
import { stopOnSignals } from './process/stop-on-signals.ts';
import { type ServiceThread, startServiceThread } from './segmentation-service/thread.ts';
import type { Gateway } from './server/gateway.ts';

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
// Off by default: the SDK (about 17 MB and 100 ms of imports) is loaded only when it exports.
if (config.tracing.otlpEndpoint !== undefined) {
  const { startTracing } = await import('./observability/tracing-sdk.ts');
  startTracing(config.tracing);
}
const logger = pino({ level: config.logLevel });

/** Ends the process before it serves: one plain sentence when the operator can fix it. */
function failToStart(problem: string | undefined, error: unknown, what: string): never {
  if (problem !== undefined) console.error(problem);
  else logger.fatal({ err: error }, `${what} failed to start`);
  process.exit(1);
}

/** Everything started, for the stop; set once start-up is over. */
let started: { gateway: Gateway; embedded: ServiceThread | undefined } | undefined;
let startUp: Promise<void> = Promise.resolve();

// Installed first: a signal during start-up waits for it, then stops what it started.
const stopper = stopOnSignals({
  logger,
  // The gateway's drain, then the service thread's (bounded by its own stop timeout).
  deadlineMs: config.shutdownDelayMs + config.shutdownTimeoutMs + 1_000,
  async stop() {
    await startUp;
    await started?.gateway.stop();
    await started?.embedded?.stop();
  },
});

async function startEmbedded(): Promise<ServiceThread | undefined> {
  const emulator = config.emulator;
  if (emulator === undefined) return undefined;
  try {
    return await startServiceThread(emulator);
  } catch (error) {
    const problem = listenProblem(error, EMULATOR_LISTENER, emulator.port, emulator.host);
    return failToStart(problem, error, 'the embedded Segmentation Service');
  }
}

/** A configured upstream that gives no HTTP answer at all is a mistake in UPSTREAM_URL. */
async function checkUpstream(gateway: Gateway, url: string): Promise<void> {
  try {
    await gateway.upstream.ping({ signal: AbortSignal.timeout(config.upstream.timeoutMs) });
  } catch (error) {
    failToStart(unreachableUpstreamProblem(url, error), error, 'the gateway');
  }
}

async function start(): Promise<void> {
  // The thread boots (and starts listening) while this thread loads the gateway's modules.
  const [embedded, { createGateway }] = await Promise.all([
    startEmbedded(),
    import('./server/gateway.ts'),
  ]);
  const baseUrl = config.upstream.url ?? embedded?.baseUrl;
  if (baseUrl === undefined)
    throw new Error('expected UPSTREAM_URL or the embedded service, but got neither');

  const gateway = createGateway({ config, upstreamBaseUrl: baseUrl, logger });
  if (config.upstream.url !== undefined) await checkUpstream(gateway, config.upstream.url);
  let listening: Awaited<ReturnType<Gateway['start']>>;
  try {
    listening = await gateway.start(config.port, config.host);
  } catch (error) {
    const problem = listenProblem(error, GATEWAY_LISTENER, config.port, config.host);
    await embedded?.stop().catch(() => {});
    return failToStart(problem, error, 'the gateway');
  }
  started = { gateway, embedded };

  logger.info(
    {
      graphql: listening.url,
      embeddedService: embedded?.baseUrl ?? null,
      authMode: config.auth.mode,
    },
    'gateway started',
  );
  console.log(`GraphQL and GraphiQL: ${listening.url}`);
  console.log(
    embedded
      ? `Embedded Segmentation Service: ${embedded.baseUrl}`
      : `Segmentation Service: ${baseUrl}`,
  );

  // A crashed service thread must not leave a gateway answering over a dead upstream.
  void embedded?.crashed.then((error) => {
    logger.fatal({ err: error }, 'the embedded Segmentation Service crashed; stopping');
    stopper.stopNow('embedded service crashed', 1);
  });
}

startUp = start();
await startUp;
