// Jobs for subscription tests: created or cancelled through the gateway (typed mutations), or
// straight on the upstream's REST API, and waits on the watcher's per-tenant stats.
import { createTenantResolver } from '../../src/tenants/index.ts';
import type { TenantWatchStats } from '../../src/watcher/index.ts';
import { CancelSegmentJobDocument, CreateSegmentJobDocument } from '../generated/graphql.ts';
import { DEMO_HEADERS, type GatewayHarness, waitForValue } from './gateway-harness.ts';

/** The id of one of the demo tenant's seeded definitions. */
export async function demoDefinitionId(harness: GatewayHarness): Promise<string> {
  const response = await harness.upstreamRest('GET', '/segment/definitions', DEMO_HEADERS);
  const id = (response.body as { segments?: { id: string }[] }).segments?.[0]?.id;
  if (id === undefined) {
    throw new Error(`expected a demo definition, but got ${JSON.stringify(response.body)}`);
  }
  return id;
}

/** Creates a job through the gateway; returns its id. */
export async function createJobThroughGateway(
  harness: GatewayHarness,
  segmentIds: readonly string[],
  headers: Record<string, string> = {},
): Promise<string> {
  const result = await harness.execute(
    CreateSegmentJobDocument,
    { input: { segmentIds: [...segmentIds] } },
    headers,
  );
  const payload = result.data?.createSegmentJob;
  if (payload?.__typename !== 'CreateSegmentJobSuccess') {
    throw new Error(`expected a created job, but got ${JSON.stringify(result)}`);
  }
  return payload.job.id;
}

/** Cancels a job through the gateway; returns the status the mutation reported. */
export async function cancelJobThroughGateway(
  harness: GatewayHarness,
  id: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const result = await harness.execute(CancelSegmentJobDocument, { id }, headers);
  const payload = result.data?.cancelSegmentJob;
  if (payload?.__typename !== 'CancelSegmentJobSuccess') {
    throw new Error(`expected a cancelled job, but got ${JSON.stringify(result)}`);
  }
  return payload.job.status;
}

/** Creates a job straight on the upstream's REST API (the gateway does not see the request). */
export async function createJobOnUpstream(
  rest: GatewayHarness['upstreamRest'],
  headers: Record<string, string>,
  segmentIds: readonly string[],
): Promise<string> {
  const response = await rest(
    'POST',
    '/segment/jobs',
    headers,
    segmentIds.map((segmentId) => ({ segmentId })),
  );
  const id = (response.body as { id?: string } | undefined)?.id;
  if (response.status !== 200 || id === undefined) {
    throw new Error(
      `expected a created job, but got ${response.status}: ${JSON.stringify(response.body)}`,
    );
  }
  return id;
}

/** The status of a job on the upstream itself. */
export async function upstreamStatus(
  rest: GatewayHarness['upstreamRest'],
  headers: Record<string, string>,
  id: string,
): Promise<string> {
  const response = await rest('GET', `/segment/jobs/${encodeURIComponent(id)}`, headers);
  return String((response.body as { status?: string }).status);
}

/** Resolves once the watcher's stats for a tenant key satisfy `predicate` (absent: undefined). */
export function waitForWatch(
  harness: GatewayHarness,
  tenantKey: string | undefined,
  predicate: (stats: TenantWatchStats | undefined) => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<true> {
  return waitForValue(
    async () => {
      const all = harness.gateway.watcher.stats();
      const stats = tenantKey === undefined ? Object.values(all)[0] : all[tenantKey];
      return predicate(stats) ? true : undefined;
    },
    timeoutMs,
    what,
  );
}

/** The only tenant key the watcher watches right now; fails when there is not exactly one. */
export function soleTenantKey(harness: GatewayHarness): string {
  const keys = Object.keys(harness.gateway.watcher.stats());
  if (keys.length !== 1) throw new Error(`expected one watched tenant, but got ${keys.length}`);
  return keys[0] as string;
}

/** The tenant key the gateway gives a WebSocket caller with these connectionParams. */
export function tenantKeyOf(
  harness: GatewayHarness,
  connectionParams?: Record<string, string>,
): string {
  return createTenantResolver(harness.config.auth).fromConnectionParams(connectionParams).key;
}

/** A point in the harness's call and log records. */
export interface CallMark {
  calls: number;
  logLines: number;
}

export function markCalls(harness: GatewayHarness): CallMark {
  return { calls: harness.calls.length, logLines: harness.logLines.length };
}

/**
 * Upstream calls made since `mark` by the watcher alone: every recorded call minus those the
 * operation log attributes to GraphQL operations (queries and mutations).
 */
export function watcherCallsSince(harness: GatewayHarness, mark: CallMark): number {
  const byOperations = harness.logLines
    .slice(mark.logLines)
    .filter((line) => line.msg === 'operation')
    .reduce((sum, line) => sum + Number(line.upstreamCalls ?? 0), 0);
  return harness.calls.length - mark.calls - byOperations;
}

/**
 * Resolves once the tenant's feed has `feedSubscribers` subscribers and has listed jobs since
 * (so its baseline is taken and the next job created is news to it).
 */
export async function waitForFeedBaseline(
  harness: GatewayHarness,
  tenantKey: string,
  feedSubscribers = 1,
): Promise<void> {
  await waitForWatch(
    harness,
    tenantKey,
    (stats) => (stats?.feedSubscribers ?? 0) >= feedSubscribers,
    `${feedSubscribers} feed subscriber(s)`,
  );
  const listsOf = (): number =>
    harness.calls.filter(
      (call) =>
        call.tenantKey === tenantKey && call.method === 'GET' && call.path === '/segment/jobs',
    ).length;
  const before = listsOf();
  await waitForValue(
    async () => (listsOf() > before ? true : undefined),
    5_000,
    'a feed poll after subscribing',
  );
}
