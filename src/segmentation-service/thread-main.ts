// Entry of the embedded Segmentation Service on a worker thread (what thread.ts starts for
// `npm start`): starts the service from workerData, posts where it listens, stops when asked.
// Errors are not caught here: an uncaught one ends the thread, and thread.ts reports it.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { createSegmentationService } from './index.ts';
import type { FromServiceThread, ServiceThreadData, ToServiceThread } from './thread.ts';

if (parentPort === null) {
  throw new Error('expected to run on a worker thread, but there is no parent port');
}
const port = parentPort;
const { config } = workerData as ServiceThreadData;
const logger = pino({ level: config.logLevel, name: 'segmentation-service' });
// The demo seed (about 0.6 s of CPU for 10,000 profiles) runs after the service listens, on a
// thread of its own, so `npm start` answers meanwhile and its garbage leaves with that thread
// (about 40 MB less idle RSS than seeding here); the demo's jobs appear as they are stored.
const service = createSegmentationService({
  ...config,
  logger,
  seedAfterListening: true,
  seedOnThread: true,
});

port.on('message', (message: ToServiceThread) => {
  if (message.type !== 'stop') return;
  service.stop().then(
    () => {
      logger.info({}, 'Segmentation Service stopped');
      port.postMessage({ type: 'stopped' } satisfies FromServiceThread);
      // With the server, the runner and SQLite closed, nothing else keeps the thread alive.
      port.close();
    },
    (error: unknown) => {
      setImmediate(() => {
        throw error;
      });
    },
  );
});

const started = await service.start();
logger.info(
  { baseUrl: started.baseUrl, profilesUrl: started.profilesUrl, dataDir: config.dataDir },
  `Segmentation Service listening at ${started.baseUrl} on its own thread`,
);
port.postMessage({
  type: 'listening',
  baseUrl: started.baseUrl,
  profilesUrl: started.profilesUrl,
  port: started.port,
} satisfies FromServiceThread);
