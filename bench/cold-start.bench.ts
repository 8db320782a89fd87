// Cold start and idle memory, side by side: `npm start` as built (`node dist/main.js`, the bundle,
// embedded service seeding the demo tenant in a fresh DATA_DIR), the same from tsc's output one
// module per file (no bundle) and before the build (`tsx src/main.ts`), and the gateway alone
// (UPSTREAM_URL to an embedded service already running), bundled and not.
// Each run: spawn to /readyz 200 and to the first GraphQL answer, RSS once idle, SIGTERM to exit.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay, formatMs, summarize, waitFor } from './support/measure.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** tsc's output one module per file, what dist/ held before it was bundled (inside the package). */
const MODULES_DIR = join(ROOT, '.tmp', 'cold-start-modules');
/** Targets: `npm start` answers within this of its spawn … */
const COLD_START_GOAL_MS = 600;
/** … idles within this (embedded service included) … */
const START_RSS_GOAL_MIB = 160;
/** … and the gateway alone within this. */
const ALONE_RSS_GOAL_MIB = 120;
/** What package.json's `start` runs after `NODE_ENV=production exec node`. */
const NPM_START_FLAGS = ['--max-semi-space-size=32', 'dist/main.js'];
const RUNS = Number(process.env.COLD_START_RUNS ?? 3);
/** How long a started process sits idle before its RSS is read. */
const IDLE_MS = 3_000;

interface Variant {
  name: string;
  command: string;
  args: string[];
  /** UPSTREAM_URL: the gateway alone, over a service started once by the bench. */
  upstreamUrl?: string | undefined;
}

/** What the first answer asks: one page of jobs (an upstream call behind it). */
const FIRST_QUERY = '{ segmentJobs(first: 1) { totalCount } }';
/** Passthrough credentials, which the embedded service accepts for the demo tenant. */
const PASSTHROUGH_HEADERS = {
  authorization: 'Bearer cold-start-bench',
  'x-api-key': 'cold-start-bench',
  'x-gw-ims-org-id': 'DEMO@AdobeOrg',
  'x-sandbox-name': 'prod',
};

function variants(upstreamUrl: string): Variant[] {
  const tsxCli = join(
    createRequire(import.meta.url).resolve('tsx/package.json'),
    '..',
    'dist',
    'cli.mjs',
  );
  return [
    {
      name: 'tsx src/main.ts (no build)',
      command: process.execPath,
      args: [tsxCli, 'src/main.ts'],
    },
    {
      name: 'before: node, tsc output per module',
      command: process.execPath,
      args: ['--enable-source-maps', join(MODULES_DIR, 'main.js')],
    },
    {
      name: 'npm start: node dist/main.js (bundle)',
      command: process.execPath,
      args: NPM_START_FLAGS,
    },
    {
      name: 'bundle + --enable-source-maps',
      command: process.execPath,
      args: ['--enable-source-maps', ...NPM_START_FLAGS],
    },
    {
      name: 'gateway alone, before (per module)',
      command: process.execPath,
      args: ['--enable-source-maps', join(MODULES_DIR, 'main.js')],
      upstreamUrl,
    },
    {
      name: 'gateway alone (UPSTREAM_URL), bundle',
      command: process.execPath,
      args: NPM_START_FLAGS,
      upstreamUrl,
    },
  ];
}

/** The embedded service on its own (`npm run emulator`), demo seeded, for the gateway alone. */
async function startUpstream(dataDir: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ['dist/emulator.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', EMULATOR_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as { baseUrl?: string };
        if (parsed.baseUrl !== undefined) resolve(parsed.baseUrl);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`expected the service, but it exited (${code})`)),
    );
  });
  child.stdout?.resume();
  return { child, baseUrl };
}

