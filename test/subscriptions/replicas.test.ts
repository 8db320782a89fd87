// Two gateway replicas sharing one embedded service and one Redis: a cancel through replica A is
// seen live by a subscriber on replica B (with a poll interval far longer than the test, B can
// only learn of it from what A published); a change arriving twice through Redis, or a stale
// one, is not delivered again; and subscribers on two replicas polling one job each get a
// sound chain to the end.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJobEventBus,
  type JobEventBus,
  type JobStatusEvent,
  jobTopic,
  tenantFeedTopic,
} from '../../src/pubsub/index.ts';
import { SegmentJobEventsDocument, SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';
import { isFinalStatus, statusesOf, streamProblems } from '../support/subscription-chain.ts';
import {
  cancelJobThroughGateway,
  createJobThroughGateway,
  markCalls,
  tenantKeyOf,
  waitForWatch,
  watcherCallsSince,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf } from '../support/subscription-recorder.ts';
import { type StandaloneService, startStandaloneService } from '../support/subscription-service.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

// CI sets REDIS_URL; the suite reads it directly because it decides whether these tests run.
const redisUrl = process.env.REDIS_URL;
// A tenant of this run alone: other runs sharing the Redis server publish on other topics.
const TENANT = tenantHeaders(`REPLICAS-${randomUUID()}@AdobeOrg`);

describe.skipIf(redisUrl === undefined)(
  redisUrl === undefined
    ? 'two gateway replicas sharing Redis (skipped: REDIS_URL is not set)'
    : 'two gateway replicas sharing Redis',
  () => {
    let service: StandaloneService;
    let replicaA: GatewayHarness;
    let replicaB: GatewayHarness;
    let replicaC: JobEventBus;
    let onB: WsClient;
    let definitionId: string;

    beforeAll(async () => {
      // Long enough steps that the job is still running when cancelled.
      service = await startStandaloneService({ EMULATOR_STEP_MS: '1000' });
      const env = {
        AUTH_MODE: 'passthrough',
        POLL_INTERVAL_MS: '60000',
        REDIS_URL: redisUrl ?? '',
      };
      [replicaA, replicaB] = await Promise.all([
        startGatewayHarness({ upstreamBaseUrl: service.baseUrl, env }),
        startGatewayHarness({ upstreamBaseUrl: service.baseUrl, env }),
      ]);
      replicaC = createJobEventBus({ redisUrl });
      onB = connectWs(replicaB.graphqlUrl, { connectionParams: TENANT });
      definitionId = await service.createDefinition(TENANT);
    });

    afterAll(async () => {
      await onB?.dispose();
      await replicaC?.close();
      await replicaA?.close();
      await replicaB?.close();
      await service?.stop();
    });

    it('shows a cancel through replica A live to a subscriber on replica B, and a change arriving twice once', async () => {
      const jobId = await createJobThroughGateway(replicaA, [definitionId], TENANT);
      const markB = markCalls(replicaB);
      const stream = onB.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] });
      const feed = onB.subscribe(SegmentJobEventsDocument, {});
      const initial = (await stream.next('the initial event on B')).data?.segmentJobStatusChanged;
      expect(isFinalStatus(initial?.status ?? 'SUCCEEDED')).toBe(false);
      const key = tenantKeyOf(replicaB, TENANT);
      await waitForWatch(replicaB, key, (stats) => stats?.feedSubscribers === 1, 'B’s feed');
      // What crosses Redis for the job, as B's bus receives it.
      const onBus = replicaB.gateway.bus.subscribe(jobTopic(key, jobId));
      await replicaB.gateway.bus.ready();

      await cancelJobThroughGateway(replicaA, jobId, TENANT);

      const cancelling = (await stream.next('CANCELLING on B')).data?.segmentJobStatusChanged;
      expect(cancelling).toMatchObject({
        jobId,
        status: 'CANCELLING',
        previousStatus: initial?.status,
        initial: false,
      });
      await feed.waitFor(
        (results) =>
          statusesOf(fieldsOf(results, 'segmentJobEvents'), jobId).includes('CANCELLING'),
        'CANCELLING on B’s feed',
      );
      // B fetched the initial state and the feed's baseline, and has not polled since.
      expect(watcherCallsSince(replicaB, markB)).toBe(2);
      const published = (await onBus.next()).value as JobStatusEvent;
      await onBus.return?.();
      expect(published).toMatchObject({ jobId, status: 'CANCELLING' });

      // A third replica saw the same change, then a stale status, then the end: published in
      // that order on one connection, so B has handled the first two when the end arrives.
      const withStatus = (
        status: JobStatusEvent['status'],
        previous: JobStatusEvent['status'],
      ) => ({
        ...published,
        status,
        previousStatus: previous,
        job: { ...published.job, status },
      });
      replicaC.publish(jobTopic(key, jobId), published);
      replicaC.publish(tenantFeedTopic(key), published);
      replicaC.publish(jobTopic(key, jobId), withStatus('QUEUED', 'NEW'));
      replicaC.publish(tenantFeedTopic(key), withStatus('QUEUED', 'NEW'));
      replicaC.publish(jobTopic(key, jobId), withStatus('CANCELLED', 'CANCELLING'));
      replicaC.publish(tenantFeedTopic(key), withStatus('CANCELLED', 'CANCELLING'));

      expect(await stream.ended('the stream to complete')).toEqual({ kind: 'complete' });
      await feed.waitFor(
        (results) => statusesOf(fieldsOf(results, 'segmentJobEvents'), jobId).includes('CANCELLED'),
        'CANCELLED on B’s feed',
      );
      feed.cancel();
      const events = fieldsOf(stream.results, 'segmentJobStatusChanged');
      expect(errorsOf(stream)).toEqual([]);
      expect(streamProblems(events, { expectInitial: true })).toEqual([]);
      expect(statusesOf(events, jobId)).toEqual([initial?.status, 'CANCELLING', 'CANCELLED']);
      const feedEvents = fieldsOf(feed.results, 'segmentJobEvents');
      expect(streamProblems(feedEvents, { expectInitial: false })).toEqual([]);
      expect(statusesOf(feedEvents, jobId)).toEqual(['CANCELLING', 'CANCELLED']);
    });
  },
);

