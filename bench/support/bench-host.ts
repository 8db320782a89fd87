// The server process of a benchmark: the embedded Segmentation Service and/or the gateway, and
// optionally a plain node:http ceiling, all on loopback, driven over IPC by the bench that forked
// it (see host-protocol.ts). It exits when told to stop or when its parent goes away.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadEmulatorConfig, loadGatewayConfig } from '../../src/config/index.ts';
import {
  createSegmentationService,
  type SegmentationService,
} from '../../src/segmentation-service/index.ts';
import { createGateway, type Gateway } from '../../src/server/gateway.ts';
import {
  callKey,
  type HostCommands,
  type HostInfo,
  type HostReadyMessage,
  type HostReply,
  type HostRequest,
  type HostSpec,
  type MemorySample,
  type UpstreamCallRecord,
} from './host-protocol.ts';

interface Running {
  info: HostInfo;
  embedded: SegmentationService | undefined;
  gateway: Gateway | undefined;
  ceiling: Server | undefined;
  dataDir: string | undefined;
}

const callCounts = new Map<string, number>();
const callRecords: UpstreamCallRecord[] = [];
let isRecordingCalls = false;
let ceilingBody = Buffer.from('{}');
let ceilingContentType = 'application/json';
let profiler: Session | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function send(message: HostReadyMessage | HostReply, onSent?: () => void): void {
  process.send?.(message, undefined, undefined, onSent);
}

function parseSpec(): HostSpec {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('expected a host spec as JSON in argv[2], but got none');
  return JSON.parse(raw) as HostSpec;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function startCeiling(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    // The request body is not needed; draining it keeps keep-alive connections usable.
    _request.resume();
    response.writeHead(200, {
      'content-type': ceilingContentType,
      'content-length': ceilingBody.length,
    });
    response.end(ceilingBody);
  });
  const port = await listen(server);
  return { server, url: `http://127.0.0.1:${port}/` };
}

async function start(spec: HostSpec): Promise<Running> {
  const dataDir = spec.embedded ? mkdtempSync(join(tmpdir(), 'bench-host-')) : undefined;
  // Metrics on a free port: several hosts may run at once.
  const env = {
    METRICS_PORT: '0',
    ...spec.env,
    ...(dataDir === undefined ? {} : { DATA_DIR: dataDir }),
  };
  let embedded: SegmentationService | undefined;
  let upstreamBaseUrl: string | undefined;
  if (spec.embedded) {
    embedded = createSegmentationService(loadEmulatorConfig(env));
    upstreamBaseUrl = (await embedded.start(0, '127.0.0.1')).baseUrl;
  }
  let gateway: Gateway | undefined;
  let graphqlUrl: string | undefined;
  if (spec.gateway) {
    const config = loadGatewayConfig(env);
    const target = config.upstream.url ?? upstreamBaseUrl;
    if (target === undefined) {
      throw new Error('expected UPSTREAM_URL or the embedded service, but got neither');
    }
    // Production logging (one line per operation) into /dev/null: the cost of building each
    // line is counted, the cost of a terminal is not.
    const logger = pino({ level: config.logLevel }, pino.destination({ dest: '/dev/null' }));
    gateway = createGateway({
      config,
      upstreamBaseUrl: target,
      logger,
      onUpstreamCall: (event) => {
        // A call that got no answer (aborted when a load run closes its connections, a
        // timeout) is counted apart from answered ones.
        const key = callKey(event.method, event.path, event.status === undefined);
        callCounts.set(key, (callCounts.get(key) ?? 0) + 1);
        if (isRecordingCalls) {
          callRecords.push({
            method: event.method,
            path: event.path,
            status: event.status,
            endedAtMs: Date.now(),
            durationMs: event.durationMs,
          });
        }
      },
    });
    graphqlUrl = (await gateway.start(0, '127.0.0.1')).url;
  }
  const ceiling = spec.ceiling ? await startCeiling() : undefined;
  return {
    info: { pid: process.pid, graphqlUrl, upstreamBaseUrl, ceilingUrl: ceiling?.url },
    embedded,
    gateway,
    ceiling: ceiling?.server,
    dataDir,
  };
}

function memorySample(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    // Twice: the first pass may leave objects whose finalizers free more on the second.
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  return {
    afterGc: gc !== undefined,
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    externalBytes: usage.external,
    arrayBuffersBytes: usage.arrayBuffers,
  };
}

async function stop(running: Running): Promise<void> {
  await running.gateway?.stop();
  await running.embedded?.stop();
  if (running.ceiling !== undefined) {
    const server = running.ceiling;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (running.dataDir !== undefined) rmSync(running.dataDir, { recursive: true, force: true });
}

async function answer(
  running: Running,
  request: HostRequest,
): Promise<HostCommands[HostRequest['command']]['result']> {
  switch (request.command) {
    case 'info':
      return running.info;
    case 'setCeiling': {
      const args = request.args as HostCommands['setCeiling']['args'];
      ceilingBody = Buffer.from(args.body);
      ceilingContentType = args.contentType;
      return null;
    }
    case 'resetCalls': {
      const args = request.args as HostCommands['resetCalls']['args'];
      callCounts.clear();
      callRecords.length = 0;
      isRecordingCalls = args.record;
      return null;
    }
    case 'calls':
      return { counts: Object.fromEntries(callCounts), records: [...callRecords] };
    case 'stats': {
      const cpu = process.cpuUsage();
      return {
        sharedExecution: {
          ...(running.gateway?.app.sharedExecution ?? { executions: 0, shared: 0 }),
        },
        watcher: running.gateway?.watcher.stats() ?? {},
        webSockets: running.gateway?.app.webSocket.socketCount() ?? 0,
        openSubscriptions: running.gateway?.app.subscriptionQuota.total() ?? 0,
        webSocketBufferedBytes: running.gateway?.app.webSocket.bufferedBytes() ?? 0,
        cpuMicros: cpu.user + cpu.system,
      };
    }
    case 'memory':
      return memorySample();
    case 'loopDelay': {
      // The histogram counts in nanoseconds; its floor is the 10 ms sampling resolution.
      const result = { maxMs: loopDelay.max / 1e6, p99Ms: loopDelay.percentile(99) / 1e6 };
      loopDelay.reset();
      return result;
    }
    case 'cpuProfileStart': {
      if (profiler !== undefined) throw new Error('expected no profile in progress, but one is');
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return null;
    }
    case 'cpuProfileStop': {
      const args = request.args as HostCommands['cpuProfileStop']['args'];
      if (profiler === undefined) throw new Error('expected a profile in progress, but none is');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      writeFileSync(args.path, JSON.stringify(profile));
      return null;
    }
    case 'stop':
      await stop(running);
      return null;
  }
}

async function main(): Promise<void> {
  let running: Running;
  try {
    running = await start(parseSpec());
  } catch (error) {
    send({
      kind: 'failed',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exit(1);
  }
  let isStopping = false;
  process.on('message', (message: HostRequest) => {
    if (message.command === 'stop') isStopping = true;
    answer(running, message).then(
      (result) => {
        // Exit only once the answer is out, so the bench sees the stop acknowledged.
        const onSent = message.command === 'stop' ? () => process.exit(0) : undefined;
        send({ id: message.id, ok: true, result }, onSent);
      },
      (error: unknown) => {
        send({
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  });
  process.on('disconnect', () => {
    if (isStopping) return;
    // The bench went away without stopping us: do not linger.
    stop(running).finally(() => process.exit(1));
  });
  send({ kind: 'ready', info: running.info });
}

await main();
