// Entry of the embedded Segmentation Service on a worker thread (what thread.ts starts for
// `npm start`): starts the service from workerData, posts where it listens, stops when asked.
// Errors are not caught here: an uncaught one ends the thread, and thread.ts reports it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
// The demo seed (about 0.6 s of CPU for 10,000 profiles) runs after the service listens, so
// `npm start` answers meanwhile; the demo's jobs appear as they are stored.
const service = createSegmentationService({ ...config, logger, seedAfterListening: true });

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
// The seed's garbage (every profile state of ten days of history) would otherwise keep this
// thread's heap grown while idle: one full collection once it is done takes `npm start`'s idle
// RSS from about 233 to 204 MB (spawn, first answer, 3 s idle, VmRSS). `--expose-gc`
// set at run time only exposes `gc` to contexts made afterwards, as this one.
void started.demoSeeded.then((isSeeded) => {
  if (!isSeeded) return;
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  collectGarbage();
});
