// Live streams of different tenants stay apart over a fake upstream in passthrough mode: the same
// job id in two sandboxes is two jobs, each seen only by its own subscriber; a tenant whose
// upstream calls stall does not hold up another tenant's polls (proved by counts, not time).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import {
  bulkBody,
  type FakeUpstream,
  type RecordedRequest,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { tenantKeyOf } from '../support/subscription-jobs.ts';
import { fieldsOf } from '../support/subscription-recorder.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const BULK_GET_PATH = '/segment/jobs/bulk-get';

function idsOf(request: RecordedRequest): string[] {
  const body = request.body as { ids?: { id: string }[] } | undefined;
  return (body?.ids ?? []).map((entry) => entry.id);
}

function bulkGetsOf(fake: FakeUpstream, header: string, value: string): RecordedRequest[] {
  return fake.requests.filter(
    (request) => request.path === BULK_GET_PATH && request.headers[header] === value,
  );
}

const clients: WsClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

describe('one job id in two sandboxes', () => {
  const ORG = 'SHARED@AdobeOrg';
  /** What each sandbox's job goes through, one step per bulk-get of that sandbox. */
  const STEPS: Record<string, string[]> = {
    alpha: ['NEW', 'QUEUED', 'PROCESSING', 'SUCCEEDED'],
    beta: ['QUEUED', 'FAILED'],
  };
  let fake: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    harness = await startGatewayHarness({
      upstreamBaseUrl: fake.baseUrl,
      env: { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '20' },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await fake?.close();
  });

  it('delivers to each subscriber only its own sandbox’s job', async () => {
    const served: Record<string, number> = { alpha: 0, beta: 0 };
    fake.respondWith(`POST ${BULK_GET_PATH}`, (request) => {
      const sandboxName = String(request.headers['x-sandbox-name']);
      const steps = STEPS[sandboxName] ?? ['FAILED'];
      const step = Math.min(served[sandboxName] ?? 0, steps.length - 1);
      served[sandboxName] = (served[sandboxName] ?? 0) + 1;
      const results: Record<string, unknown> = {};
      for (const id of idsOf(request)) {
        results[id] = sampleJob(
          { id, status: steps[step], batchId: `batch-${sandboxName}` },
          { orgId: ORG, sandboxName },
        );
      }
      return bulkBody(results);
    });
    // Same org and token: only the sandbox tells the two tenants apart.
    const alpha = connectWs(harness.graphqlUrl, {
      connectionParams: tenantHeaders(ORG, 'alpha', 'shared-token'),
    });
    const beta = connectWs(harness.graphqlUrl, {
      connectionParams: tenantHeaders(ORG, 'beta', 'shared-token'),
    });
    clients.push(alpha, beta);
    const alphaStream = alpha.subscribe(SegmentJobStatusChangedDocument, { ids: ['same-id'] });
    const betaStream = beta.subscribe(SegmentJobStatusChangedDocument, { ids: ['same-id'] });

    expect(await alphaStream.ended('alpha’s stream to complete')).toEqual({ kind: 'complete' });
    expect(await betaStream.ended('beta’s stream to complete')).toEqual({ kind: 'complete' });

    const alphaEvents = fieldsOf(alphaStream.results, 'segmentJobStatusChanged');
    const betaEvents = fieldsOf(betaStream.results, 'segmentJobStatusChanged');
    expect(alphaEvents.map((event) => event.job.sandbox?.sandboxName)).toEqual(
      alphaEvents.map(() => 'alpha'),
    );
    expect(betaEvents.map((event) => event.job.sandbox?.sandboxName)).toEqual(
      betaEvents.map(() => 'beta'),
    );
    // Each stream is a chain of its own steps only, from its initial event to its final one.
    const alphaStatuses = alphaEvents.map((event) => event.status);
    const betaStatuses = betaEvents.map((event) => event.status);
    expect(alphaStatuses.at(-1)).toBe('SUCCEEDED');
    expect(betaStatuses).toEqual(['QUEUED', 'FAILED']);
    expect(alphaStatuses.every((status) => STEPS.alpha?.includes(status))).toBe(true);
    expect(alphaEvents[0]?.initial).toBe(true);
    expect(betaEvents[0]?.initial).toBe(true);

    // Every bulk-get carried one sandbox and was answered for that sandbox only.
    const sandboxes = new Set(
      fake.requests.map((request) => String(request.headers['x-sandbox-name'])),
    );
    expect(sandboxes).toEqual(new Set(['alpha', 'beta']));
  });
});

