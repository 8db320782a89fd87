// The gateway's Prometheus metrics: one registry per gateway (tests run several in a process),
// what each series means, and the bounded label values. It never listens and never reads a job
// id, an org, a user value or an operation's text into a label (see docs/operations.md).
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type LabelValues,
  Registry,
} from 'prom-client';

export type Transport = 'ws' | 'sse';
export type CacheName = 'final_jobs' | 'list_pages';
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';
export type OperationOutcome = 'ok' | 'error' | 'rejected';

/** One GraphQL operation, ended (or, for a subscription, started). */
export interface OperationRecord {
  type: OperationType;
  outcome: OperationOutcome;
  /** `extensions.code` of the first error; anything outside `ERROR_CODES` reads as `OTHER`. */
  errorCode: string | undefined;
  durationMs: number;
}

/** One upstream HTTP attempt, as the client reports it (no tenant, no id: the route template). */
export interface UpstreamRecord {
  method: string;
  endpoint: string;
  status: number | undefined;
  attempt: number;
  durationMs: number;
}

/** What the gauges read on each scrape; each source is optional until the gateway binds it. */
export interface MetricSources {
  watcherStats?: () => Record<
    string,
    { watchedIds: number; polledIds: number; bulkGetPostsPerTick: number; feedSubscribers: number }
  >;
  openCircuits?: () => number;
  droppedForeignJobs?: () => number;
  connections?: () => Record<Transport, number>;
  webSocketBufferedBytes?: () => number;
  sharedExecution?: () => { executions: number; shared: number };
  coalescedEvents?: () => number;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** The text of a scrape: the process's default metrics, then the gateway's. */
  scrape(): Promise<string>;
  readonly contentType: string;
  recordOperation(record: OperationRecord): void;
  recordUpstreamCall(record: UpstreamRecord): void;
  recordCircuitOpened(): void;
  recordTokenRequest(outcome: 'success' | 'failure'): void;
  /** A watcher read: the bulk-get of watched jobs or a feed list page. */
  recordWatcherRead(kind: 'jobs' | 'feed', outcome: 'ok' | 'error', durationMs: number): void;
  recordPublished(topicKind: 'job' | 'feed'): void;
  /** A lookup in a gateway cache (final jobs by id, list pages). */
  recordCacheLookup(cache: CacheName, result: 'hit' | 'miss'): void;
  /** Entries leaving a cache: full (capacity), too old (expired), or a change (invalidated). */
  recordCacheEviction(
    cache: CacheName,
    reason: 'capacity' | 'expired' | 'invalidated',
    count?: number,
  ): void;
  /** From the watcher's observation of a change to its write to a subscriber's transport. */
  recordPushLag(lagMs: number): void;
  recordWebSocketClose(code: number): void;
  subscriptionStarted(transport: Transport): void;
  subscriptionEnded(transport: Transport): void;
  bind(sources: MetricSources): void;
}

/** Error codes the gateway itself sets; any other value is counted as `OTHER`. */
export const ERROR_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_OUTCOME_UNKNOWN',
  'INTERNAL_SERVER_ERROR',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'CSRF_PREFLIGHT_REQUIRED',
  'REQUEST_ENTITY_TOO_LARGE',
  'SHUTTING_DOWN',
]);

/** Close codes with a meaning here (protocol and the gateway's own); others read as `other`. */
const CLOSE_CODES: ReadonlySet<number> = new Set([
  1000, 1001, 1005, 1006, 1008, 1009, 1011, 4008, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4499,
  4500, 4503,
]);

const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'DELETE']);

/** Operation names are a label only for persisted operations (a set the server owns). */
const NOT_PERSISTED = 'unpersisted';

const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// Heap, GC, event-loop lag and the like belong to the process, not to one gateway: one registry
// for them, made on the first scrape need, so several gateways in a process add no observers.
let processRegistry: Registry | undefined;
function defaultMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 20 });
  }
  return processRegistry;
}

