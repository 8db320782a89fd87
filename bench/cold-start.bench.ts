// Cold start of the whole `npm start` process, before and after the build: `tsx src/main.ts`
// (TypeScript compiled while starting, a tsx wrapper process in front) against `node
// dist/main.js`. Each run: a fresh DATA_DIR, the embedded service seeding the demo tenant,
// time from spawn to the first /readyz 200, RSS once idle, time from SIGTERM to exit.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay, formatMs, summarize, waitFor } from './support/measure.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = Number(process.env.COLD_START_RUNS ?? 3);
/** How long a started process sits idle before its RSS is read. */
const IDLE_MS = 3_000;

interface Variant {
  name: string;
  command: string;
  args: string[];
}

function variants(): Variant[] {
  const tsxCli = join(
    createRequire(import.meta.url).resolve('tsx/package.json'),
    '..',
    'dist',
    'cli.mjs',
  );
  return [
    { name: 'before: tsx src/main.ts', command: process.execPath, args: [tsxCli, 'src/main.ts'] },
    {
      name: 'after: node dist/main.js',
      command: process.execPath,
      args: ['--enable-source-maps', 'dist/main.js'],
    },
  ];
}

interface Sample {
  readyMs: number;
  serverRssBytes: number;
  totalRssBytes: number;
  stopMs: number;
  processes: number;
}

/** VmRSS of a process (Linux), in bytes; 0 where /proc is not there. */
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? 0 : Number(kib) * 1024;
  } catch {
    return 0;
  }
}

function listenLine(child: ChildProcess): Promise<{ origin: string; pid: number }> {
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as { msg?: string; graphql?: string; pid?: number };
        if (parsed.msg === 'gateway started' && parsed.graphql !== undefined) {
          resolve({ origin: new URL(parsed.graphql).origin, pid: parsed.pid ?? 0 });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`expected a start, but it exited (${code})`)));
  });
}

async function measure(variant: Variant): Promise<Sample> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  const startedMs = performance.now();
  const child = spawn(variant.command, variant.args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      EMULATOR_PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const { origin, pid } = await listenLine(child);
    await waitFor(
      async () => {
        const response = await fetch(`${origin}/readyz`);
        await response.arrayBuffer();
        return response.status === 200 ? true : undefined;
      },
      60_000,
      '/readyz 200',
      5,
    );
    const readyMs = performance.now() - startedMs;
    await delay(IDLE_MS);
    const serverRssBytes = rssOf(pid);
    const wrapperRssBytes = child.pid !== undefined && child.pid !== pid ? rssOf(child.pid) : 0;
    const stoppingMs = performance.now();
    child.kill('SIGTERM');
    await exited;
    return {
      readyMs,
      serverRssBytes,
      totalRssBytes: serverRssBytes + wrapperRssBytes,
      stopMs: performance.now() - stoppingMs,
      processes: wrapperRssBytes > 0 ? 2 : 1,
    };
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export async function runColdStartBench(): Promise<void> {
  const buildStartedMs = performance.now();
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('expected npm run build to succeed, but it failed');
  const buildMs = performance.now() - buildStartedMs;

  const all = variants();
  const samples = new Map<string, Sample[]>(all.map((variant) => [variant.name, []]));
  // Interleaved, so load from elsewhere on the machine weighs on both alike.
  for (let run = 0; run < RUNS; run++) {
    for (const variant of all) samples.get(variant.name)?.push(await measure(variant));
  }
  console.table(
    all.map((variant) => {
      const runs = samples.get(variant.name) ?? [];
      const ready = summarize(runs.map((sample) => sample.readyMs).sort((a, b) => a - b));
      const median = (pick: (sample: Sample) => number) =>
        [...runs.map(pick)].sort((a, b) => a - b)[Math.floor(runs.length / 2)] ?? 0;
      return {
        variant: variant.name,
        runs: runs.length,
        processes: runs[0]?.processes ?? 0,
        'spawn → /readyz 200, median (ms)': formatMs(median((sample) => sample.readyMs)),
        'max (ms)': formatMs(ready.max),
        'idle RSS, server (MiB)': mib(median((sample) => sample.serverRssBytes)),
        'idle RSS, all processes (MiB)': mib(median((sample) => sample.totalRssBytes)),
        'SIGTERM → exit (ms)': formatMs(median((sample) => sample.stopMs)),
      };
    }),
  );
  console.log(
    `npm run build (tsc, check and emit, once): ${formatMs(buildMs)} ms; each run: fresh DATA_DIR, embedded service, 10,000 demo profiles seeded; RSS read after ${IDLE_MS} ms idle; COLD_START_RUNS=${RUNS}.`,
  );
}
