// segmentJobStatusChanged over a real graphql-ws socket, against the real gateway and the real
// embedded service: the chain of events per job, completion, argument and NOT_FOUND errors, and
// a cancel through the gateway seen live (at once, without waiting for a poll).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SegmentJobStatusChangedDocument,
  type SegmentJobStatusChangedSubscription,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';
import { isFinalStatus, statusesOf, streamProblems } from '../support/subscription-chain.ts';
import {
  cancelJobThroughGateway,
  createJobThroughGateway,
  demoDefinitionId,
  markCalls,
  tenantKeyOf,
  waitForWatch,
  watcherCallsSince,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf, type SubscriptionRecorder } from '../support/subscription-recorder.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

type StatusEvent = SegmentJobStatusChangedSubscription['segmentJobStatusChanged'];

const BULK_GET = '/segment/jobs/bulk-get';

function eventsOf(
  recorder: SubscriptionRecorder<SegmentJobStatusChangedSubscription>,
): StatusEvent[] {
  return fieldsOf(recorder.results, 'segmentJobStatusChanged');
}

async function finalDemoJobId(harness: GatewayHarness): Promise<string> {
  const result = await harness.execute(SegmentJobsDocument, { first: 1, status: 'SUCCEEDED' });
  const id = result.data?.segmentJobs.edges[0]?.node.id;
  if (id === undefined) throw new Error(`expected a SUCCEEDED demo job, but got none`);
  return id;
}

