// `npm run bench`: every benchmark in one run, each printing its own table. Load stays on
// loopback and every loop is bounded in count and time.
import { runPqlBench } from './pql.bench.ts';

interface Bench {
  name: string;
  run: () => Promise<void>;
}

const benches: Bench[] = [{ name: 'PQL evaluation throughput', run: runPqlBench }];

const only = process.argv.slice(2);
for (const bench of benches) {
  if (only.length > 0 && !only.some((word) => bench.name.toLowerCase().includes(word))) continue;
  console.log(`\n## ${bench.name}\n`);
  await bench.run();
}
