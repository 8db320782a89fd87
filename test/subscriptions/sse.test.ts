// segmentJobStatusChanged over Server-Sent Events with plain fetch (accept: text/event-stream):
// the same chain and completion as over WebSocket, NOT_FOUND, and the frame parser itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SegmentJobStatusChangedDocument,
  type SegmentJobStatusChangedSubscription,
} from '../generated/graphql.ts';
import {
  DEMO_HEADERS,
  type GatewayHarness,
  startGatewayHarness,
} from '../support/gateway-harness.ts';
import { isFinalStatus, statusesOf, streamProblems } from '../support/subscription-chain.ts';
import {
  createJobThroughGateway,
  demoDefinitionId,
  tenantKeyOf,
  upstreamStatus,
  waitForWatch,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf } from '../support/subscription-recorder.ts';
import { parseSseFrames, subscribeSse } from '../support/subscription-sse.ts';

describe('the SSE frame parser', () => {
  it.each([
    ['one frame', 'event: next\ndata: {"a":1}\n\n', [{ event: 'next', data: '{"a":1}' }], ''],
    ['a keep-alive comment only', ':\n\n', [], ''],
    [
      'a frame then a partial one',
      'event: next\ndata: 1\n\nevent: compl',
      [{ event: 'next', data: '1' }],
      'event: compl',
    ],
    ['CRLF line ends', 'event: complete\r\ndata:\r\n\r\n', [{ event: 'complete', data: '' }], ''],
    ['several data lines', 'data: a\ndata: b\n\n', [{ event: 'message', data: 'a\nb' }], ''],
  ])('parses %s', (_name, input, frames, rest) => {
    expect(parseSseFrames(input)).toEqual({ frames, rest });
  });
});

describe('segmentJobStatusChanged over SSE', () => {
  let harness: GatewayHarness;
  let definitionId: string;

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { POLL_INTERVAL_MS: '25', EMULATOR_STEP_MS: '300' },
    });
    definitionId = await demoDefinitionId(harness);
  });

  afterAll(async () => {
    await harness?.close();
  });

  const subscribe = (ids: string[]) =>
    subscribeSse(harness.graphqlUrl, SegmentJobStatusChangedDocument, { ids });

  it('streams the initial event and each change as `next` frames, then a `complete` frame', async () => {
    const jobId = await createJobThroughGateway(harness, [definitionId]);
    const stream = subscribe([jobId]);

    const response = await stream.response;
    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^text\/event-stream/);
    expect(await stream.ended('the complete frame', 10_000)).toEqual({ kind: 'complete' });
    const events = fieldsOf<SegmentJobStatusChangedSubscription, 'segmentJobStatusChanged'>(
      stream.results,
      'segmentJobStatusChanged',
    );
    expect(errorsOf(stream)).toEqual([]);
    expect(streamProblems(events, { expectInitial: true })).toEqual([]);
    const statuses = statusesOf(events, jobId);
    expect(isFinalStatus(statuses[0] ?? 'SUCCEEDED')).toBe(false);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    await waitForWatch(
      harness,
      tenantKeyOf(harness),
      (stats) => stats === undefined,
      'the watch to end with the stream',
    );
  });

  it('answers an unknown id with one NOT_FOUND result, then completes', async () => {
    const unknown = 'no-such-job-sse';
    const stream = subscribe([unknown]);

    expect(await stream.ended('the complete frame')).toEqual({ kind: 'complete' });
    expect(stream.results).toHaveLength(1);
    const errors = errorsOf(stream);
    expect(errors.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(errors[0]?.message).toContain(unknown);
    expect(errors[0]?.message).not.toMatch(/AdobeOrg|DEMO|sandbox|Bearer/i);
  });

  it('releases the watch when the client aborts the request', async () => {
    const jobId = await createJobThroughGateway(harness, [definitionId]);
    const stream = subscribe([jobId]);
    await stream.next('the initial event');
    const key = tenantKeyOf(harness);
    expect(harness.gateway.watcher.stats()[key]?.watchedIds).toBe(1);

    stream.cancel();

    await waitForWatch(harness, key, (stats) => stats === undefined, 'the aborted watch to end');
    // The job still runs: the abort, not the job's end, released it.
    const status = await upstreamStatus(harness.upstreamRest, DEMO_HEADERS, jobId);
    expect(isFinalStatus(status)).toBe(false);
  });
});
