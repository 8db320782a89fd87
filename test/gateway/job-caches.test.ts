// The job caches through the real gateway over the real embedded service, counted in upstream
// calls: final jobs answered with none (fed by reads and by the watcher's poll), evicted by a
// cancel and aged out by an injected clock; list pages opt-in and dropped on a change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelSegmentJobDocument,
  CreateSegmentJobDocument,
  SegmentJobEventsDocument,
  SegmentJobStatusChangedDocument,
  SegmentJobStatusDocument,
  SegmentJobsByIdsDocument,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const A = tenantHeaders('CACHEA@AdobeOrg', 'prod', 'token-a');
const B = tenantHeaders('CACHEB@AdobeOrg', 'prod', 'token-b');
const TTL_MS = 60_000;
const FAST = { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '25', EMULATOR_STEP_MS: '20' };

const BULK_GET = '/segment/jobs/bulk-get';
const LIST = '/segment/jobs';

async function createJob(
  harness: GatewayHarness,
  headers: Record<string, string>,
  segmentId: string,
): Promise<string> {
  const result = await harness.execute(
    CreateSegmentJobDocument,
    { input: { segmentIds: [segmentId] } },
    headers,
  );
  const payload = result.data?.createSegmentJob;
  if (payload?.__typename !== 'CreateSegmentJobSuccess') {
    throw new Error(`expected a created job, but got ${JSON.stringify(result)}`);
  }
  return payload.job.id;
}

