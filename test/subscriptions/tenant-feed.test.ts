// segmentJobEvents, the tenant feed, over a real graphql-ws socket: jobs created through the
// gateway and straight on the embedded service's REST API both appear, there are no initial
// events, jobs that do not change say nothing, and the status filter keeps only its statuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobEventsDocument } from '../generated/graphql.ts';
import {
  DEMO_HEADERS,
  type GatewayHarness,
  startGatewayHarness,
} from '../support/gateway-harness.ts';
import { eventsByJob, statusesOf, streamProblems } from '../support/subscription-chain.ts';
import {
  createJobOnUpstream,
  createJobThroughGateway,
  demoDefinitionId,
  tenantKeyOf,
  waitForFeedBaseline,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf } from '../support/subscription-recorder.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

describe('segmentJobEvents', () => {
  let harness: GatewayHarness;
  let ws: WsClient;

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { POLL_INTERVAL_MS: '25', EMULATOR_STEP_MS: '100' },
    });
    ws = connectWs(harness.graphqlUrl);
  });

  afterAll(async () => {
    await ws?.dispose();
    await harness?.close();
  });

  it('delivers jobs created through the gateway and outside it, with no initial events, and filters by status', async () => {
    const everything = ws.subscribe(SegmentJobEventsDocument, {});
    const succeeded = ws.subscribe(SegmentJobEventsDocument, { status: ['SUCCEEDED'] });
    const queuedOrProcessing = ws.subscribe(SegmentJobEventsDocument, {
      status: ['QUEUED', 'PROCESSING'],
    });
    await waitForFeedBaseline(harness, tenantKeyOf(harness), 3);

    const definitionId = await demoDefinitionId(harness);
    const viaGateway = await createJobThroughGateway(harness, [definitionId]);
    const viaRest = await createJobOnUpstream(harness.upstreamRest, DEMO_HEADERS, [definitionId]);
    const ended = (id: string) => (results: typeof everything.results) =>
      statusesOf(fieldsOf(results, 'segmentJobEvents'), id).includes('SUCCEEDED');
    await everything.waitFor(ended(viaGateway), 'the gateway job to succeed', 10_000);
    await everything.waitFor(ended(viaRest), 'the REST job to succeed', 10_000);
    await succeeded.waitFor(
      (results) => results.length >= 2,
      'both SUCCEEDED events on the filtered feed',
    );

    const events = fieldsOf(everything.results, 'segmentJobEvents');
    expect(errorsOf(everything)).toEqual([]);
    // Only the two new jobs: the seeded demo jobs do not change, so the feed says nothing of them.
    expect(new Set(events.map((event) => event.jobId))).toEqual(new Set([viaGateway, viaRest]));
    expect(events.every((event) => !event.initial)).toBe(true);
    expect(streamProblems(events, { expectInitial: false })).toEqual([]);
    for (const [jobId, list] of eventsByJob(events)) {
      expect(list[0]?.previousStatus, `first event of ${jobId}`).toBeNull();
      expect(list.length, `events of ${jobId}`).toBeGreaterThanOrEqual(2);
    }

    const onlySucceeded = fieldsOf(succeeded.results, 'segmentJobEvents');
    expect(onlySucceeded.map((event) => event.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(new Set(onlySucceeded.map((event) => event.jobId))).toEqual(
      new Set([viaGateway, viaRest]),
    );
    // previousStatus is what the feed saw before, even though the filter hid it.
    for (const event of onlySucceeded) {
      expect(['NEW', 'QUEUED', 'PROCESSING']).toContain(event.previousStatus);
    }
    const middle = fieldsOf(queuedOrProcessing.results, 'segmentJobEvents');
    expect(middle.length).toBeGreaterThan(0);
    expect(middle.every((event) => ['QUEUED', 'PROCESSING'].includes(event.status))).toBe(true);

    for (const stream of [everything, succeeded, queuedOrProcessing]) {
      expect(stream.outcome).toBeUndefined();
      stream.cancel();
    }
  });
});
