// Configuration of the gateway, read once from the environment and validated with every
// problem reported. The only other reader of process.env is the emulator's config.
import { z } from 'zod';
import { type EmulatorConfig, loadEmulatorConfig } from './emulator.ts';
import {
  boolVar,
  ConfigError,
  type Env,
  intVar,
  listVar,
  logLevelVar,
  optionalString,
  parseEnv,
  urlVar,
} from './parse.ts';

export const DEFAULT_IMS_URL = 'https://ims-na1.adobelogin.com/ims/token/v3';
export const DEFAULT_SCOPES =
  'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session';

/** The demo tenant the embedded service seeds, used by `npm start` with no UPSTREAM_URL. */
export const DEMO_TENANT = {
  orgId: 'DEMO@AdobeOrg',
  sandboxName: 'prod',
  apiKey: 'demo',
  accessToken: 'demo',
} as const;

export type ServiceCredential =
  | { kind: 'static'; accessToken: string; apiKey: string; orgId: string; sandboxName: string }
  | {
      kind: 'ims';
      clientId: string;
      clientSecret: string;
      scopes: string;
      imsUrl: string;
      apiKey: string;
      orgId: string;
      sandboxName: string;
    };

export interface UpstreamSettings {
  /** Base URL ending before `/segment/jobs`. Undefined: the embedded service. */
  url: string | undefined;
  /** @default 10000 */
  timeoutMs: number;
  /** Attempts for idempotent reads (GET, bulk-get, DELETE). @default 3 */
  maxAttempts: number;
  /** @default 200 */
  retryBaseMs: number;
  /** @default 5000 */
  retryMaxMs: number;
  /** Keep-alive connections per upstream origin. @default 64 */
  connections: number;
  /** Consecutive failures (per tenant) that open the circuit. @default 5 */
  breakerThreshold: number;
  /** @default 10000 */
  breakerCooldownMs: number;
  /** Ids per bulk-get call. @default 100 */
  bulkGetMaxIds: number;
  /**
   * Largest upstream response body, counted while reading. The largest answer we ask for is a
   * page of 100 jobs (list or bulk-get). A usual job is a few KB; one naming hundreds of segments,
   * each with its PQL expression and large metrics (per-segment counters by namespace and by
   * status, per merge policy), reaches about 100 KB, so the worst page is near 10 MB. 16 MiB
   * covers it with headroom, and bounds memory to 16 MiB per in-flight call instead of whatever
   * a broken or hostile upstream sends. @default 16777216
   */
  maxBodyBytes: number;
  /**
   * Upstream calls of one tenant in flight at once, a quarter of the default pool, so a tenant
   * whose upstream is slow holds at most that share of the connections. @default 16
   */
  maxConcurrencyPerTenant: number;
  /** Calls of one tenant waiting for a slot; more fail fast with RATE_LIMITED. @default 256 */
  maxQueuedPerTenant: number;
  /**
   * The longest upstream `Retry-After` believed; a longer one (or a date that far ahead) reads
   * as this, so a throttled tenant's subscriptions look again after five minutes. @default 300000
   */
  retryAfterMaxMs: number;
}

/**
 * `off`: documents as text only; `allow`: text, or the hash of an operation of the client
 * manifest; `require`: manifest hashes only (a locked API for production frontends).
 */
export type PersistedOperationsMode = 'off' | 'allow' | 'require';

export interface GraphqlLimits {
  /** @default true */
  introspection: boolean;
  /** Persisted operations (client/generated/persisted-documents.json). @default 'allow' */
  persistedOperations: PersistedOperationsMode;
  /** @default 8 */
  maxDepth: number;
  /** @default 15 */
  maxAliases: number;
  /** @default 10 */
  maxDirectives: number;
  /** @default 2000 */
  maxTokens: number;
  /** @default 5000 */
  maxCost: number;
  /** @default 100000 */
  maxBodyBytes: number;
  /**
   * List items (segments, metric entries, namespaces, errors) one execution may resolve from
   * upstream-sized data; checked while resolving. @default 20000
   */
  maxResolvedItems: number;
  /**
   * `GRAPHQL_JIT` (on|off): queries and mutations run compiled by graphql-jit, answers identical
   * to graphql-js (test/gateway/compiled-execution.test.ts). @default true
   */
  jit: boolean;
}

