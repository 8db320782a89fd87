// Starts the real gateway (and, unless told otherwise, the real embedded Segmentation Service)
// on port 0 with a temp DATA_DIR, records every upstream call and log line, and disposes it all.
// Tests talk to it over real HTTP only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { pino } from 'pino';
import { type GatewayConfig, loadGatewayConfig } from '../../src/config/index.ts';
import { createSegmentationService } from '../../src/segmentation-service/index.ts';
import type { App } from '../../src/server/app.ts';
import { createGateway, type Gateway } from '../../src/server/gateway.ts';
import type { TenantResolver } from '../../src/tenants/index.ts';
import type { UpstreamCallEvent, UpstreamClient } from '../../src/upstream/types.ts';

/** The demo tenant's four passthrough headers (what the embedded service seeds). */
export const DEMO_HEADERS: Readonly<Record<string, string>> = {
  authorization: 'Bearer demo',
  'x-api-key': 'demo',
  'x-gw-ims-org-id': 'DEMO@AdobeOrg',
  'x-sandbox-name': 'prod',
};

/** Passthrough headers of any tenant. */
export function tenantHeaders(
  orgId: string,
  sandboxName = 'prod',
  token = `token-${orgId}`,
): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'x-api-key': 'test-client',
    'x-gw-ims-org-id': orgId,
    'x-sandbox-name': sandboxName,
  };
}

/** Settings that keep tests fast: tiny demo, quick steps, quick retries, no open circuits. */
const FAST_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  METRICS_PORT: '0',
  HOST: '127.0.0.1',
  EMULATOR_PORT: '0',
  EMULATOR_STEP_MS: '20',
  EMULATOR_DEMO_PROFILES: '60',
  UPSTREAM_TIMEOUT_MS: '2000',
  UPSTREAM_RETRY_BASE_MS: '1',
  UPSTREAM_RETRY_MAX_MS: '20',
  UPSTREAM_BREAKER_THRESHOLD: '1000',
  SHUTDOWN_TIMEOUT_MS: '2000',
  LOG_LEVEL: 'info',
};

export interface GatewayHarnessOptions {
  /** Environment on top of the fast defaults (AUTH_MODE, GRAPHQL_*, EMULATOR_*, ...). */
  env?: Record<string, string>;
  /** Use this upstream (e.g. the fake) instead of starting the embedded service. */
  upstreamBaseUrl?: string;
  /** Replace the tenant resolver (e.g. to make it fail in a way callers must not see). */
  tenants?: Pick<TenantResolver, 'fromHeaders' | 'fromConnectionParams'>;
  /** The gateway caches' clock, to age entries without waiting. @default Date.now */
  now?: () => number;
}

export interface GraphQLErrorJson {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: GraphQLErrorJson[];
}

export interface GatewayHarness {
  /** e.g. `http://127.0.0.1:12345/graphql` */
  readonly graphqlUrl: string;
  /** e.g. `http://127.0.0.1:12345` */
  readonly origin: string;
  /** The gateway's scrape URL (its own port), e.g. `http://127.0.0.1:23456/metrics`. */
  readonly metricsUrl: string | undefined;
  /** Base URL of the upstream in use (ends in `/data/core/ups`). */
  readonly upstreamBaseUrl: string;
  /** `POST /emulator/profiles` of the embedded service; undefined with another upstream. */
  readonly profilesUrl: string | undefined;
  readonly config: GatewayConfig;
  readonly app: App;
  readonly gateway: Gateway;
  readonly upstream: UpstreamClient;
  /** Every upstream HTTP attempt since start or the last `resetCalls()`. */
  readonly calls: UpstreamCallEvent[];
  /** Every log line the gateway wrote, parsed. */
  readonly logLines: Record<string, unknown>[];
  /** Sends a typed operation; `headers` are added to the JSON content type. */
  execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<TData>>;
  /** Sends a raw GraphQL-over-HTTP POST body. */
  post<TData = Record<string, unknown>>(
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<TData>>;
  /** Calls whose method and path (below the base URL) match. */
  callsTo(method: string, path: string | RegExp): UpstreamCallEvent[];
  resetCalls(): void;
  /** A REST call straight to the upstream, for test setup (never through the gateway). */
  upstreamRest(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

function captureLogs(lines: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
}

/** Starts the gateway (and the embedded service unless `upstreamBaseUrl` is given). */
export async function startGatewayHarness(
  options: GatewayHarnessOptions = {},
): Promise<GatewayHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-harness-'));
  const env: Record<string, string> = {
    ...FAST_ENV,
    DATA_DIR: dataDir,
    ...(options.upstreamBaseUrl === undefined ? {} : { UPSTREAM_URL: options.upstreamBaseUrl }),
    ...options.env,
  };
  const config = loadGatewayConfig(env);
  const logLines: Record<string, unknown>[] = [];
  const logger = pino({ level: config.logLevel }, captureLogs(logLines));
  const calls: UpstreamCallEvent[] = [];

  const embedded =
    config.emulator === undefined ? undefined : createSegmentationService(config.emulator);
  const service = embedded ? await embedded.start(0, '127.0.0.1') : undefined;
  const upstreamBaseUrl = config.upstream.url ?? service?.baseUrl;
  if (upstreamBaseUrl === undefined) throw new Error('expected an upstream, but got none');

  const gateway = createGateway({
    config,
    upstreamBaseUrl,
    logger,
    tenants: options.tenants,
    now: options.now,
    onUpstreamCall: (event) => calls.push(event),
  });
  const { app, upstream } = gateway;
  const { url, metricsUrl } = await gateway.start(0, '127.0.0.1');

  async function post<TData>(
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<TData>> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Omit<GraphQLResponse<TData>, 'status'>;
    return { status: response.status, ...json };
  }

  return {
    graphqlUrl: url,
    origin: new URL(url).origin,
    metricsUrl,
    upstreamBaseUrl,
    profilesUrl: service?.profilesUrl,
    config,
    app,
    gateway,
    upstream,
    calls,
    logLines,
    execute: (document, variables, headers) =>
      post({ query: print(document), variables: variables ?? {} }, headers),
    post,
    callsTo: (method, path) =>
      calls.filter(
        (call) =>
          call.method === method &&
          (typeof path === 'string' ? call.path === path : path.test(call.path)),
      ),
    resetCalls: () => {
      calls.length = 0;
    },
    async upstreamRest(method, path, headers, body) {
      const response = await fetch(`${upstreamBaseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    async close() {
      await gateway.stop();
      await embedded?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `predicate` until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function waitForValue<T>(
  predicate: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'the condition',
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Definitions of a tenant on the embedded service, created straight through its REST API. */
export async function createDefinitions(
  harness: GatewayHarness,
  headers: Record<string, string>,
  expressions: readonly string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const [index, value] of expressions.entries()) {
    const response = await harness.upstreamRest('POST', '/segment/definitions', headers, {
      name: `definition ${index}`,
      expression: { type: 'PQL', format: 'pql/text', value },
      schema: { name: '_xdm.context.profile' },
    });
    if (response.status >= 300) {
      throw new Error(
        `expected the definition to be created, but got ${response.status}: ${JSON.stringify(response.body)}`,
      );
    }
    ids.push((response.body as { id: string }).id);
  }
  return ids;
}
