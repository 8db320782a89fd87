// Entry of the demo seed's thread (what seed-thread.ts starts): opens the store, seeds the demo
// tenant unless told to stop, closes the store, posts the outcome and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { seedDemoTenant } from './demo-seed.ts';
import { compilePql } from './pql/index.ts';
import type { FromSeedThread, SeedThreadData, ToSeedThread } from './seed-thread.ts';
import { createStore } from './store.ts';

if (parentPort === null) {
  throw new Error('expected to run on a worker thread, but there is no parent port');
}
const port = parentPort;
const { dataDir, profileCount, logLevel } = workerData as SeedThreadData;
const abort = new AbortController();
port.on('message', (message: ToSeedThread) => {
  if (message.type === 'stop') abort.abort();
});
const store = createStore({ dataDir });
try {
  const isSeeded = await seedDemoTenant({
    store,
    compile: compilePql,
    profileCount,
    logger: pino({ level: logLevel, name: 'segmentation-service' }),
    signal: abort.signal,
  });
  port.postMessage({ type: 'seeded', isSeeded } satisfies FromSeedThread);
} finally {
  store.close();
  port.close();
}
