// The real embedded Segmentation Service on its own (port 0, temp DATA_DIR), for tests that put
// something between it and the gateway (a fault proxy) or share it between two gateways.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmulatorConfig } from '../../src/config/index.ts';
import { createSegmentationService } from '../../src/segmentation-service/index.ts';

export interface StandaloneService {
  /** Ends in `/data/core/ups`. */
  readonly baseUrl: string;
  /** A REST call straight to the service. */
  rest(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** Starts the service with a small demo and `env` on top (e.g. `EMULATOR_STEP_MS`). */
export async function startStandaloneService(
  env: Record<string, string> = {},
): Promise<StandaloneService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'standalone-service-'));
  const config = loadEmulatorConfig({
    EMULATOR_STEP_MS: '20',
    EMULATOR_DEMO_PROFILES: '60',
    LOG_LEVEL: 'info',
    ...env,
    DATA_DIR: dataDir,
  });
  const service = createSegmentationService(config);
  const { baseUrl } = await service.start(0, '127.0.0.1');
  return {
    baseUrl,
    async rest(method, path, headers, body) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    async stop() {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
