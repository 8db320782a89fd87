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
  /** Creates a definition every demo profile qualifies for (`loyalty.points >= 0`); its id. */
  createDefinition(headers: Record<string, string>): Promise<string>;
  /** Creates a job over the definitions straight on the service; its id. */
  createJob(headers: Record<string, string>, definitionIds: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** The `id` of a created resource, or an error naming what came back instead. */
function createdId(what: string, response: { status: number; body: unknown }): string {
  const id = (response.body as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string') {
    throw new Error(
      `expected ${what}, but got ${response.status}: ${JSON.stringify(response.body)}`,
    );
  }
  return id;
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
  const rest: StandaloneService['rest'] = async (method, path, headers, body) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    baseUrl,
    rest,
    async createDefinition(headers) {
      const response = await rest('POST', '/segment/definitions', headers, {
        name: 'everyone with points',
        expression: { type: 'PQL', format: 'pql/text', value: 'loyalty.points >= 0' },
        schema: { name: '_xdm.context.profile' },
      });
      return createdId('a definition', response);
    },
    async createJob(headers, definitionIds) {
      const body = definitionIds.map((segmentId) => ({ segmentId }));
      return createdId('a job', await rest('POST', '/segment/jobs', headers, body));
    },
    async stop() {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