export interface SubscriptionLimits {
  /** @default 2000 */
  pollIntervalMs: number;
  /** @default 3000 */
  connectionInitTimeoutMs: number;
  /** @default 12000 */
  keepAliveMs: number;
  /** @default 65536 */
  maxPayloadBytes: number;
  /** @default 20 */
  maxPerConnection: number;
  /** @default 1000 */
  maxPerTenant: number;
  /**
   * Bytes that may wait unsent on one WebSocket (its `bufferedAmount`) or SSE response; past it
   * the WebSocket is closed with 4503, the SSE stream ended. @default 1048576
   */
  maxBufferedBytes: number;
  /** Messages per second one WebSocket may send, after a burst; past it: close 4008. @default 50 */
  messageRate: number;
  /** Messages one WebSocket may send at once before `messageRate` applies. @default 100 */
  messageBurst: number;
  /** Interval of the SSE comment ping (`:`); 0 turns it off. @default 12000 */
  sseKeepAliveMs: number;
  /** An SSE response whose writes have not drained for this long is ended. @default 30000 */
  sseWriteDeadlineMs: number;
}

export interface FleetSettings {
  /** Prefix of every Redis key the fleet writes. @default 'segment-jobs-gateway' */
  keyPrefix: string;
  /** Lifetime of a tenant's polling lease without renewal. @default 5000 */
  leaseMs: number;
  /** How long a tenant's last published job states stay in Redis after the last write. @default 3600000 */
  stateTtlMs: number;
  /** Events kept per tenant stream (approximate trim). @default 10000 */
  streamMaxLength: number;
  /** Age past which stream events are trimmed. @default 86400000 */
  streamMaxAgeMs: number;
  /**
   * `FEED_LINGER_MS`: how long a tenant's feed is still polled into its stream after its last
   * feed subscriber left, so a reconnect resumes without a gap; 0 turns it off. @default 300000
   */
  feedLingerMs: number;
}

export interface GatewayConfig {
  /** @default 4000 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  upstream: UpstreamSettings;
  /** The embedded service's settings; set exactly when `upstream.url` is undefined. */
  emulator: EmulatorConfig | undefined;
  auth:
    | { mode: 'passthrough' }
    | { mode: 'service'; credential: ServiceCredential; gatewayApiKeys: string[] };
  graphql: GraphqlLimits;
  subscriptions: SubscriptionLimits;
  /** Allowed WebSocket/browser origins; empty: any. */
  allowedOrigins: string[];
  /** Serves the job board page at /board (`BOARD`: on|off; default on with the embedded service). */
  board: boolean;
  /** Redis for cross-replica events; undefined: in-memory. */
  redisUrl: string | undefined;
  /** One poller per tenant across replicas sharing `redisUrl` (docs/subscriptions.md). */
  fleet: FleetSettings;
  /** @default 10000 */
  shutdownTimeoutMs: number;
  /**
   * After SIGTERM, how long the gateway keeps serving with `/readyz` answering 503 before it
   * stops accepting, so a load balancer can stop sending new requests first. @default 0
   */
  shutdownDelayMs: number;
  logLevel: string;
  metrics: MetricsSettings;
  tracing: TracingSettings;
  /** The job caches in front of the upstream (docs/caching.md). */
  cache: CacheSettings;
}

export interface CacheSettings {
  /** `FINAL_JOB_CACHE_SIZE`: final jobs held across all tenants; 0 turns it off. @default 10000 */
  finalJobMaxEntries: number;
  /**
   * `FINAL_JOB_TTL_MS`: how long a final job is served after it was read or observed, hence how
   * long a job deleted by someone else stays readable. @default 60000
   */
  finalJobTtlMs: number;
  /** `LIST_CACHE_TTL_MS`: how long a list page is served; 0 turns it off. @default 0 */
  listTtlMs: number;
}

export interface MetricsSettings {
  /**
   * Port of the separate `/metrics` listener (0: any free port); undefined when `METRICS_PORT`
   * is `off`. Never the public port: a scrape sees operational detail clients need not.
   * @default 9464
   */
  port: number | undefined;
  /** @default '127.0.0.1' */
  host: string;
}

export interface TracingSettings {
  /** OTLP/HTTP collector base URL (`/v1/traces` is added); undefined: tracing off. */
  otlpEndpoint: string | undefined;
  /** `service.name` of the spans. @default 'segment-jobs-gateway' */
  serviceName: string;
}

