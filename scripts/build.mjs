// `npm run build` (always) and `npm start`'s prestart (`--if-stale`: only when dist/ is missing or
// older than what it is built from). Compiles src/ to dist/ with the repo's own tsc.
// Plain JavaScript on purpose: it runs before anything is built, and without tsx.
//
// Why tsc and not esbuild: TypeScript 7 emits JavaScript (it lacks only the JS compiler API) and
// rewrites the `.ts` import specifiers to `.js` (`rewriteRelativeImportExtensions`), in about
// 2 s for all of src/ with type-checking included. One compiler for checking and emitting means
// no second reading of the language and no dependency to add; esbuild would be faster only by a
// second and would ship code that never went through the type checker.
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
/** Inputs besides src/: a change to any of them makes the build stale. */
const configFiles = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];
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
function build() {
  const next = join(root, `dist.next-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  const manifest = createRequire(import.meta.url).resolve('typescript/package.json');
  const tsc = join(dirname(manifest), 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    console.error('the build failed: fix the errors above (npm run typecheck shows them too)');
    return result.status ?? 1;
  }
  writeFileSync(join(next, '.build-stamp'), `${new Date().toISOString()}\n`);
  const old = join(root, `dist.old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(next, dist);
  rmSync(old, { recursive: true, force: true });
  return 0;
}

const isIfStale = process.argv.includes('--if-stale');
if (!isIfStale || isStale()) {
  acquireLock();
  try {
    // Another start may have built while this one waited for the lock.
    if (!isIfStale || isStale()) process.exitCode = build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
