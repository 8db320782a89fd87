// Three gateway processes sharing one Redis and one embedded service, each behind its own
// recording proxy so the upstream calls of each replica can be told apart: one replica polls the
// tenant for all three, and a kill -9 of that replica loses no final status.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { tenantHeaders } from '../support/gateway-harness.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { statusesOf, streamProblems } from '../support/subscription-chain.ts';
import { errorsOf, fieldsOf } from '../support/subscription-recorder.ts';
import { type StandaloneService, startStandaloneService } from '../support/subscription-service.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

// CI sets REDIS_URL; the suite reads it directly because it decides whether these tests run.
const redisUrl = process.env.REDIS_URL;
const TENANT = tenantHeaders(`FLEET-${randomUUID()}@AdobeOrg`);
const LEASE_MS = 1_000;

const isBulkGet = (request: { method: string; path: string }): boolean =>
  request.method === 'POST' && request.path === '/segment/jobs/bulk-get';

describe.skipIf(redisUrl === undefined)(
  redisUrl === undefined
    ? 'three gateway processes sharing Redis (skipped: REDIS_URL is not set)'
    : 'three gateway processes sharing Redis',
  () => {
    let service: StandaloneService;
    let proxies: FaultProxy[] = [];
    let gateways: GatewayProcess[] = [];
    let clients: WsClient[] = [];
    let definitionId: string;

    beforeAll(async () => {
      // Steps long enough that a job is still running while the test looks at the polls.
      service = await startStandaloneService({ EMULATOR_STEP_MS: '600' });
      definitionId = await service.createDefinition(TENANT);
      proxies = await Promise.all([0, 1, 2].map(() => startFaultProxy(service.baseUrl)));
      // A key prefix of this run alone: runs sharing the Redis server never see each other.
      const prefix = `test-fleet-${randomUUID()}`;
      gateways = await Promise.all(
        proxies.map((proxy) =>
          startGatewayProcess({
            env: {
              UPSTREAM_URL: proxy.baseUrl,
              AUTH_MODE: 'passthrough',
              POLL_INTERVAL_MS: '50',
              REDIS_URL: redisUrl ?? '',
              REDIS_KEY_PREFIX: prefix,
              FLEET_LEASE_MS: String(LEASE_MS),
              UPSTREAM_BREAKER_THRESHOLD: '1000',
              // Three processes on one machine: no fixed side port (metrics) may collide.
              METRICS_PORT: '0',
            },
          }),
        ),
      );
      clients = gateways.map((gateway) =>
        connectWs(gateway.graphqlUrl, { connectionParams: TENANT }),
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await Promise.all(gateways.map((gateway) => gateway.dispose()));
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await service?.stop();
    });

    /** Waits for `count` more bulk-gets across every proxy; returns each proxy's share. */
    async function bulkGetsFromNow(count: number): Promise<number[]> {
      const before = proxies.map((proxy) => proxy.count(isBulkGet));
      const total = (): number =>
        proxies.reduce(
          (sum, proxy, index) => sum + proxy.count(isBulkGet) - (before[index] ?? 0),
          0,
        );
      await Promise.race(
        proxies.map((proxy) => proxy.waitFor(() => total() >= count, `${count} bulk-gets`, 10_000)),
      );
      return proxies.map((proxy, index) => proxy.count(isBulkGet) - (before[index] ?? 0));
    }

    it('polls a tenant watched on all three replicas from one of them: the calls per tick of one process', async () => {
      const jobs = await Promise.all(
        [0, 1, 2].map(() => service.createJob(TENANT, [definitionId])),
      );
      // One job per replica, and one job watched on all three.
      const streams = clients.map((client, index) =>
        client.subscribe(SegmentJobStatusChangedDocument, {
          ids: [jobs[index] ?? '', jobs[0] ?? ''],
        }),
      );
      await Promise.all(streams.map((stream) => stream.next('the first initial event')));
      // The registrations reach the holder within a heartbeat; then only it polls.
      await bulkGetsFromNow(3);
      const shares = await bulkGetsFromNow(8);
      expect(shares.filter((share) => share > 0)).toHaveLength(1);
      expect(shares.reduce((sum, share) => sum + share, 0)).toBeGreaterThanOrEqual(8);
      for (const stream of streams) stream.cancel();
    });

    it('loses no final status when the lease holder is killed with SIGKILL mid-job', async () => {
      const jobId = await service.createJob(TENANT, [definitionId]);
      const streams = clients.map((client) =>
        client.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] }),
      );
      await Promise.all(streams.map((stream) => stream.next('the initial event')));
      const shares = await bulkGetsFromNow(4);
      const holderIndex = shares.findIndex((share) => share > 0);
      expect(shares.filter((share) => share > 0)).toHaveLength(1);
      const holder = gateways[holderIndex];
      if (holder === undefined) throw new Error('expected a lease holder');

      const killedAt = performance.now();
      await holder.dispose();
      const survivors = proxies.filter((_, index) => index !== holderIndex);
      const before = survivors.map((proxy) => proxy.count(isBulkGet));
      await Promise.race(
        survivors.map((proxy, index) =>
          proxy.waitFor(
            () => proxy.count(isBulkGet) > (before[index] ?? 0),
            'a surviving replica to poll',
            4 * LEASE_MS + 5_000,
          ),
        ),
      );
      const failoverMs = performance.now() - killedAt;
      console.log(`failover: first poll by a new holder ${failoverMs.toFixed(0)} ms after kill -9`);

      for (const [index, stream] of streams.entries()) {
        if (index === holderIndex) continue;
        expect(await stream.ended('the stream to complete', 15_000)).toEqual({ kind: 'complete' });
        const events = fieldsOf(stream.results, 'segmentJobStatusChanged');
        expect(errorsOf(stream)).toEqual([]);
        expect(streamProblems(events, { expectInitial: true })).toEqual([]);
        expect(statusesOf(events, jobId).at(-1)).toBe('SUCCEEDED');
      }
    }, 30_000);
  },
);
