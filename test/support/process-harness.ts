// Runs a server of this repo as a real child process (`node --import tsx <script>`, or an npm
// script such as `npm start` in a process group of its own), reads where it listens from its
// JSON log lines, and signals or kills it. It owns the child's lifetime only: children left
// running when the test process exits are killed (with their group), so a failed suite never
// leaks one.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `tsx` and the sources resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds dist/ if it is missing or older than src/ (what `npm start`'s prestart does), so a
 * test's first `npm:` child does not spend its start-up time compiling.
 */
export function buildIfStale(): void {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`expected the build to succeed, but: ${result.stdout}${result.stderr}`);
  }
}

/** How a child ended: an exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildProcessOptions {
  /**
   * Script to run, relative to the repository root, e.g. `src/segmentation-service/main.ts`; or
   * `npm:<name>` to run `npm run <name>` (e.g. `npm:start`) as the leader of a new process group,
   * the way a terminal or a service manager starts it.
   */
  script: string;
  /** Variables on top of a minimal base (PATH, HOME, TMPDIR); nothing else of ours leaks in. */
  env: Readonly<Record<string, string>>;
}

export interface RunningChild {
  readonly pid: number;
  /** Everything the child wrote to stdout and stderr so far, for failure messages. */
  output(): string;
  /** Parsed JSON lines of stdout; other lines are skipped. */
  logLines(): readonly Record<string, unknown>[];
  /** Resolves with the first log line `pick` maps to a value; rejects on exit or deadline. */
  waitForLog<T>(
    pick: (line: Record<string, unknown>) => T | undefined,
    timeoutMs: number,
  ): Promise<T>;
  /** Set once the child has exited. */
  exit(): ProcessExit | undefined;
  /** Resolves when the child exits. */
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal` and waits for the exit; rejects (and kills) after `timeoutMs`. */
  signal(signal: NodeJS.Signals, timeoutMs: number): Promise<ProcessExit>;
  /** Sends `signal` to the child's whole process group (`npm:` scripts only), without waiting. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Resolves with the exit, or rejects (and kills) after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<ProcessExit>;
  /** Kills the child with SIGKILL unless it has exited; resolves once it is gone. */
  dispose(): Promise<void>;
}

const living = new Set<ChildProcess>();
/** Children that lead a process group of their own: killed with their group. */
const groupLeaders = new WeakSet<ChildProcess>();

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (groupLeaders.has(child) && child.pid !== undefined) {
    try {
      process.kill(-child.pid, signal);
      return;
    } catch {
      // The group is gone already; fall back to the child alone.
    }
  }
  child.kill(signal);
}
let isExitHookInstalled = false;

function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  // Only synchronous work runs in an exit handler; kill() is synchronous.
  process.once('exit', () => {
    for (const child of living) killTree(child, 'SIGKILL');
  });
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function describeExit(exit: ProcessExit): string {
  return exit.signal === null ? `exit code ${String(exit.code)}` : `signal ${exit.signal}`;
}

/** Spawns `node --import tsx <script>`, or `npm run <name>` for `npm:<name>`, in the repo root. */
export function spawnChild(options: ChildProcessOptions): RunningChild {
  installExitHook();
  const npmScript = options.script.startsWith('npm:') ? options.script.slice(4) : undefined;
  const [command, args] =
    npmScript === undefined
      ? [process.execPath, ['--import', 'tsx', options.script]]
      : ['npm', ['run', npmScript]];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: npmScript !== undefined,
  });
  if (child.pid === undefined)
    throw new Error(`expected ${options.script} to spawn, but it did not`);
  living.add(child);
  if (npmScript !== undefined) groupLeaders.add(child);

  let output = '';
  let pending = '';
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let exitResult: ProcessExit | undefined;

  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      const parsed = parseLine(line.trim());
      if (parsed !== undefined) lines.push(parsed);
    }
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      living.delete(child);
      exitResult = { code, signal };
      resolve(exitResult);
      notify();
    });
  });

  function waitForLog<T>(
    pick: (line: Record<string, unknown>) => T | undefined,
    timeoutMs: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let seen = 0;
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        outcome();
      };
      const check = () => {
        for (; seen < lines.length; seen++) {
          const value = pick(lines[seen] as Record<string, unknown>);
          if (value !== undefined) return finish(() => resolve(value));
        }
        if (exitResult !== undefined) {
          const reason = `expected ${options.script} to log the awaited line, but it ended with ${describeExit(exitResult)}`;
          finish(() => reject(new Error(`${reason}; output:\n${output}`)));
        }
      };
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            new Error(
              `expected ${options.script} to log the awaited line within ${timeoutMs} ms, but it did not; output:\n${output}`,
            ),
          ),
        );
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  }

  async function waitForExit(timeoutMs: number): Promise<ProcessExit> {
    if (exitResult !== undefined) return exitResult;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        killTree(child, 'SIGKILL');
        reject(
          new Error(
            `expected ${options.script} to exit within ${timeoutMs} ms, but it was still running; output:\n${output}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  function signal(name: NodeJS.Signals, timeoutMs: number): Promise<ProcessExit> {
    if (exitResult !== undefined) return Promise.resolve(exitResult);
    child.kill(name);
    return waitForExit(timeoutMs);
  }

