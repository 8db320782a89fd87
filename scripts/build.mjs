// `npm run build` (always) and `npm start`'s prestart (`--if-stale`: only when dist/ is missing or
// older than what it is built from). Compiles src/ with the repo's own tsc, then bundles what tsc
// emitted into a few files of dist/ with esbuild.
// Plain JavaScript on purpose: it runs before anything is built, and without tsx.
//
// Why tsc emits: TypeScript 7 emits JavaScript (it lacks only the JS compiler API) and rewrites
// the `.ts` import specifiers to `.js` (`rewriteRelativeImportExtensions`), with type-checking
// included. One compiler for checking and emitting means no second reading of the language: every
// line that runs went through the type checker.
//
// Why a bundle of that output: Node 20 loads an ES module graph file by file. The gateway's graph
// is about 1,100 files (yoga, envelop, whatwg-node, Pothos, OpenTelemetry's API, undici, ...),
// and resolving, reading and compiling them one by one took 390 ms of its start; the same code as
// one bundle loads in 125 ms, and the process idles 25 MB smaller (`npm run bench -- cold` shows
// both side by side). esbuild only joins modules here: it transpiles nothing (the input is tsc's
// JavaScript), keeps dynamic imports (the tracing SDK, GraphiQL's renderer) as chunks loaded on
// first use, and leaves better-sqlite3, a native addon, to node_modules.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = join(root, 'dist');
/** Written last by a successful build; its mtime is the build's. */
const stamp = join(dist, '.build-stamp');
/** Inputs besides src/ (this script included): a change to any of them makes the build stale. */
const configFiles = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.mjs'];
/** Held (an exclusive mkdir) while building, so parallel starts build once and never half-way. */
const lock = join(root, '.build.lock');
const LOCK_STALE_MS = 120_000;

/** Newest mtime (ms) of the build's inputs: src/ (tests excluded) and the config files. */
function newestInputMs() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  visit(join(root, 'src'));
  for (const file of configFiles) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

function isStale() {
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestInputMs();
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function acquireLock() {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A builder that died leaves its lock behind: take it over once it is clearly abandoned.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > LOCK_STALE_MS) {
        rmSync(lock, { recursive: true, force: true });
      } else sleep(50);
    }
  }
}

/**
 * Emits into a fresh directory beside dist/ and swaps it in, so a process starting meanwhile
 * sees either the old build or the new one, never a half-written one.
 */
async function build() {
  const next = join(root, `dist.next-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  const modules = join(next, 'modules');
  const manifest = createRequire(import.meta.url).resolve('typescript/package.json');
  const tsc = join(dirname(manifest), 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--outDir', modules],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    console.error('the build failed: fix the errors above (npm run typecheck shows them too)');
    return result.status ?? 1;
  }
  try {
    await bundle(modules, next);
  } catch (error) {
    rmSync(next, { recursive: true, force: true });
    console.error(`the build failed while bundling: ${error.message}`);
    return 1;
  }
  // tsc's per-module output was only the bundler's input (its source maps are in the bundle's).
  rmSync(modules, { recursive: true, force: true });
  writeFileSync(join(next, '.build-stamp'), `${new Date().toISOString()}\n`);
  const old = join(root, `dist.old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(next, dist);
  rmSync(old, { recursive: true, force: true });
  return 0;
}

/**
 * The entry points, named for where they land in dist/. Everything sits flat in dist/ (entries and
 * shared chunks alike), so a worker entry is `./<name>.js` beside whichever chunk holds the code
 * that starts it (segmentation-service/thread.ts), as it is beside that module in src/.
 */
const ENTRY_POINTS = {
  main: 'main.js',
  emulator: 'segmentation-service/main.js',
  'thread-main': 'segmentation-service/thread-main.js',
  'seed-thread-main': 'segmentation-service/seed-thread-main.js',
};

async function bundle(modules, outdir) {
  const { build: esbuild } = await import('esbuild');
  await esbuild({
    entryPoints: Object.fromEntries(
      Object.entries(ENTRY_POINTS).map(([name, file]) => [name, join(modules, file)]),
    ),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Reads tsc's maps, so a stack trace under --enable-source-maps names src/*.ts lines.
    sourcemap: true,
    external: ['better-sqlite3'],
    // CommonJS dependencies inside an ES module bundle call `require` for Node's built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
}

const isIfStale = process.argv.includes('--if-stale');
if (!isIfStale || isStale()) {
  acquireLock();
  try {
    // Another start may have built while this one waited for the lock.
    if (!isIfStale || isStale()) process.exitCode = await build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
