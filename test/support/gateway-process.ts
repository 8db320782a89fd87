// Runs the gateway's real entry point as a child process (`src/main.ts` through tsx, or `npm
// start` itself: the built JavaScript) on a free port and reads its GraphQL URL from the start-up
// log line. It owns that child only; signalling, output and clean-up come from the process harness.
import { type RunningChild, spawnChild } from './process-harness.ts';

export interface GatewayProcessOptions {
  /**
   * Environment on top of quick, quiet defaults (PORT=0, loopback, LOG_LEVEL=info). Give
   * `UPSTREAM_URL` for a separate upstream, or `DATA_DIR` (and `EMULATOR_*`) for the embedded one.
   */
  env: Readonly<Record<string, string>>;
  /** @default 30_000 */
  startTimeoutMs?: number;
  /**
   * `source`: `node --import tsx src/main.ts`; `npm`: `npm start` (built first when stale) in a
   * process group of its own, as a terminal or a service manager runs it. @default 'source'
   */
  via?: 'source' | 'npm';
}

export interface GatewayProcess extends RunningChild {
  /** e.g. `http://127.0.0.1:40123/graphql` */
  readonly graphqlUrl: string;
  /** e.g. `http://127.0.0.1:40123` */
  readonly origin: string;
  readonly port: number;
  /** The embedded service's base URL when the process runs one. */
  readonly embeddedServiceUrl: string | undefined;
  /** The node process that serves (under `npm`, npm's child), read from its log lines. */
  readonly nodePid: number;
}

const DEFAULT_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  METRICS_PORT: '0',
  HOST: '127.0.0.1',
  EMULATOR_PORT: '0',
  EMULATOR_DEMO_PROFILES: '60',
  EMULATOR_STEP_MS: '20',
  UPSTREAM_RETRY_BASE_MS: '1',
  UPSTREAM_RETRY_MAX_MS: '20',
  SHUTDOWN_TIMEOUT_MS: '5000',
  LOG_LEVEL: 'info',
};

/** Starts the gateway and resolves once it logged `gateway started` with its URL. */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const child = spawnChild({
    script: options.via === 'npm' ? 'npm:start' : 'src/main.ts',
    env: { ...DEFAULT_ENV, ...options.env },
  });
  try {
    const started = await child.waitForLog((line) => {
      const { graphql, embeddedService, pid } = line;
      if (line.msg !== 'gateway started' || typeof graphql !== 'string') return undefined;
      return {
        nodePid: Number(pid),
        graphqlUrl: graphql,
        embeddedServiceUrl: typeof embeddedService === 'string' ? embeddedService : undefined,
      };
    }, options.startTimeoutMs ?? 30_000);
    const url = new URL(started.graphqlUrl);
    return { ...child, ...started, origin: url.origin, port: Number(url.port) };
  } catch (error) {
    await child.dispose();
    throw error;
  }
}