describe('a stalled tenant and a quiet one', () => {
  const ORG_BUSY = 'BUSY@AdobeOrg';
  const ORG_QUIET = 'QUIET@AdobeOrg';
  const busyParams = tenantHeaders(ORG_BUSY, 'prod', 'busy-token');
  const quietParams = tenantHeaders(ORG_QUIET, 'prod', 'quiet-token');
  const JOB_COUNT = 1_000;
  const IDS_PER_SUBSCRIPTION = 100;
  let fake: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    harness = await startGatewayHarness({
      upstreamBaseUrl: fake.baseUrl,
      env: {
        AUTH_MODE: 'passthrough',
        POLL_INTERVAL_MS: '20',
        // The busy tenant's calls must stay stalled for the whole test.
        UPSTREAM_TIMEOUT_MS: '60000',
      },
    });
  });
  afterAll(async () => {
    // Stalled calls end when the fake drops its connections; then the gateway stops at once.
    await fake?.close();
    await harness?.close();
  });

  it('keeps polling the quiet tenant every tick while 1,000 jobs of the busy one hang', async () => {
    let isQuietDone = false;
    fake.respondWith(`POST ${BULK_GET_PATH}`, (request) => {
      if (request.headers['x-gw-ims-org-id'] === ORG_BUSY) return { hang: true };
      const results: Record<string, unknown> = {};
      for (const id of idsOf(request)) {
        results[id] = sampleJob(
          { id, status: isQuietDone ? 'SUCCEEDED' : 'PROCESSING' },
          { orgId: ORG_QUIET, sandboxName: 'prod' },
        );
      }
      return bulkBody(results);
    });

    const busy = connectWs(harness.graphqlUrl, { connectionParams: busyParams });
    clients.push(busy);
    const busyStreams = Array.from({ length: JOB_COUNT / IDS_PER_SUBSCRIPTION }, (_, chunk) =>
      busy.subscribe(SegmentJobStatusChangedDocument, {
        ids: Array.from(
          { length: IDS_PER_SUBSCRIPTION },
          (_, index) => `busy-${chunk * IDS_PER_SUBSCRIPTION + index}`,
        ),
      }),
    );
    const busyKey = tenantKeyOf(harness, busyParams);
    await waitForValue(
      async () =>
        harness.gateway.watcher.stats()[busyKey]?.watchedIds === JOB_COUNT ? true : undefined,
      10_000,
      'the busy tenant to watch 1,000 jobs',
    );
    // Every id has been asked for, and every one of those calls is stalled.
    await waitForValue(
      async () =>
        new Set(bulkGetsOf(fake, 'x-gw-ims-org-id', ORG_BUSY).flatMap(idsOf)).size === JOB_COUNT
          ? true
          : undefined,
      10_000,
      'bulk-gets for all 1,000 busy jobs',
    );
    const quiet = connectWs(harness.graphqlUrl, { connectionParams: quietParams });
    clients.push(quiet);
    const quietStream = quiet.subscribe(SegmentJobStatusChangedDocument, { ids: ['quiet-job'] });
    const first = await quietStream.next('the quiet tenant’s initial event');
    expect(first.data?.segmentJobStatusChanged).toMatchObject({
      status: 'PROCESSING',
      initial: true,
    });
    const quietCalls = (): number => bulkGetsOf(fake, 'x-gw-ims-org-id', ORG_QUIET).length;
    const morePolls = async (count: number): Promise<void> => {
      const start = quietCalls();
      await waitForValue(
        async () => (quietCalls() >= start + count ? true : undefined),
        10_000,
        `${count} more polls of the quiet tenant`,
      );
    };
    // The quiet tenant is polled tick after tick while every busy call hangs; by then the busy
    // tenant's own poll (scheduled earlier, on the same interval) is stalled too.
    await morePolls(5);
    const busyCallsStalled = bulkGetsOf(fake, 'x-gw-ims-org-id', ORG_BUSY).length;
    await morePolls(10);
    isQuietDone = true;
    expect(await quietStream.ended('the quiet stream to complete')).toEqual({ kind: 'complete' });
    expect(
      fieldsOf(quietStream.results, 'segmentJobStatusChanged').map((event) => event.status),
    ).toEqual(['PROCESSING', 'SUCCEEDED']);

    // The busy tenant got nothing, its calls are still open, and stalled calls did not pile up.
    const busyCalls = bulkGetsOf(fake, 'x-gw-ims-org-id', ORG_BUSY);
    expect(busyCalls.length).toBe(busyCallsStalled);
    expect(busyCalls.every((request) => !request.closedByClient)).toBe(true);
    expect(busyStreams.every((stream) => stream.results.length === 0)).toBe(true);
    expect(busyStreams.every((stream) => stream.outcome === undefined)).toBe(true);
  });
});