describe.skipIf(redisUrl === undefined)(
  redisUrl === undefined
    ? 'two replicas polling the same job (skipped: REDIS_URL is not set)'
    : 'two replicas polling the same job',
  () => {
    let service: StandaloneService;
    let replicas: GatewayHarness[];
    let clients: WsClient[];

    beforeAll(async () => {
      service = await startStandaloneService({ EMULATOR_STEP_MS: '300' });
      const env = { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '25', REDIS_URL: redisUrl ?? '' };
      replicas = await Promise.all([
        startGatewayHarness({ upstreamBaseUrl: service.baseUrl, env }),
        startGatewayHarness({ upstreamBaseUrl: service.baseUrl, env }),
      ]);
      clients = replicas.map((replica) =>
        connectWs(replica.graphqlUrl, { connectionParams: TENANT }),
      );
    });

    afterAll(async () => {
      await Promise.all((clients ?? []).map((client) => client.dispose()));
      await Promise.all((replicas ?? []).map((replica) => replica.close()));
      await service?.stop();
    });

    it('gives the subscriber on each replica a sound chain to the end, whoever saw each change', async () => {
      const [replicaA, replicaB] = replicas as [GatewayHarness, GatewayHarness];
      const definitionId = await service.createDefinition(TENANT);
      const jobId = await createJobThroughGateway(replicaA, [definitionId], TENANT);
      const streams = clients.map((client) =>
        client.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] }),
      );
      await Promise.all(streams.map((stream) => stream.next('the initial event')));
      // One replica holds the lease and polls the job for both; each delivers from the bus.
      const key = tenantKeyOf(replicaB, TENANT);
      for (const replica of [replicaA, replicaB]) {
        expect(replica.gateway.watcher.stats()[key]?.watchedIds).toBe(1);
      }

      for (const stream of streams) {
        expect(await stream.ended('the stream to complete', 10_000)).toEqual({ kind: 'complete' });
        const events = fieldsOf(stream.results, 'segmentJobStatusChanged');
        expect(errorsOf(stream)).toEqual([]);
        expect(streamProblems(events, { expectInitial: true })).toEqual([]);
        expect(statusesOf(events, jobId).at(-1)).toBe('SUCCEEDED');
      }
    });
  },
);