/** Creates a job straight on the upstream (someone else) and waits there until it is final. */
async function createFinalJobElsewhere(
  harness: GatewayHarness,
  headers: Record<string, string>,
  segmentId: string,
): Promise<string> {
  const created = await harness.upstreamRest('POST', LIST, headers, [{ segmentId }]);
  const id = (created.body as { id: string }).id;
  const deadline = performance.now() + 5_000;
  for (;;) {
    const read = await harness.upstreamRest('GET', `${LIST}/${id}`, headers);
    if ((read.body as { status?: string }).status === 'SUCCEEDED') return id;
    if (performance.now() > deadline) throw new Error(`expected job ${id} to succeed upstream`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function statusAs(harness: GatewayHarness, headers: Record<string, string>, id: string) {
  const result = await harness.execute(SegmentJobStatusDocument, { id }, headers);
  expect(result.errors).toBeUndefined();
  return result.data?.segmentJob?.status ?? null;
}

describe('final jobs by id', () => {
  let harness: GatewayHarness;
  let clockMs = Date.now();
  let segmentA: string;
  let segmentB: string;
  let watchedJob: string;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { ...FAST, FINAL_JOB_TTL_MS: String(TTL_MS) },
      now: () => clockMs,
    });
    [segmentA = ''] = await createDefinitions(harness, A, ['profile.age > 30']);
    [segmentB = ''] = await createDefinitions(harness, B, ['profile.age > 40']);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await harness?.close();
  });

  it('enters a job the watcher saw succeed from its poll, then answers it with no call', async () => {
    watchedJob = await createJob(harness, A, segmentA);
    const client = connectWs(harness.graphqlUrl, { connectionParams: A });
    clients.push(client);
    const events = client.subscribe(SegmentJobStatusChangedDocument, { ids: [watchedJob] });
    await events.ended('the subscription to end at a final status');
    expect(events.results.at(-1)?.data?.segmentJobStatusChanged.status).toBe('SUCCEEDED');
    harness.resetCalls();

    expect(await statusAs(harness, A, watchedJob)).toBe('SUCCEEDED');
    const many = await harness.execute(
      SegmentJobsByIdsDocument,
      { ids: [watchedJob, watchedJob] },
      A,
    );
    expect(many.data?.segmentJobsByIds.map((job) => job?.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(harness.calls).toEqual([]);
  });

  it('enters a job that was already final when a subscription began, from the watcher first read of it', async () => {
    const id = await createFinalJobElsewhere(harness, A, segmentA);
    const client = connectWs(harness.graphqlUrl, { connectionParams: A });
    clients.push(client);
    const events = client.subscribe(SegmentJobStatusChangedDocument, { ids: [id] });
    await events.ended('the subscription to end at once: the job is final');
    const [only] = events.results;
    expect(only?.data?.segmentJobStatusChanged).toMatchObject({
      status: 'SUCCEEDED',
      initial: true,
    });
    harness.resetCalls();

    expect(await statusAs(harness, A, id)).toBe('SUCCEEDED');
    expect(harness.calls).toEqual([]);
  });

  it('never answers another tenant from the cache: it asks the upstream, which knows no such job', async () => {
    harness.resetCalls();
    expect(await statusAs(harness, B, watchedJob)).toBeNull();
    expect(harness.callsTo('POST', BULK_GET)).toHaveLength(1);
    harness.resetCalls();
    expect(await statusAs(harness, A, watchedJob)).toBe('SUCCEEDED');
    expect(harness.calls).toEqual([]);
  });

  it('enters a final job read by id; a deletion elsewhere shows after FINAL_JOB_TTL_MS at most', async () => {
    const id = await createFinalJobElsewhere(harness, A, segmentA);
    harness.resetCalls();
    expect(await statusAs(harness, A, id)).toBe('SUCCEEDED');
    expect(await statusAs(harness, A, id)).toBe('SUCCEEDED');
    expect(harness.callsTo('POST', BULK_GET)).toHaveLength(1);

    // Cancelling a final job deletes it upstream; done straight on the upstream, the gateway
    // cannot know, so it keeps answering until the entry is TTL old.
    const deleted = await harness.upstreamRest('DELETE', `${LIST}/${id}`, A);
    expect(deleted.status).toBe(204);
    harness.resetCalls();
    clockMs += TTL_MS - 1;
    expect(await statusAs(harness, A, id)).toBe('SUCCEEDED');
    expect(harness.calls).toEqual([]);
    clockMs += 1;
    expect(await statusAs(harness, A, id)).toBeNull();
    expect(harness.callsTo('POST', BULK_GET)).toHaveLength(1);
  });

  it('evicts a final job cancelled (so deleted) through the gateway: the next read asks', async () => {
    // The clock moved past the TTL above: one read enters the job again.
    expect(await statusAs(harness, A, watchedJob)).toBe('SUCCEEDED');
    harness.resetCalls();
    const cancelled = await harness.execute(CancelSegmentJobDocument, { id: watchedJob }, A);
    expect(cancelled.data?.cancelSegmentJob.__typename).toBe('CancelSegmentJobSuccess');
    // The job to cancel came from the cache: the DELETE is the only call.
    expect(harness.calls.map((call) => call.method)).toEqual(['DELETE']);
    harness.resetCalls();
    expect(await statusAs(harness, A, watchedJob)).toBeNull();
    expect(harness.callsTo('POST', BULK_GET)).toHaveLength(1);
  });

  it('enters final jobs a list returned, and leaves lists uncached by default', async () => {
    const id = await createFinalJobElsewhere(harness, B, segmentB);
    harness.resetCalls();
    const first = await harness.execute(SegmentJobsDocument, { first: 10 }, B);
    const second = await harness.execute(SegmentJobsDocument, { first: 10 }, B);
    expect(second.data).toEqual(first.data);
    expect(harness.callsTo('GET', LIST)).toHaveLength(2);
    harness.resetCalls();
    expect(await statusAs(harness, B, id)).toBe('SUCCEEDED');
    expect(harness.calls).toEqual([]);
  });

  it('counts hits, misses and evictions of the final job cache in the metrics', async () => {
    const text = await (await fetch(harness.metricsUrl ?? '')).text();
    const value = (labels: string) =>
      Number(new RegExp(`^${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('gateway_cache_lookups_total{cache="final_jobs",result="hit"}')).toBeGreaterThan(
      0,
    );
    expect(value('gateway_cache_lookups_total{cache="final_jobs",result="miss"}')).toBeGreaterThan(
      0,
    );
    expect(
      value('gateway_cache_evictions_total{cache="final_jobs",reason="expired"}'),
    ).toBeGreaterThan(0);
    expect(value('gateway_cache_evictions_total{cache="final_jobs",reason="invalidated"}')).toBe(1);
    expect(value('gateway_cache_lookups_total{cache="list_pages",result="hit"}')).toBe(0);
  });
});

describe('list pages with LIST_CACHE_TTL_MS', () => {
  let harness: GatewayHarness;
  let segmentA: string;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { ...FAST, LIST_CACHE_TTL_MS: String(TTL_MS) },
      now: () => 0,
    });
    [segmentA = ''] = await createDefinitions(harness, A, ['profile.age > 30']);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await harness?.close();
  });

  const listIds = async () => {
    const result = await harness.execute(SegmentJobsDocument, { first: 50 }, A);
    expect(result.errors).toBeUndefined();
    return result.data?.segmentJobs.edges.map((edge) => edge.node.id) ?? [];
  };

  it('answers the same page again with no call, and re-reads after a create through the gateway', async () => {
    harness.resetCalls();
    const before = await listIds();
    expect(await listIds()).toEqual(before);
    expect(harness.callsTo('GET', LIST)).toHaveLength(1);

    const created = await createJob(harness, A, segmentA);
    harness.resetCalls();
    expect(await listIds()).toContain(created);
    expect(harness.callsTo('GET', LIST)).toHaveLength(1);
  });

  it('drops the tenant’s pages when its feed observes a job created elsewhere', async () => {
    const client = connectWs(harness.graphqlUrl, { connectionParams: A });
    clients.push(client);
    const feed = client.subscribe(SegmentJobEventsDocument, {});
    await listIds();

    const created = await harness.upstreamRest('POST', LIST, A, [{ segmentId: segmentA }]);
    const id = (created.body as { id: string }).id;
    await feed.waitFor(
      (results) => results.some((result) => result.data?.segmentJobEvents.jobId === id),
      `the feed to observe ${id}`,
    );
    // With the clock stopped, a page would live forever: only the observation can drop it.
    expect(await listIds()).toContain(id);
    feed.cancel();
  });
});
