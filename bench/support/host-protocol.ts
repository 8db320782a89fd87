// The messages between a benchmark and the server process it forked: what to start and the
// commands it answers over the IPC channel. Types only; neither side's behaviour lives here.
import type { SharedExecutionStats } from '../../src/server/shared-subscription-execution.ts';
import type { TenantWatchStats } from '../../src/watcher/index.ts';

/** What the server process starts, all on 127.0.0.1 and port 0. */
export interface HostSpec {
  /** Environment for `loadGatewayConfig` / `loadEmulatorConfig` (never the process's own). */
  env: Record<string, string>;
  /** Start the embedded Segmentation Service. */
  embedded: boolean;
  /** Start the gateway (over the embedded service, or over `env.UPSTREAM_URL`). */
  gateway: boolean;
  /** Start a plain `node:http` server answering every request with the bytes set by `setCeiling`. */
  ceiling: boolean;
}

export interface HostInfo {
  pid: number;
  graphqlUrl: string | undefined;
  /** Base URL of the embedded service's REST API (ends in `/data/core/ups`). */
  upstreamBaseUrl: string | undefined;
  ceilingUrl: string | undefined;
}

/** One upstream HTTP attempt the gateway made, stamped when it ended. */
export interface UpstreamCallRecord {
  method: string;
  path: string;
  status: number | undefined;
  /** Epoch milliseconds at the end of the attempt. */
  endedAtMs: number;
  durationMs: number;
}

export interface MemorySample {
  /** True when a full GC ran just before (the process was started with --expose-gc). */
  afterGc: boolean;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

export interface HostStats {
  sharedExecution: SharedExecutionStats;
  watcher: Record<string, TenantWatchStats>;
  webSockets: number;
  /** Open subscriptions, WebSocket and SSE, of every tenant (the per-tenant caps' counts). */
  openSubscriptions: number;
  /** Bytes waiting to be sent on every WebSocket. */
  webSocketBufferedBytes: number;
  /** Process CPU time so far (user + system), microseconds. */
  cpuMicros: number;
}

/** Every command: its argument and its answer. */
export interface HostCommands {
  info: { args: undefined; result: HostInfo };
  setCeiling: { args: { body: string; contentType: string }; result: null };
  /** Forgets the calls counted so far; `record: true` also keeps each call (for timing). */
  resetCalls: { args: { record: boolean }; result: null };
  calls: {
    args: undefined;
    result: { counts: Record<string, number>; records: UpstreamCallRecord[] };
  };
  stats: { args: undefined; result: HostStats };
  memory: { args: undefined; result: MemorySample };
  /**
   * The process's event-loop delay since the last call (perf_hooks.monitorEventLoopDelay at
   * 10 ms resolution), then starts counting afresh: the longest stall anything caused.
   */
  loopDelay: { args: undefined; result: { maxMs: number; p99Ms: number } };
  /** Starts the V8 CPU profiler in the process (node:inspector). */
  cpuProfileStart: { args: undefined; result: null };
  /** Stops it and writes the `.cpuprofile` to `path`. */
  cpuProfileStop: { args: { path: string }; result: null };
  stop: { args: undefined; result: null };
}

export type HostCommandName = keyof HostCommands;

export interface HostRequest {
  id: number;
  command: HostCommandName;
  args: unknown;
}

export type HostReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

/** Sent once by the server process when everything listens (or once when starting failed). */
export type HostReadyMessage =
  | { kind: 'ready'; info: HostInfo }
  | { kind: 'failed'; error: string };

/** `METHOD path`, the key of the call counts; ` (no answer)` appended for unanswered calls. */
export function callKey(method: string, path: string, isUnanswered = false): string {
  return `${method} ${path}${isUnanswered ? ' (no answer)' : ''}`;
}

/** Calls that got an answer, from `calls().counts`. */
export function answeredCalls(counts: Record<string, number>): number {
  let total = 0;
  for (const [key, count] of Object.entries(counts)) {
    if (!key.endsWith(' (no answer)')) total += count;
  }
  return total;
}