describe('segmentJobStatusChanged over WebSocket', () => {
  let harness: GatewayHarness;
  let ws: WsClient;
  let definitionId: string;

  beforeAll(async () => {
    // Steps long enough to see every status, polls short enough to see each one.
    harness = await startGatewayHarness({
      env: { POLL_INTERVAL_MS: '25', EMULATOR_STEP_MS: '300' },
    });
    ws = connectWs(harness.graphqlUrl);
    definitionId = await demoDefinitionId(harness);
  });

  afterAll(async () => {
    await ws?.dispose();
    await harness?.close();
  });

  const subscribe = (ids: string[]) => ws.subscribe(SegmentJobStatusChangedDocument, { ids });

  it('delivers the initial event first, then an unbroken forward chain, and completes at SUCCEEDED', async () => {
    const jobId = await createJobThroughGateway(harness, [definitionId]);
    const stream = subscribe([jobId]);

    expect(await stream.ended('the stream to complete', 10_000)).toEqual({ kind: 'complete' });
    const events = eventsOf(stream);
    expect(errorsOf(stream)).toEqual([]);
    expect(streamProblems(events, { expectInitial: true })).toEqual([]);
    const statuses = statusesOf(events, jobId);
    // Subscribed within the job's first step: at least one change follows the initial event.
    expect(isFinalStatus(statuses[0] ?? 'SUCCEEDED')).toBe(false);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    for (const event of events) {
      expect(event).toMatchObject({ jobId, job: { id: jobId, status: event.status } });
    }
  });

  it('delivers an already-final job as one initial event, then completes', async () => {
    const jobId = await finalDemoJobId(harness);
    const stream = subscribe([jobId]);

    expect(await stream.ended('the stream to complete')).toEqual({ kind: 'complete' });
    expect(eventsOf(stream)).toMatchObject([
      { jobId, status: 'SUCCEEDED', previousStatus: null, initial: true },
    ]);
    expect(errorsOf(stream)).toEqual([]);
  });

  it('watches several jobs in one subscription and completes only once every one is final', async () => {
    const [early, late, done] = [
      await createJobThroughGateway(harness, [definitionId]),
      await createJobThroughGateway(harness, [definitionId]),
      await finalDemoJobId(harness),
    ];
    const stream = subscribe([early, late, done]);
    await stream.waitFor(
      (results) =>
        new Set(fieldsOf(results, 'segmentJobStatusChanged').map((event) => event.jobId)).size ===
        3,
      'an initial event for each job',
    );
    // Cancelled now, the first job ends steps before the second: a stream completing at the
    // first final status would never deliver the second job's end.
    await cancelJobThroughGateway(harness, early);

    expect(await stream.ended('the stream to complete', 10_000)).toEqual({ kind: 'complete' });
    const events = eventsOf(stream);
    expect(streamProblems(events, { expectInitial: true })).toEqual([]);
    expect(statusesOf(events, early).at(-1)).toBe('CANCELLED');
    expect(statusesOf(events, late).at(-1)).toBe('SUCCEEDED');
    expect(statusesOf(events, done)).toEqual(['SUCCEEDED']);
    const earlyEnd = events.findIndex(
      (event) => event.jobId === early && event.status === 'CANCELLED',
    );
    const lateEnd = events.findIndex(
      (event) => event.jobId === late && event.status === 'SUCCEEDED',
    );
    expect(earlyEnd).toBeLessThan(lateEnd);
  });

  it.each([
    ['no ids', []],
    ['101 ids', Array.from({ length: 101 }, (_, index) => `job-${index}`)],
  ])('refuses %s with BAD_USER_INPUT before asking the upstream', async (_name, ids) => {
    const before = harness.callsTo('POST', BULK_GET).length;
    const stream = subscribe(ids);

    await stream.ended('the refusal');
    expect(eventsOf(stream)).toEqual([]);
    const errors = errorsOf(stream);
    expect(errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(errors[0]?.message).toMatch(/expected 1 to 100 distinct job ids/);
    expect(harness.callsTo('POST', BULK_GET).length).toBe(before);
  });

  it('ends an unknown id with NOT_FOUND naming that id and nothing about the tenant', async () => {
    const unknown = 'no-such-job-4f2a';
    const stream = subscribe([unknown]);

    expect(await stream.ended('the stream to end')).toEqual({ kind: 'complete' });
    expect(eventsOf(stream)).toEqual([]);
    const errors = errorsOf(stream);
    expect(errors.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(errors[0]?.message).toContain(unknown);
    expect(errors[0]?.message).not.toMatch(/AdobeOrg|DEMO|sandbox|prod|Bearer/i);
    await waitForWatch(
      harness,
      tenantKeyOf(harness),
      (stats) => stats === undefined || stats.watchedIds === 0,
      'the unknown id to be released',
    );
  });

  it('shows a cancel through the gateway live: CANCELLING, then CANCELLED, then completes', async () => {
    const jobId = await createJobThroughGateway(harness, [definitionId]);
    const stream = subscribe([jobId]);
    const initial = await stream.next('the initial event');
    expect(initial.data?.segmentJobStatusChanged).toMatchObject({ jobId, initial: true });

    expect(await cancelJobThroughGateway(harness, jobId)).toBe('CANCELLING');

    expect(await stream.ended('the stream to complete', 10_000)).toEqual({ kind: 'complete' });
    const events = eventsOf(stream);
    expect(streamProblems(events, { expectInitial: true })).toEqual([]);
    expect(statusesOf(events, jobId).slice(-2)).toEqual(['CANCELLING', 'CANCELLED']);
  });
});

describe('a cancel through the gateway with a poll interval far longer than the test', () => {
  let harness: GatewayHarness;
  let ws: WsClient;

  beforeAll(async () => {
    // A 60 s interval: any event after the initial one can only come from the mutation's nudge.
    harness = await startGatewayHarness({
      env: { POLL_INTERVAL_MS: '60000', EMULATOR_STEP_MS: '1000' },
    });
    ws = connectWs(harness.graphqlUrl);
  });

  afterAll(async () => {
    await ws?.dispose();
    await harness?.close();
  });

  it('delivers CANCELLING from the cancel itself, with no poll in between', async () => {
    const jobId = await createJobThroughGateway(harness, [await demoDefinitionId(harness)]);
    const mark = markCalls(harness);
    const stream = ws.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] });
    const initial = (await stream.next('the initial event')).data?.segmentJobStatusChanged;
    expect(initial).toMatchObject({ jobId, initial: true, previousStatus: null });
    expect(isFinalStatus(initial?.status ?? 'SUCCEEDED')).toBe(false);
    // One call: the bulk-get of the initial state.
    expect(watcherCallsSince(harness, mark)).toBe(1);

    await cancelJobThroughGateway(harness, jobId);
    const cancelling = (await stream.next('the CANCELLING event')).data?.segmentJobStatusChanged;

    expect(cancelling).toMatchObject({
      jobId,
      status: 'CANCELLING',
      previousStatus: initial?.status,
      initial: false,
    });
    // Still that one call: the watcher did not poll to find the change (the mutation's own
    // reads are the operation's, counted apart).
    expect(watcherCallsSince(harness, mark)).toBe(1);
    expect(harness.callsTo('DELETE', `/segment/jobs/${jobId}`)).toHaveLength(1);

    stream.cancel();
    await waitForWatch(
      harness,
      tenantKeyOf(harness),
      (stats) => stats === undefined,
      'the job to be released after the client completed',
    );
  });
});
