// `npm run bench`: every benchmark in one run, each printing its own table. Load stays on
// loopback and every loop is bounded in count and time. `npm run bench -- gateway` runs only
// the benches whose name holds one of the words. A bench that fails or throws makes the exit
// code non-zero; the others still run.
import { loadavg } from 'node:os';
import { runAttacksBench } from './attacks.bench.ts';
import { runColdStartBench } from './cold-start.bench.ts';
import { runEmulatorStallsBench } from './emulator-stalls.bench.ts';
import { runGatewayBench } from './gateway.bench.ts';
import { runPqlBench } from './pql.bench.ts';
import { runReplicasBench } from './replicas.bench.ts';
import { runResolvedSizeBench } from './resolved-size.bench.ts';
import { runSoakBench } from './soak.bench.ts';
import { runStalledClientsBench } from './stalled-clients.ts';
import { runSubscriptionsBench } from './subscriptions.bench.ts';
import { runUpstreamParseBench } from './upstream-parse.bench.ts';

interface Bench {
  name: string;
  run: () => Promise<void>;
}

const benches: Bench[] = [
  { name: 'PQL evaluation throughput', run: runPqlBench },
  {
    // "gateway" in the name: `npm run bench -- gateway` prints start and memory with the CPU tables.
    name: 'Cold start and idle RSS of the gateway: the bundle vs one file per module vs tsx',
    run: runColdStartBench,
  },
  { name: 'Embedded service stalls: longest event-loop stall', run: runEmulatorStallsBench },
  {
    name: 'Upstream parsing: zod reference vs hand-written; large bodies native vs sliced',
    run: runUpstreamParseBench,
  },
  { name: 'Gateway HTTP throughput and batching', run: runGatewayBench },
  {
    name: 'resolved-size: loop stall and heap per operation over huge job lists and metric maps',
    run: runResolvedSizeBench,
  },
  { name: 'Subscriptions: calls per tick, push lag, memory', run: runSubscriptionsBench },
  {
    name: 'Replicas sharing Redis: calls per tick, push lag, Redis round trips for R = 1, 2, 3',
    run: runReplicasBench,
  },
  {
    name: 'Attacks: hostile clients at the default limits',
    run: runAttacksBench,
  },
  {
    name: 'Stalled clients: memory per WebSocket subscriber that never reads',
    run: runStalledClientsBench,
  },
  { name: 'Soak: subscriber churn and memory', run: runSoakBench },
];

const only = process.argv.slice(2).map((word) => word.toLowerCase());
let failed = 0;
for (const bench of benches) {
  if (only.length > 0 && !only.some((word) => bench.name.toLowerCase().includes(word))) continue;
  // Other work on the machine skews every number: say how busy it was.
  const [oneMinute = 0] = loadavg();
  console.log(`\n## ${bench.name}\n\n(load average ${oneMinute.toFixed(2)} at start)\n`);
  const startedMs = performance.now();
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  try {
    await bench.run();
  } catch (error) {
    console.error(`${bench.name} FAILED:`, error);
    process.exitCode = 1;
  }
  if (process.exitCode !== undefined && process.exitCode !== 0) failed++;
  process.exitCode = exitCodeBefore;
  console.log(`(${((performance.now() - startedMs) / 1000).toFixed(0)} s)`);
}
if (failed > 0) {
  console.log(`\n${failed} bench(es) failed.`);
  process.exitCode = 1;
}
