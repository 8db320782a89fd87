// Forks a benchmark's server process (bench-host.ts, run by tsx) and talks to it over IPC, so
// the bench measures that process from outside: its CPU, its memory, and load that does not
// share its event loop. Every wait here is bounded.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  HostCommandName,
  HostCommands,
  HostInfo,
  HostReadyMessage,
  HostReply,
  HostRequest,
  HostSpec,
} from './host-protocol.ts';

export interface HostOptions {
  /** Run with `--expose-gc`, so `memory` samples after a full GC. @default false */
  exposeGc?: boolean;
  /** Extra Node flags, e.g. `--max-semi-space-size=32`. @default none */
  nodeFlags?: readonly string[];
  /** @default 60000 */
  startTimeoutMs?: number;
  /** Longest wait for one command's answer. @default 60000 */
  commandTimeoutMs?: number;
}

export interface HostProcess {
  readonly info: HostInfo;
  call<C extends HostCommandName>(
    command: C,
    ...args: HostCommands[C]['args'] extends undefined ? [] : [HostCommands[C]['args']]
  ): Promise<HostCommands[C]['result']>;
  /** Asks the process to stop and waits for it to exit (killing it past a deadline). */
  stop(): Promise<void>;
}

const HOST_ENTRY = fileURLToPath(new URL('./bench-host.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STOP_TIMEOUT_MS = 20_000;

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts the server process and resolves once everything in `spec` listens. */
export async function startHost(spec: HostSpec, options: HostOptions = {}): Promise<HostProcess> {
  const execArgv = ['--import', 'tsx'];
  if (options.exposeGc) execArgv.push('--expose-gc');
  execArgv.push(...(options.nodeFlags ?? []));
  const child = fork(HOST_ENTRY, [JSON.stringify(spec)], {
    cwd: REPO_ROOT,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production' },
  });
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 1;
  const failAll = (error: Error): void => {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
      pending.delete(id);
    }
  };
  child.on('exit', (code, signal) => {
    failAll(new Error(`expected the bench host to answer, but it exited (${code ?? signal})`));
  });

  const info = await new Promise<HostInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`expected the bench host to start within ${options.startTimeoutMs ?? 60_000} ms`),
      );
    }, options.startTimeoutMs ?? 60_000);
    const onMessage = (message: HostReadyMessage): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      if (message.kind === 'ready') resolve(message.info);
      else reject(new Error(`expected the bench host to start, but it failed: ${message.error}`));
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`expected the bench host to start, but it exited with ${code}`));
    });
  });

  child.on('message', (message: HostReply) => {
    const entry = pending.get(message.id);
    if (entry === undefined) return;
    pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new Error(message.error));
  });

  const call = (command: HostCommandName, args?: unknown): Promise<unknown> => {
    const id = nextId++;
    const timeoutMs = options.commandTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`expected an answer to "${command}" within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      const request: HostRequest = { id, command, args };
      child.send(request);
    });
  };

  let stopping: Promise<void> | undefined;
  return {
    info,
    call: call as HostProcess['call'],
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        try {
          await call('stop');
        } catch {
          // Killed below if it does not exit by itself.
        }
        if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
          child.kill('SIGKILL');
          await waitForExit(child, STOP_TIMEOUT_MS);
        }
      })();
      return stopping;
    },
  };
}
