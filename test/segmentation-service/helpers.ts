// Test helpers for the embedded Segmentation Service: a real service on port 0 over a temp
// DATA_DIR, a small HTTP client per tenant, and waitFor() that polls a condition with a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmulatorConfig } from '../../src/config/index.ts';
import {
  createSegmentationService,
  type SegmentationService,
  type SegmentationServiceOptions,
} from '../../src/segmentation-service/index.ts';

export interface TestTenant {
  orgId: string;
  sandboxName: string;
}

export const TENANT_A: TestTenant = { orgId: 'AAAA1111@AdobeOrg', sandboxName: 'prod' };
export const TENANT_B: TestTenant = { orgId: 'BBBB2222@AdobeOrg', sandboxName: 'prod' };
/** Same org as A, another sandbox. */
export const TENANT_A_DEV: TestTenant = { orgId: 'AAAA1111@AdobeOrg', sandboxName: 'dev' };

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'segmentation-service-'));
}

export interface RunningService {
  service: SegmentationService;
  baseUrl: string;
  profilesUrl: string;
  dataDir: string;
  /** Settles when the demo seed is over (see `StartedService.demoSeeded`). */
  demoSeeded: Promise<boolean>;
  /** Stops the service; the data dir stays (see `dispose`). */
  stop(): Promise<void>;
  /** Stops the service and removes the data dir. */
  dispose(): Promise<void>;
}

export type ServiceOverrides = Partial<SegmentationServiceOptions>;

export async function startService(overrides: ServiceOverrides = {}): Promise<RunningService> {
  const dataDir = overrides.dataDir ?? tempDataDir();
  const service = createSegmentationService({
    ...loadEmulatorConfig({}),
    seedDemo: false,
    stepMs: 5,
    ...overrides,
    dataDir,
  });
  const { baseUrl, profilesUrl, demoSeeded } = await service.start(0, '127.0.0.1');
  return {
    service,
    baseUrl,
    profilesUrl,
    dataDir,
    demoSeeded,
    stop: () => service.stop(),
    dispose: async () => {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HttpResult<T> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface RequestOptions {
  /** Sent as is instead of JSON-encoding `body`. */
  rawBody?: string;
  /** Replaces (or with `undefined`, removes) default headers. */
  headers?: Record<string, string | undefined>;
}

export function tenantHeaders(tenant: TestTenant): Record<string, string> {
  return {
    authorization: 'Bearer test-token',
    'x-api-key': 'test-key',
    'x-gw-ims-org-id': tenant.orgId,
    'x-sandbox-name': tenant.sandboxName,
  };
}

/** A client for one tenant; paths are relative to the base URL unless they start with http. */
export function createClient(baseUrl: string, tenant: TestTenant) {
  async function request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...tenantHeaders(tenant) };
    const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    const url = path.startsWith('http') ? path : `${baseUrl}${path}`;
    const response = await fetch(url, { method, headers, body: payload });
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  }
  return {
    request,
    get: <T = unknown>(path: string, options?: RequestOptions) =>
      request<T>('GET', path, undefined, options),
    post: <T = unknown>(path: string, body: unknown, options?: RequestOptions) =>
      request<T>('POST', path, body, options),
    patch: <T = unknown>(path: string, body: unknown, options?: RequestOptions) =>
      request<T>('PATCH', path, body, options),
    delete: <T = unknown>(path: string, options?: RequestOptions) =>
      request<T>('DELETE', path, undefined, options),
  };
}

export type Client = ReturnType<typeof createClient>;

/**
 * Polls `probe` until it returns a value other than `undefined`, or fails after `timeoutMs`
 * with the last value seen.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export interface JobView {
  id: string;
  status: string;
  updateTime: number;
  creationTime: number;
  segments: { segmentId: string; segment?: { id: string } }[];
  metrics: {
    totalTime: { startTimeInMs?: number; endTimeInMs?: number; totalTimeInMs?: number };
    profileSegmentationTime: {
      startTimeInMs?: number;
      endTimeInMs?: number;
      totalTimeInMs?: number;
    };
    totalProfiles?: number;
    segmentedProfileCounter?: Record<string, number>;
    segmentedProfileByNamespaceCounter?: Record<string, Record<string, number>>;
    segmentedProfileByStatusCounter?: Record<string, { realized: number; exited: number }>;
    totalProfilesByMergePolicy?: Record<string, number>;
  };
  errors?: { code: string; msg: string }[];
  [key: string]: unknown;
}

export interface DefinitionView {
  id: string;
  name: string;
  mergePolicyId: string;
  expression: { type: string; format: string; value: string };
  [key: string]: unknown;
}

export interface ServiceErrorView {
  requestId: string;
  type: string;
  title: string;
  status: number;
  errors: Record<string, { code: string; message: string }[]>;
}

/** The first message of a segmentation-service error body. */
export function errorMessage(body: unknown): string {
  const errors = (body as ServiceErrorView).errors;
  return Object.values(errors)[0]?.[0]?.message ?? '';
}

export async function createDefinition(
  client: Client,
  name: string,
  pql: string,
): Promise<DefinitionView> {
  const response = await client.post<DefinitionView>('/segment/definitions', {
    name,
    expression: { type: 'PQL', format: 'pql/text', value: pql },
    schema: { name: '_xdm.context.profile' },
  });
  if (response.status !== 200) {
    throw new Error(`creating definition ${name} failed: ${response.status} ${response.text}`);
  }
  return response.body;
}

export async function createJob(client: Client, segmentIds: readonly string[]): Promise<JobView> {
  const response = await client.post<JobView>(
    '/segment/jobs',
    segmentIds.map((segmentId) => ({ segmentId })),
  );
  if (response.status !== 200) {
    throw new Error(`creating a job failed: ${response.status} ${response.text}`);
  }
  return response.body;
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function waitForFinal(client: Client, jobId: string): Promise<JobView> {
  return waitFor(async () => {
    const { body } = await client.get<JobView>(`/segment/jobs/${jobId}`);
    return FINAL.has(body.status) ? body : undefined;
  }, `job ${jobId} to reach a final status`);
}

/** Uploads profiles for the client's tenant through `POST /emulator/profiles`. */
export async function loadProfiles(
  client: Client,
  profilesUrl: string,
  profiles: readonly unknown[],
  replace = false,
) {
  const response = await client.post<{
    received: number;
    created: number;
    updated: number;
    deleted: number;
    totalProfiles: number;
  }>(profilesUrl, { profiles, replace });
  if (response.status !== 200) {
    throw new Error(`loading profiles failed: ${response.status} ${response.text.slice(0, 300)}`);
  }
  return response.body;
}

/** A minimal profile with one primary ECID identity. */
export function simpleProfile(id: string, fields: Record<string, unknown> = {}) {
  return { identityMap: { ECID: [{ id, primary: true }] }, ...fields };
}