  function signalGroup(name: NodeJS.Signals): void {
    if (!groupLeaders.has(child) || child.pid === undefined) {
      throw new Error(`expected ${options.script} to lead a process group, but it does not`);
    }
    process.kill(-child.pid, name);
  }

  async function dispose(): Promise<void> {
    // The group too: npm's child may outlive npm.
    if (groupLeaders.has(child) && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Nothing left in the group.
      }
    }
    if (exitResult !== undefined) return;
    child.kill('SIGKILL');
    await exited;
  }

  return {
    pid: child.pid,
    output: () => output,
    logLines: () => lines,
    waitForLog,
    exit: () => exitResult,
    exited,
    signal,
    signalGroup,
    waitForExit,
    dispose,
  };
}

export interface EmulatorProcessOptions {
  dataDir: string;
  /** `EMULATOR_*` and `LOG_LEVEL` settings; `EMULATOR_PORT` defaults to 0 (a free port). */
  env?: Readonly<Record<string, string>>;
  /** @default 20_000 */
  startTimeoutMs?: number;
  /**
   * `source`: `node --import tsx src/segmentation-service/main.ts`; `npm`: `npm run emulator`
   * (the built JavaScript) in a process group of its own. @default 'source'
   */
  via?: 'source' | 'npm';
}

export interface EmulatorProcess extends RunningChild {
  /** The node process that serves (under `npm`, npm's child), read from its log lines. */
  readonly nodePid: number;
  /** Base URL of the REST API, ending in `/data/core/ups`. */
  readonly baseUrl: string;
  /** URL of `POST /emulator/profiles`. */
  readonly profilesUrl: string;
  readonly port: number;
}

/**
 * Starts the embedded service alone (`src/segmentation-service/main.ts`, or `npm run emulator`)
 * on `dataDir` and resolves once it has logged the URLs it listens at.
 */
export async function startEmulatorProcess(
  options: EmulatorProcessOptions,
): Promise<EmulatorProcess> {
  const child = spawnChild({
    script: options.via === 'npm' ? 'npm:emulator' : 'src/segmentation-service/main.ts',
    env: {
      EMULATOR_PORT: '0',
      EMULATOR_HOST: '127.0.0.1',
      EMULATOR_SEED_DEMO: 'false',
      LOG_LEVEL: 'info',
      ...options.env,
      DATA_DIR: options.dataDir,
    },
  });
  try {
    const urls = await child.waitForLog((line) => {
      const { baseUrl, profilesUrl, pid } = line;
      return typeof baseUrl === 'string' && typeof profilesUrl === 'string'
        ? { baseUrl, profilesUrl, nodePid: Number(pid) }
        : undefined;
    }, options.startTimeoutMs ?? 20_000);
    return { ...child, ...urls, port: Number(new URL(urls.baseUrl).port) };
  } catch (error) {
    await child.dispose();
    throw error;
  }
}
