// Composition root of `npm run emulator`: the embedded Segmentation Service alone. Reads the
// config, starts the service, logs where it listens and shuts down cleanly on a signal.
import { pino } from 'pino';
import { ConfigError, loadEmulatorConfig } from '../config/index.ts';
import { createSegmentationService } from './index.ts';

async function main(): Promise<void> {
  const config = loadEmulatorConfig(process.env);
  const logger = pino({ level: config.logLevel, name: 'segmentation-service' });
  const service = createSegmentationService({ ...config, logger });
  const { baseUrl, profilesUrl } = await service.start();
  logger.info(
    { baseUrl, profilesUrl, dataDir: config.dataDir, stepMs: config.stepMs },
    `Segmentation Service listening at ${baseUrl} (profiles: ${profilesUrl})`,
  );

  let isShuttingDown = false;
  const shutdown = (signal: string) => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('the Segmentation Service failed to start:', error);
  }
  process.exit(1);
});