interface Sample {
  readyMs: number;
  firstAnswerMs: number;
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
      ...(variant.upstreamUrl === undefined ? {} : { UPSTREAM_URL: variant.upstreamUrl }),
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
    // The first answer with data: an error (say, the upstream not ready yet) is not one.
    await waitFor(
      async () => {
        const response = await fetch(`${origin}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(variant.upstreamUrl === undefined ? {} : PASSTHROUGH_HEADERS),
          },
          body: JSON.stringify({ query: FIRST_QUERY }),
        });
        const body = (await response.json()) as { data?: { segmentJobs?: unknown } | null };
        return body.data?.segmentJobs === undefined ? undefined : true;
      },
      60_000,
      'a first GraphQL answer',
      5,
    );
    const firstAnswerMs = performance.now() - startedMs;
    await delay(IDLE_MS);
    const serverRssBytes = rssOf(pid);
    const wrapperRssBytes = child.pid !== undefined && child.pid !== pid ? rssOf(child.pid) : 0;
    const stoppingMs = performance.now();
    child.kill('SIGTERM');
    await exited;
    return {
      readyMs,
      firstAnswerMs,
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
  // The same sources as tsc emits them, one file per module: the bundle's "before".
  rmSync(MODULES_DIR, { recursive: true, force: true });
  const tsc = join(
    createRequire(import.meta.url).resolve('typescript/package.json'),
    '..',
    'bin',
    'tsc',
  );
  const modules = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--outDir', MODULES_DIR],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (modules.status !== 0)
    throw new Error('expected tsc to emit the per-module build, but it failed');

  const upstreamDir = mkdtempSync(join(tmpdir(), 'cold-start-upstream-'));
  const upstream = await startUpstream(upstreamDir);
  const all = variants(upstream.baseUrl);
  const samples = new Map<string, Sample[]>(all.map((variant) => [variant.name, []]));
  try {
    // Interleaved, so load from elsewhere on the machine weighs on all alike.
    for (let run = 0; run < RUNS; run++) {
      for (const variant of all) samples.get(variant.name)?.push(await measure(variant));
    }
  } finally {
    upstream.child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (upstream.child.exitCode !== null) resolve();
      else upstream.child.once('exit', () => resolve());
    });
    rmSync(upstreamDir, { recursive: true, force: true });
    rmSync(MODULES_DIR, { recursive: true, force: true });
  }
  const medianOf = (name: string, pick: (sample: Sample) => number) => {
    const runs = (samples.get(name) ?? []).map(pick).sort((a, b) => a - b);
    return runs[Math.floor(runs.length / 2)] ?? Number.NaN;
  };
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
        'spawn → first GraphQL answer, median (ms)': formatMs(
          median((sample) => sample.firstAnswerMs),
        ),
        'idle RSS, server (MiB)': mib(median((sample) => sample.serverRssBytes)),
        'idle RSS, all processes (MiB)': mib(median((sample) => sample.totalRssBytes)),
        'SIGTERM → exit (ms)': formatMs(median((sample) => sample.stopMs)),
      };
    }),
  );
  const npmStart = 'npm start: node dist/main.js (bundle)';
  const alone = 'gateway alone (UPSTREAM_URL), bundle';
  const firstAnswerMs = medianOf(npmStart, (sample) => sample.firstAnswerMs);
  const startRss = medianOf(npmStart, (sample) => sample.totalRssBytes);
  const aloneRss = medianOf(alone, (sample) => sample.serverRssBytes);
  const targetRow = (target: string, value: string, goal: string, isMet: boolean) => ({
    target,
    value,
    goal,
    met: isMet ? 'yes' : 'NO',
  });
  console.table([
    targetRow(
      'npm start: spawn → first GraphQL answer',
      `${formatMs(firstAnswerMs)} ms`,
      `≤ ${COLD_START_GOAL_MS} ms`,
      firstAnswerMs <= COLD_START_GOAL_MS,
    ),
    targetRow(
      'npm start (embedded service): idle RSS',
      `${mib(startRss)} MiB`,
      `≤ ${START_RSS_GOAL_MIB} MiB`,
      startRss <= START_RSS_GOAL_MIB * 1024 * 1024,
    ),
    targetRow(
      'gateway alone: idle RSS',
      `${mib(aloneRss)} MiB`,
      `≤ ${ALONE_RSS_GOAL_MIB} MiB`,
      aloneRss <= ALONE_RSS_GOAL_MIB * 1024 * 1024,
    ),
  ]);
  console.log(
    `npm run build (tsc check and emit, then the esbuild bundle, once): ${formatMs(buildMs)} ms; npm start runs: fresh DATA_DIR, embedded service seeding 10,000 demo profiles (after it listens); gateway alone: UPSTREAM_URL to one service started before the runs, its RSS not counted; first answer: ${FIRST_QUERY}; RSS read after ${IDLE_MS} ms idle; COLD_START_RUNS=${RUNS}.`,
  );
}
