// /metrics of a real gateway over the real embedded service: after traffic from two tenants
// (queries, a mutation, subscriptions over WebSocket and SSE, upstream and GraphQL errors) the
// series hold the counts the traffic implies, and their number does not grow with the number of
// jobs: no label carries a job id, an org, a token or an operation's text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTemplate } from '../../src/upstream/route-template.ts';
import {
  CancelSegmentJobDocument,
  SegmentJobDocument,
  SegmentJobStatusChangedDocument,
  SegmentJobsByIdsDocument,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { type Series, scrape, sumOf } from '../support/prometheus-text.ts';
import { createJobOnUpstream, createJobThroughGateway } from '../support/subscription-jobs.ts';
import { subscribeSse } from '../support/subscription-sse.ts';
import { connectWs } from '../support/ws-client.ts';

const TENANTS = [
  { orgId: 'METRICSA1@AdobeOrg', transport: 'ws' },
  { orgId: 'METRICSB2@AdobeOrg', transport: 'sse' },
] as const;

const UNKNOWN_ID = 'f0000000-0000-4000-8000-000000000000';

let harness: GatewayHarness;
let metricsUrl: string;
const definitionIds = new Map<string, string>();
/** Every value no label may hold. */
const secrets = new Set<string>();
/** What the test sent, by operation type, outcome and first error code: what the metrics must say. */
const expectedOperations = new Map<string, number>();
let deliveredEvents = 0;

function tally(type: string, response: GraphQLResponse<unknown>): void {
  const first = response.errors?.[0]?.extensions?.code;
  const outcome = response.errors === undefined ? 'ok' : 'error';
  const code = response.errors === undefined ? 'none' : typeof first === 'string' ? first : 'OTHER';
  const key = `${type}/${outcome}/${code}`;
  expectedOperations.set(key, (expectedOperations.get(key) ?? 0) + 1);
}

/** One round of traffic from both tenants, over `jobsPerTenant` new jobs each. */
async function traffic(jobsPerTenant: number): Promise<void> {
  await Promise.all(
    TENANTS.map(async ({ orgId, transport }) => {
      const headers = tenantHeaders(orgId);
      const definitionId = definitionIds.get(orgId) ?? '';
      const ids: string[] = [];
      for (let index = 0; index < jobsPerTenant; index += 1) {
        ids.push(await createJobOnUpstream(harness.upstreamRest, headers, [definitionId]));
      }
      for (const id of ids) secrets.add(id);
      tally('query', await harness.execute(SegmentJobsDocument, { first: 100 }, headers));
      tally('query', await harness.execute(SegmentJobsByIdsDocument, { ids }, headers));
      // An id the upstream does not know (one entry of a bulk-get).
      tally('query', await harness.execute(SegmentJobDocument, { id: UNKNOWN_ID }, headers));
      // A cancel of a job the upstream does not know: a typed NOT_FOUND payload.
      tally(
        'mutation',
        await harness.execute(CancelSegmentJobDocument, { id: UNKNOWN_ID }, headers),
      );
      // Refused by the gateway: BAD_USER_INPUT.
      tally('query', await harness.execute(SegmentJobsDocument, { first: 1_000 }, headers));
      const created = await createJobThroughGateway(harness, [definitionId], headers);
      tally('mutation', { status: 200, data: {} });
      secrets.add(created);

      const subscription =
        transport === 'ws'
          ? connectWs(harness.graphqlUrl, { connectionParams: headers })
          : undefined;
      const recorder =
        subscription === undefined
          ? subscribeSse(
              harness.graphqlUrl,
              SegmentJobStatusChangedDocument,
              { ids: [created] },
              headers,
            )
          : subscription.subscribe(SegmentJobStatusChangedDocument, { ids: [created] });
      await recorder.ended(`the ${transport} subscription to end with its job`, 10_000);
      deliveredEvents += recorder.results.length;
      tally('subscription', { status: 200, data: {} });
      await subscription?.dispose();
    }),
  );
  // A document the schema refuses.
  const rejected = await harness.post({ query: '{ noSuchField }' });
  expect(rejected.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expectedOperations.set(
    'query/rejected/GRAPHQL_VALIDATION_FAILED',
    (expectedOperations.get('query/rejected/GRAPHQL_VALIDATION_FAILED') ?? 0) + 1,
  );
}

/** Scrapes once nothing is left open: subscriptions ended, sockets closed, the watcher idle. */
async function settledScrape(): Promise<Series[]> {
  return waitForValue(
    async () => {
      const series = await scrape(metricsUrl);
      const open =
        sumOf(series, 'gateway_subscriptions_active') +
        sumOf(series, 'gateway_connections_active') +
        sumOf(series, 'gateway_watcher_watched_jobs');
      return open === 0 ? series : undefined;
    },
    10_000,
    'no open subscription, connection or watched job',
  );
}

function gatewaySeries(series: readonly Series[]): string[] {
  return series
    .filter((entry) => entry.name.startsWith('gateway_'))
    .map((entry) => entry.key)
    .sort();
}

beforeAll(async () => {
  harness = await startGatewayHarness({
    env: {
      AUTH_MODE: 'passthrough',
      POLL_INTERVAL_MS: '20',
      EMULATOR_MAX_ACTIVE_JOBS: '1000',
      GRAPHQL_MAX_COST: '1000000',
    },
  });
  metricsUrl = harness.metricsUrl ?? '';
  for (const { orgId } of TENANTS) {
    const headers = tenantHeaders(orgId);
    const [id] = await createDefinitions(harness, headers, ['loyalty.points >= 0']);
    definitionIds.set(orgId, id ?? '');
    secrets.add(orgId);
    secrets.add(orgId.toLowerCase());
    secrets.add(id ?? '');
    secrets.add(headers.authorization?.replace('Bearer ', '') ?? '');
  }
});

afterAll(async () => {
  await harness?.close();
});

describe('GET /metrics', () => {
  let afterTen: Series[];

  it('serves Prometheus text on its own loopback port, not on the GraphQL port', async () => {
    expect(new URL(metricsUrl).hostname).toBe('127.0.0.1');
    expect(new URL(metricsUrl).port).not.toBe(new URL(harness.graphqlUrl).port);
    const response = await fetch(metricsUrl);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect((await fetch(`${harness.origin}/metrics`)).status).not.toBe(200);
  });

  it('counts operations, upstream calls, subscriptions and deliveries as the traffic implies', async () => {
    await traffic(10);
    afterTen = await settledScrape();
    const series = afterTen;

    for (const [key, count] of expectedOperations) {
      const [type = '', outcome = '', code = ''] = key.split('/');
      expect(
        sumOf(series, 'gateway_graphql_operations_total', { type, outcome, error_code: code }),
        key,
      ).toBe(count);
    }
    const operations = [...expectedOperations.values()].reduce((sum, count) => sum + count, 0);
    expect(sumOf(series, 'gateway_graphql_operations_total')).toBe(operations);
    expect(sumOf(series, 'gateway_graphql_operation_duration_seconds_count')).toBe(operations);
    expect(expectedOperations.get('query/error/BAD_USER_INPUT')).toBe(2);

    // Every upstream attempt the client reported, by route template and status class.
    const expectedCalls = new Map<string, number>();
    for (const call of harness.calls) {
      const statusClass =
        call.status === undefined ? 'network' : `${Math.floor(call.status / 100)}xx`;
      const key = `${call.method} ${routeTemplate(call.path)} ${statusClass}`;
      expectedCalls.set(key, (expectedCalls.get(key) ?? 0) + 1);
    }
    const reported = new Map<string, number>();
    for (const entry of series.filter((s) => s.name === 'gateway_upstream_requests_total')) {
      if (entry.value === 0) continue;
      const key = `${entry.labels.method} ${entry.labels.endpoint} ${entry.labels.status_class}`;
      reported.set(key, entry.value);
    }
    expect(reported).toEqual(expectedCalls);
    // The unknown id, looked up and cancelled by each tenant: answered 404 by the upstream.
    expect(reported.get('POST /segment/jobs/bulk-get 4xx')).toBeGreaterThanOrEqual(2);
    expect(reported.get('POST /segment/jobs/bulk-get 2xx')).toBeGreaterThan(0);
    expect(sumOf(series, 'gateway_upstream_request_duration_seconds_count')).toBe(
      harness.calls.length,
    );
    expect(sumOf(series, 'gateway_upstream_retries_total')).toBe(
      harness.calls.filter((call) => call.attempt > 1).length,
    );
    expect(sumOf(series, 'gateway_upstream_circuits_open')).toBe(0);
    expect(sumOf(series, 'gateway_upstream_circuit_openings_total')).toBe(0);
    expect(sumOf(series, 'gateway_ims_token_requests_total')).toBe(0);

    // One subscription per transport, both ended; each delivered event has its push lag.
    expect(sumOf(series, 'gateway_subscriptions_active', { transport: 'ws' })).toBe(0);
    expect(sumOf(series, 'gateway_subscriptions_active', { transport: 'sse' })).toBe(0);
    expect(deliveredEvents).toBeGreaterThanOrEqual(4);
    expect(sumOf(series, 'gateway_push_lag_seconds_count')).toBe(deliveredEvents);
    expect(sumOf(series, 'gateway_websocket_closes_total', { code: '1000' })).toBe(1);
    expect(sumOf(series, 'gateway_events_published_total', { topic: 'job' })).toBeGreaterThan(0);
    expect(sumOf(series, 'gateway_watcher_polls_total', { kind: 'jobs', outcome: 'ok' })).toBe(
      sumOf(series, 'gateway_watcher_poll_duration_seconds_count', { kind: 'jobs' }),
    );
    expect(sumOf(series, 'gateway_watcher_polls_total')).toBeGreaterThan(0);
    for (const name of [
      'gateway_watcher_tenants',
      'gateway_watcher_bulk_get_posts_per_tick',
      'gateway_subscription_events_coalesced_total',
      'gateway_websocket_buffered_bytes',
    ]) {
      expect(series.some((entry) => entry.name === name)).toBe(true);
    }
  });

  it('has as many series after 100 more jobs per tenant as after 10, none naming a job, org or token', async () => {
    await traffic(100);
    const afterHundred = await settledScrape();
    const before = gatewaySeries(afterTen);
    const after = gatewaySeries(afterHundred);
    console.log(
      `gateway series: ${before.length} after 10 jobs per tenant, ${after.length} after 110; process series: ${afterHundred.length - after.length}`,
    );
    expect(after).toEqual(before);
    expect(sumOf(afterHundred, 'gateway_graphql_operations_total')).toBe(
      [...expectedOperations.values()].reduce((sum, count) => sum + count, 0),
    );

    for (const entry of afterHundred) {
      for (const value of Object.values(entry.labels)) {
        for (const secret of secrets) {
          if (secret !== '')
            expect(value.includes(secret), `${entry.key} holds ${secret}`).toBe(false);
        }
      }
    }
    const operationNames = new Set(
      afterHundred
        .filter((entry) => entry.name === 'gateway_graphql_operations_total')
        .map((entry) => entry.labels.operation),
    );
    expect([...operationNames]).toEqual(['unpersisted']);
  });
});
