// An upstream outage of several polls while a watched job finishes: a fault proxy in front of
// the real embedded service answers 503, hangs, or drops connections, then recovers. The
// subscriber is never dropped, hears nothing during the outage, and still receives the final
// status (the terminal transition is not lost) before the stream completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import {
  DEMO_HEADERS,
  type GatewayHarness,
  startGatewayHarness,
  waitForValue,
} from '../support/gateway-harness.ts';
import { isFinalStatus, statusesOf, streamProblems } from '../support/subscription-chain.ts';
import {
  createJobThroughGateway,
  tenantKeyOf,
  upstreamStatus,
  waitForWatch,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf } from '../support/subscription-recorder.ts';
import { type StandaloneService, startStandaloneService } from '../support/subscription-service.ts';
import { connectWs } from '../support/ws-client.ts';

const BULK_GET = '/segment/jobs/bulk-get';

describe('an upstream outage while a watched job finishes', () => {
  let service: StandaloneService;
  let proxy: FaultProxy;
  let harness: GatewayHarness;
  let definitionId: string;

  beforeAll(async () => {
    service = await startStandaloneService({ EMULATOR_STEP_MS: '150' });
    proxy = await startFaultProxy(service.baseUrl);
    harness = await startGatewayHarness({
      upstreamBaseUrl: proxy.baseUrl,
      env: {
        AUTH_MODE: 'passthrough',
        POLL_INTERVAL_MS: '25',
        // One attempt per poll, and a hung one fails soon: several failed polls fit in the test,
        // and the watcher's own backoff is what retries.
        UPSTREAM_TIMEOUT_MS: '500',
        UPSTREAM_MAX_ATTEMPTS: '1',
      },
    });
    const definitions = await service.rest('GET', '/segment/definitions', DEMO_HEADERS);
    definitionId = (definitions.body as { segments: { id: string }[] }).segments[0]?.id ?? '';
  });

  afterAll(async () => {
    await harness?.close();
    await proxy?.close();
    await service?.stop();
  });

  it.each([
    ['answers 503', 'unavailable'],
    ['hangs', 'hang'],
    ['drops connections', 'reset'],
  ] as const)(
    'keeps the subscriber while the upstream %s, then delivers the final status',
    async (_name, fault) => {
      const jobId = await createJobThroughGateway(harness, [definitionId], DEMO_HEADERS);
      const ws = connectWs(harness.graphqlUrl, { connectionParams: DEMO_HEADERS });
      const stream = ws.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] });
      const initial = (await stream.next('the initial event')).data?.segmentJobStatusChanged;
      expect(isFinalStatus(initial?.status ?? 'SUCCEEDED')).toBe(false);
      const key = tenantKeyOf(harness, DEMO_HEADERS);

      proxy.setFault(fault);
      await waitForWatch(
        harness,
        key,
        (stats) => (stats?.failures ?? 0) >= 3,
        'three failed polls in a row',
        10_000,
      );
      await waitForValue(
        async () =>
          isFinalStatus(await upstreamStatus(service.rest, DEMO_HEADERS, jobId)) ? true : undefined,
        10_000,
        'the job to finish upstream',
      );
      const eventsDuringOutage = stream.results.length;
      // At least one more poll fails after the job ended: the gateway has not seen the end.
      const faulted = (): number =>
        proxy.count((request) => request.fault === fault && request.path === BULK_GET);
      const faultedAtEnd = faulted();
      await proxy.waitFor(() => faulted() > faultedAtEnd, 'a failed poll after the job ended');
      expect(stream.results.length).toBe(eventsDuringOutage);
      expect(stream.outcome).toBeUndefined();

      proxy.setFault('none');

      expect(await stream.ended('the stream to complete', 10_000)).toEqual({ kind: 'complete' });
      const events = fieldsOf(stream.results, 'segmentJobStatusChanged');
      expect(errorsOf(stream)).toEqual([]);
      expect(streamProblems(events, { expectInitial: true })).toEqual([]);
      expect(statusesOf(events, jobId).at(-1)).toBe('SUCCEEDED');
      // Never dropped: the socket stayed open through the outage.
      expect(ws.closes).toEqual([]);
      await waitForWatch(harness, key, (stats) => stats === undefined, 'the watch to end');
      await ws.dispose();
    },
  );
});