export function statusClass(status: number | undefined): string {
  if (status === undefined) return 'network';
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx`;
  return 'other';
}

export function errorCodeLabel(code: string | undefined): string {
  if (code === undefined) return 'none';
  return ERROR_CODES.has(code) ? code : 'OTHER';
}

/** Creates the metrics of one gateway, with their own registry. */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  const processMetrics = defaultMetricsRegistry();
  let sources: MetricSources = {};
  const catchUp = createCatchUp();

  const operations = new Counter({
    name: 'gateway_graphql_operations_total',
    help: 'GraphQL operations by type, outcome and first error code (subscriptions: when they start).',
    labelNames: ['type', 'outcome', 'error_code', 'operation'] as const,
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'gateway_graphql_operation_duration_seconds',
    help: 'Time from execution start to result (subscriptions: to the source stream).',
    labelNames: ['type', 'outcome'] as const,
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  const upstreamRequests = new Counter({
    name: 'gateway_upstream_requests_total',
    help: 'Upstream HTTP attempts by method, route template and status class (network: no answer).',
    labelNames: ['method', 'endpoint', 'status_class'] as const,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Duration of one upstream HTTP attempt.',
    labelNames: ['method', 'endpoint'] as const,
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  const upstreamRetries = new Counter({
    name: 'gateway_upstream_retries_total',
    help: 'Upstream attempts after the first of a call (retries and sends after a token renewal).',
    labelNames: ['method', 'endpoint'] as const,
    registers: [registry],
  });
  const circuitOpenings = new Counter({
    name: 'gateway_upstream_circuit_openings_total',
    help: 'Times a tenant circuit went from closed to open.',
    registers: [registry],
  });
  new Gauge({
    name: 'gateway_upstream_circuits_open',
    help: 'Tenants whose upstream circuit is open right now.',
    registers: [registry],
    collect() {
      this.set(sources.openCircuits?.() ?? 0);
    },
  });
  const droppedForeign = new Counter({
    name: 'gateway_upstream_foreign_jobs_dropped_total',
    help: 'Jobs the upstream returned for another org or sandbox, dropped unseen.',
    registers: [registry],
    collect() {
      catchUp(this, 'dropped', sources.droppedForeignJobs?.() ?? 0);
    },
  });
  const tokenRequests = new Counter({
    name: 'gateway_ims_token_requests_total',
    help: 'Access token requests to Adobe IMS (first token and renewals), by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const subscriptions = new Gauge({
    name: 'gateway_subscriptions_active',
    help: 'Open GraphQL subscriptions by transport.',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'gateway_connections_active',
    help: 'Open live connections by transport (WebSockets, SSE responses).',
    labelNames: ['transport'] as const,
    registers: [registry],
    collect() {
      const counts = sources.connections?.() ?? { ws: 0, sse: 0 };
      this.set({ transport: 'ws' }, counts.ws);
      this.set({ transport: 'sse' }, counts.sse);
    },
  });
  new Gauge({
    name: 'gateway_websocket_buffered_bytes',
    help: 'Bytes waiting unsent across every WebSocket.',
    registers: [registry],
    collect() {
      this.set(sources.webSocketBufferedBytes?.() ?? 0);
    },
  });
  const webSocketCloses = new Counter({
    name: 'gateway_websocket_closes_total',
    help: 'WebSocket closes by code (4503: slow reader, 4008: too many messages, 1001: shutdown).',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const watcherGauges = {
    tenants: new Gauge({
      name: 'gateway_watcher_tenants',
      help: 'Tenants the watcher polls for on this replica.',
      registers: [registry],
      // The first of the five in the registry: it fills them all, reading the stats once.
      collect: () => fillWatcherGauges(),
    }),
    watched: new Gauge({
      name: 'gateway_watcher_watched_jobs',
      help: 'Job ids with at least one subscriber on this replica.',
      registers: [registry],
    }),
    polled: new Gauge({
      name: 'gateway_watcher_polled_jobs',
      help: 'Watched job ids still polled (not yet seen final).',
      registers: [registry],
    }),
    postsPerTick: new Gauge({
      name: 'gateway_watcher_bulk_get_posts_per_tick',
      help: 'Bulk-get POSTs one tick of every tenant makes, summed over tenants.',
      registers: [registry],
    }),
    feeds: new Gauge({
      name: 'gateway_watcher_feed_subscribers',
      help: 'Tenant feed subscribers on this replica.',
      registers: [registry],
    }),
  };
  function fillWatcherGauges(): void {
    const stats = Object.values(sources.watcherStats?.() ?? {});
    let watched = 0;
    let polled = 0;
    let posts = 0;
    let feeds = 0;
    for (const tenant of stats) {
      watched += tenant.watchedIds;
      polled += tenant.polledIds;
      posts += tenant.bulkGetPostsPerTick;
      feeds += tenant.feedSubscribers;
    }
    watcherGauges.tenants.set(stats.length);
    watcherGauges.watched.set(watched);
    watcherGauges.polled.set(polled);
    watcherGauges.postsPerTick.set(posts);
    watcherGauges.feeds.set(feeds);
  }
  const watcherReads = new Counter({
    name: 'gateway_watcher_polls_total',
    help: 'Watcher reads of the upstream: bulk-gets of watched jobs, feed list pages; by outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const watcherReadDuration = new Histogram({
    name: 'gateway_watcher_poll_duration_seconds',
    help: 'Duration of one watcher read (every chunk of a bulk-get, with retries).',
    labelNames: ['kind'] as const,
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  const published = new Counter({
    name: 'gateway_events_published_total',
    help: 'Job status events published on the bus, by topic kind (each change goes to both).',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const pushLag = new Histogram({
    name: 'gateway_push_lag_seconds',
    help: "From the watcher's observation of a job's state to the write of its result to a subscriber.",
    buckets: LAG_BUCKETS_S,
    registers: [registry],
  });
  new Counter({
    name: 'gateway_subscription_events_coalesced_total',
    help: 'Events merged into an unread event of the same job while a subscriber lagged (process-wide).',
    registers: [registry],
    collect() {
      catchUp(this, 'coalesced', sources.coalescedEvents?.() ?? 0);
    },
  });
  const sharedExecutions = new Counter({
    name: 'gateway_subscription_executions_total',
    help: 'Subscription events executed, and answered from the result of another subscriber.',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const stats = sources.sharedExecution?.() ?? { executions: 0, shared: 0 };
      catchUp(this, 'executed', stats.executions, { kind: 'executed' });
      catchUp(this, 'shared', stats.shared, { kind: 'shared' });
    },
  });
  const cacheLookups = new Counter({
    name: 'gateway_cache_lookups_total',
    help: 'Lookups in the gateway caches (final jobs by id, list pages), by result (hit, miss).',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
  });
  const cacheEvictions = new Counter({
    name: 'gateway_cache_evictions_total',
    help: 'Entries leaving the gateway caches, by reason (capacity, expired, invalidated).',
    labelNames: ['cache', 'reason'] as const,
    registers: [registry],
  });
  for (const cache of ['final_jobs', 'list_pages'] as const) {
    for (const result of ['hit', 'miss'] as const) cacheLookups.inc({ cache, result }, 0);
    for (const reason of ['capacity', 'expired', 'invalidated'] as const) {
      cacheEvictions.inc({ cache, reason }, 0);
    }
  }
  // Known label values start at zero, so a scrape shows the full set and rates start cleanly.
  for (const transport of ['ws', 'sse'] as const) subscriptions.set({ transport }, 0);
  tokenRequests.inc({ outcome: 'success' }, 0);
  tokenRequests.inc({ outcome: 'failure' }, 0);
  droppedForeign.inc(0);
  circuitOpenings.inc(0);
  sharedExecutions.inc({ kind: 'executed' }, 0);
  sharedExecutions.inc({ kind: 'shared' }, 0);

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      const [processText, gatewayText] = await Promise.all([
        processMetrics.metrics(),
        registry.metrics(),
      ]);
      return `${processText}\n${gatewayText}`;
    },
    recordOperation(record) {
      const outcome = record.outcome;
      operations.inc({
        type: record.type,
        outcome,
        error_code: errorCodeLabel(record.errorCode),
        operation: NOT_PERSISTED,
      });
      operationDuration.observe({ type: record.type, outcome }, record.durationMs / 1_000);
    },
    recordUpstreamCall(record) {
      const method = METHODS.has(record.method) ? record.method : 'other';
      const labels = { method, endpoint: record.endpoint };
      upstreamRequests.inc({ ...labels, status_class: statusClass(record.status) });
      upstreamDuration.observe(labels, record.durationMs / 1_000);
      if (record.attempt > 1) upstreamRetries.inc(labels);
    },
    recordCircuitOpened: () => circuitOpenings.inc(),
    recordTokenRequest: (outcome) => tokenRequests.inc({ outcome }),
    recordWatcherRead(kind, outcome, durationMs) {
      watcherReads.inc({ kind, outcome });
      watcherReadDuration.observe({ kind }, durationMs / 1_000);
    },
    recordPublished: (topic) => published.inc({ topic }),
    recordCacheLookup: (cache, result) => cacheLookups.inc({ cache, result }),
    recordCacheEviction: (cache, reason, count = 1) => cacheEvictions.inc({ cache, reason }, count),
    recordPushLag: (lagMs) => pushLag.observe(Math.max(0, lagMs) / 1_000),
    recordWebSocketClose(code) {
      webSocketCloses.inc({ code: CLOSE_CODES.has(code) ? String(code) : 'other' });
    },
    subscriptionStarted: (transport) => subscriptions.inc({ transport }),
    subscriptionEnded: (transport) => subscriptions.dec({ transport }),
    bind(next) {
      sources = { ...sources, ...next };
    },
  };
}

/**
 * Brings counters up to totals kept elsewhere (a counter never goes down): each call adds what
 * the total grew by since the last call with the same key.
 */
function createCatchUp() {
  const seen = new Map<string, number>();
  return <T extends string>(
    counter: Counter<T>,
    key: string,
    total: number,
    labels?: LabelValues<T>,
  ): void => {
    const delta = total - (seen.get(key) ?? 0);
    if (delta <= 0) return;
    seen.set(key, total);
    if (labels === undefined) counter.inc(delta);
    else counter.inc(labels, delta);
  };
}
