// Runs a server of this repo as a real child process (node --import tsx), reads where it listens
// from its JSON log lines, and signals or kills it. It owns the child's lifetime only: children
// left running when the test process exits are killed, so a failed suite never leaks one.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `tsx` and the sources resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a child ended: an exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildProcessOptions {
  /** Script to run, relative to the repository root, e.g. `src/segmentation-service/main.ts`. */
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
  /** Kills the child with SIGKILL unless it has exited; resolves once it is gone. */
  dispose(): Promise<void>;
}

const living = new Set<ChildProcess>();
let isExitHookInstalled = false;

function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  // Only synchronous work runs in an exit handler; kill() is synchronous.
  process.once('exit', () => {
    for (const child of living) child.kill('SIGKILL');
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

/** Spawns `node --import tsx <script>` in the repository root. */
export function spawnChild(options: ChildProcessOptions): RunningChild {
  installExitHook();
  const child = spawn(process.execPath, ['--import', 'tsx', options.script], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined)
    throw new Error(`expected ${options.script} to spawn, but it did not`);
  living.add(child);

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

  async function signal(name: NodeJS.Signals, timeoutMs: number): Promise<ProcessExit> {
    if (exitResult !== undefined) return exitResult;
    child.kill(name);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `expected ${options.script} to exit within ${timeoutMs} ms of ${name}, but it was still running; output:\n${output}`,
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

  async function dispose(): Promise<void> {
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
    dispose,
  };
}

export interface EmulatorProcessOptions {
  dataDir: string;
  /** `EMULATOR_*` and `LOG_LEVEL` settings; `EMULATOR_PORT` defaults to 0 (a free port). */
  env?: Readonly<Record<string, string>>;
  /** @default 20_000 */
  startTimeoutMs?: number;
}

export interface EmulatorProcess extends RunningChild {
  /** Base URL of the REST API, ending in `/data/core/ups`. */
  readonly baseUrl: string;
  /** URL of `POST /emulator/profiles`. */
  readonly profilesUrl: string;
  readonly port: number;
}

/**
 * Starts `src/segmentation-service/main.ts` (what `npm run emulator` runs) on `dataDir` and
 * resolves once it has logged the URLs it listens at.
 */
export async function startEmulatorProcess(
  options: EmulatorProcessOptions,
): Promise<EmulatorProcess> {
  const child = spawnChild({
    script: 'src/segmentation-service/main.ts',
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
      const { baseUrl, profilesUrl } = line;
      return typeof baseUrl === 'string' && typeof profilesUrl === 'string'
        ? { baseUrl, profilesUrl }
        : undefined;
    }, options.startTimeoutMs ?? 20_000);
    return { ...child, ...urls, port: Number(new URL(urls.baseUrl).port) };
  } catch (error) {
    await child.dispose();
    throw error;
  }
}