/** `PERSISTED_OPERATIONS`: off, allow or require (case ignored). */
const persistedOperationsVar = z
  .string()
  .optional()
  .transform((raw, ctx): PersistedOperationsMode => {
    const value = raw?.trim().toLowerCase() ?? '';
    if (value === '') return 'allow';
    if (value === 'off' || value === 'allow' || value === 'require') return value;
    ctx.addIssue({ code: 'custom', message: `expected off, allow or require, but got "${raw}"` });
    return z.NEVER;
  });

/** `METRICS_PORT`: a port, or `off` for no metrics listener. */
const metricsPortVar = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === '') return 9464;
    if (raw.trim().toLowerCase() === 'off') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65_535) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a port from 0 to 65535 or "off", but got "${raw}"`,
      });
      return z.NEVER;
    }
    return value;
  });

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export function loadGatewayConfig(env: Env): GatewayConfig {
  const e = parseEnv(
    {
      PORT: intVar(4000, 0, 65_535),
      HOST: optionalString(),
      UPSTREAM_URL: urlVar(),
      UPSTREAM_TIMEOUT_MS: intVar(10_000, 1, 600_000),
      UPSTREAM_MAX_ATTEMPTS: intVar(3, 1, 10),
      UPSTREAM_RETRY_BASE_MS: intVar(200, 0, 60_000),
      UPSTREAM_RETRY_MAX_MS: intVar(5_000, 0, 600_000),
      UPSTREAM_CONNECTIONS: intVar(64, 1, 10_000),
      UPSTREAM_BREAKER_THRESHOLD: intVar(5, 1, 1_000),
      UPSTREAM_BREAKER_COOLDOWN_MS: intVar(10_000, 1, 600_000),
      BULK_GET_MAX_IDS: intVar(100, 1, 100),
      UPSTREAM_MAX_BODY_BYTES: intVar(16 * 1024 * 1024, 65_536, 1024 * 1024 * 1024),
      UPSTREAM_MAX_CONCURRENCY_PER_TENANT: intVar(16, 1, 10_000),
      UPSTREAM_MAX_QUEUED_PER_TENANT: intVar(256, 0, 100_000),
      // One hour at most: the watcher never waits longer, whatever this says.
      UPSTREAM_RETRY_AFTER_MAX_MS: intVar(300_000, 1_000, 3_600_000),
      POLL_INTERVAL_MS: intVar(2_000, 10, 3_600_000),
      AUTH_MODE: optionalString(),
      AEP_ACCESS_TOKEN: optionalString(),
      AEP_CLIENT_ID: optionalString(),
      AEP_CLIENT_SECRET: optionalString(),
      AEP_SCOPES: optionalString(),
      AEP_IMS_URL: urlVar(),
      AEP_API_KEY: optionalString(),
      AEP_ORG_ID: optionalString(),
      AEP_SANDBOX_NAME: optionalString(),
      GATEWAY_API_KEYS: listVar(),
      GRAPHQL_INTROSPECTION: boolVar(true),
      PERSISTED_OPERATIONS: persistedOperationsVar,
      GRAPHQL_MAX_DEPTH: intVar(8, 1, 100),
      GRAPHQL_MAX_ALIASES: intVar(15, 1, 1_000),
      GRAPHQL_MAX_DIRECTIVES: intVar(10, 0, 1_000),
      GRAPHQL_MAX_TOKENS: intVar(2_000, 10, 1_000_000),
      GRAPHQL_MAX_COST: intVar(5_000, 1, 10_000_000),
      GRAPHQL_MAX_BODY_BYTES: intVar(100_000, 1_024, 100_000_000),
      GRAPHQL_MAX_RESOLVED_ITEMS: intVar(20_000, 1, 100_000_000),
      WS_CONNECTION_INIT_TIMEOUT_MS: intVar(3_000, 100, 600_000),
      WS_KEEP_ALIVE_MS: intVar(12_000, 0, 600_000),
      WS_MAX_PAYLOAD_BYTES: intVar(65_536, 1_024, 100_000_000),
      SUBSCRIPTIONS_PER_CONNECTION: intVar(20, 1, 10_000),
      SUBSCRIPTIONS_PER_TENANT: intVar(1_000, 1, 1_000_000),
      WS_MAX_BUFFERED_BYTES: intVar(1_048_576, 1_024, 1_073_741_824),
      WS_MESSAGE_RATE: intVar(50, 1, 1_000_000),
      WS_MESSAGE_BURST: intVar(100, 1, 1_000_000),
      SSE_KEEP_ALIVE_MS: intVar(12_000, 0, 600_000),
      SSE_WRITE_DEADLINE_MS: intVar(30_000, 100, 600_000),
      ALLOWED_ORIGINS: listVar(),
      REDIS_URL: optionalString(),
      REDIS_KEY_PREFIX: optionalString(),
      FLEET_LEASE_MS: intVar(5_000, 100, 600_000),
      FLEET_STATE_TTL_MS: intVar(3_600_000, 1_000, 604_800_000),
      FEED_STREAM_MAX_LENGTH: intVar(10_000, 10, 10_000_000),
      FEED_STREAM_MAX_AGE_MS: intVar(86_400_000, 1_000, 2_592_000_000),
      FEED_LINGER_MS: intVar(300_000, 0, 86_400_000),
      SHUTDOWN_TIMEOUT_MS: intVar(10_000, 100, 600_000),
      SHUTDOWN_DELAY_MS: intVar(0, 0, 600_000),
      LOG_LEVEL: logLevelVar,
      METRICS_PORT: metricsPortVar,
      METRICS_HOST: optionalString(),
      OTEL_EXPORTER_OTLP_ENDPOINT: urlVar(),
      OTEL_SERVICE_NAME: optionalString(),
      BOARD: z.enum(['on', 'off']).optional(),
      GRAPHQL_JIT: z.enum(['on', 'off']).default('on'),
      FINAL_JOB_CACHE_SIZE: intVar(10_000, 0, 10_000_000),
      FINAL_JOB_TTL_MS: intVar(60_000, 1, 86_400_000),
      LIST_CACHE_TTL_MS: intVar(0, 0, 600_000),
    },
    env,
  );
  const problems: string[] = [];
  const host = e.HOST ?? '127.0.0.1';
  const isEmbedded = e.UPSTREAM_URL === undefined;
  const auth = resolveAuth(e, isEmbedded, host, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: e.PORT,
    host,
    upstream: {
      url: e.UPSTREAM_URL,
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      maxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
      retryBaseMs: e.UPSTREAM_RETRY_BASE_MS,
      retryMaxMs: e.UPSTREAM_RETRY_MAX_MS,
      connections: e.UPSTREAM_CONNECTIONS,
      breakerThreshold: e.UPSTREAM_BREAKER_THRESHOLD,
      breakerCooldownMs: e.UPSTREAM_BREAKER_COOLDOWN_MS,
      bulkGetMaxIds: e.BULK_GET_MAX_IDS,
      maxBodyBytes: e.UPSTREAM_MAX_BODY_BYTES,
      maxConcurrencyPerTenant: e.UPSTREAM_MAX_CONCURRENCY_PER_TENANT,
      maxQueuedPerTenant: e.UPSTREAM_MAX_QUEUED_PER_TENANT,
      retryAfterMaxMs: e.UPSTREAM_RETRY_AFTER_MAX_MS,
    },
    emulator: isEmbedded ? loadEmulatorConfig(env) : undefined,
    board: (e.BOARD ?? (isEmbedded ? 'on' : 'off')) === 'on',
    auth,
    graphql: {
      introspection: e.GRAPHQL_INTROSPECTION,
      persistedOperations: e.PERSISTED_OPERATIONS,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxCost: e.GRAPHQL_MAX_COST,
      maxBodyBytes: e.GRAPHQL_MAX_BODY_BYTES,
      maxResolvedItems: e.GRAPHQL_MAX_RESOLVED_ITEMS,
      jit: e.GRAPHQL_JIT === 'on',
    },
    subscriptions: {
      pollIntervalMs: e.POLL_INTERVAL_MS,
      connectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
      keepAliveMs: e.WS_KEEP_ALIVE_MS,
      maxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
      maxPerConnection: e.SUBSCRIPTIONS_PER_CONNECTION,
      maxPerTenant: e.SUBSCRIPTIONS_PER_TENANT,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      messageRate: e.WS_MESSAGE_RATE,
      messageBurst: e.WS_MESSAGE_BURST,
      sseKeepAliveMs: e.SSE_KEEP_ALIVE_MS,
      sseWriteDeadlineMs: e.SSE_WRITE_DEADLINE_MS,
    },
    allowedOrigins: e.ALLOWED_ORIGINS,
    redisUrl: e.REDIS_URL,
    fleet: {
      keyPrefix: e.REDIS_KEY_PREFIX ?? 'segment-jobs-gateway',
      leaseMs: e.FLEET_LEASE_MS,
      stateTtlMs: e.FLEET_STATE_TTL_MS,
      streamMaxLength: e.FEED_STREAM_MAX_LENGTH,
      streamMaxAgeMs: e.FEED_STREAM_MAX_AGE_MS,
      feedLingerMs: e.FEED_LINGER_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    logLevel: e.LOG_LEVEL,
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST ?? '127.0.0.1' },
    tracing: {
      otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: e.OTEL_SERVICE_NAME ?? 'segment-jobs-gateway',
    },
    cache: {
      finalJobMaxEntries: e.FINAL_JOB_CACHE_SIZE,
      finalJobTtlMs: e.FINAL_JOB_TTL_MS,
      listTtlMs: e.LIST_CACHE_TTL_MS,
    },
  };
}

type ParsedAuthEnv = {
  AUTH_MODE: string | undefined;
  AEP_ACCESS_TOKEN: string | undefined;
  AEP_CLIENT_ID: string | undefined;
  AEP_CLIENT_SECRET: string | undefined;
  AEP_SCOPES: string | undefined;
  AEP_IMS_URL: string | undefined;
  AEP_API_KEY: string | undefined;
  AEP_ORG_ID: string | undefined;
  AEP_SANDBOX_NAME: string | undefined;
  GATEWAY_API_KEYS: string[];
};

function resolveAuth(
  e: ParsedAuthEnv,
  isEmbedded: boolean,
  host: string,
  problems: string[],
): GatewayConfig['auth'] {
  const hasServiceCredential = e.AEP_ACCESS_TOKEN !== undefined || e.AEP_CLIENT_ID !== undefined;
  const mode = e.AUTH_MODE ?? (hasServiceCredential || isEmbedded ? 'service' : 'passthrough');
  if (mode !== 'passthrough' && mode !== 'service') {
    problems.push(`AUTH_MODE: expected passthrough or service, but got "${mode}"`);
    return { mode: 'passthrough' };
  }
  if (mode === 'passthrough') return { mode };

  const credential = resolveServiceCredential(e, isEmbedded, problems);
  const mayRunOpen = isEmbedded && LOOPBACK_HOSTS.has(host);
  if (e.GATEWAY_API_KEYS.length === 0 && !mayRunOpen) {
    problems.push(
      'GATEWAY_API_KEYS: service mode needs at least one gateway key (comma-separated), unless the gateway runs with the embedded upstream on a loopback HOST',
    );
  }
  return { mode, credential, gatewayApiKeys: e.GATEWAY_API_KEYS };
}

function resolveServiceCredential(
  e: ParsedAuthEnv,
  isEmbedded: boolean,
  problems: string[],
): ServiceCredential {
  const hasOwn = e.AEP_ACCESS_TOKEN !== undefined || e.AEP_CLIENT_ID !== undefined;
  if (!hasOwn && isEmbedded) {
    return { kind: 'static', ...DEMO_TENANT };
  }
  const orgId = e.AEP_ORG_ID ?? '';
  const sandboxName = e.AEP_SANDBOX_NAME ?? 'prod';
  if (orgId === '') problems.push('AEP_ORG_ID: required in service mode (e.g. 1234@AdobeOrg)');
  if (e.AEP_ACCESS_TOKEN !== undefined) {
    const apiKey = e.AEP_API_KEY ?? e.AEP_CLIENT_ID ?? '';
    if (apiKey === '')
      problems.push('AEP_API_KEY: required with AEP_ACCESS_TOKEN (or set AEP_CLIENT_ID)');
    return { kind: 'static', accessToken: e.AEP_ACCESS_TOKEN, apiKey, orgId, sandboxName };
  }
  if (e.AEP_CLIENT_ID === undefined) {
    problems.push('AEP_ACCESS_TOKEN or AEP_CLIENT_ID: service mode needs a credential');
  }
  if (e.AEP_CLIENT_SECRET === undefined) {
    problems.push('AEP_CLIENT_SECRET: required with AEP_CLIENT_ID');
  }
  return {
    kind: 'ims',
    clientId: e.AEP_CLIENT_ID ?? '',
    clientSecret: e.AEP_CLIENT_SECRET ?? '',
    scopes: e.AEP_SCOPES ?? DEFAULT_SCOPES,
    imsUrl: e.AEP_IMS_URL ?? DEFAULT_IMS_URL,
    apiKey: e.AEP_API_KEY ?? e.AEP_CLIENT_ID ?? '',
    orgId,
    sandboxName,
  };
}
