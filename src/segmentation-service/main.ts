// Composition root of `npm run emulator`: the embedded Segmentation Service alone. Reads the
// config, starts the service, logs where it listens and stops once, in order, however many
// SIGTERM/SIGINT arrive (requests in flight finish, then the runner and SQLite close).
import { pino } from 'pino';
import {
  ConfigError,
  EMULATOR_LISTENER,
  type EmulatorConfig,
  listenProblem,
  loadEmulatorConfig,
} from '../config/index.ts';
import { stopOnSignals } from '../process/stop-on-signals.ts';
import { createSegmentationService } from './index.ts';

/** The HTTP drain (5 s, see http-server.ts), the runner and SQLite, with room to spare. */
const STOP_DEADLINE_MS = 10_000;

function loadConfig(): EmulatorConfig {
  try {
    return loadEmulatorConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

const config = loadConfig();
const logger = pino({ level: config.logLevel, name: 'segmentation-service' });
const service = createSegmentationService({ ...config, logger });
let startUp: Promise<unknown> = Promise.resolve();

// Installed first: a signal during start-up waits for it, then stops what it started.
stopOnSignals({
  logger,
  deadlineMs: STOP_DEADLINE_MS,
  async stop() {
    await startUp.catch(() => {});
    await service.stop();
    logger.info({}, 'Segmentation Service stopped');
  },
});

const starting = service.start();
startUp = starting;
try {
  const { baseUrl, profilesUrl } = await starting;
  logger.info(
    { baseUrl, profilesUrl, dataDir: config.dataDir, stepMs: config.stepMs },
    `Segmentation Service listening at ${baseUrl} (profiles: ${profilesUrl})`,
  );
} catch (error) {
  const problem = listenProblem(error, EMULATOR_LISTENER, config.port, config.host);
  if (problem !== undefined) console.error(problem);
  else console.error('the Segmentation Service failed to start:', error);
  process.exit(1);
}
