// Redis faults under two replicas: a redis-server this test starts on a free port and kills by
// PID. Without Redis (at start or mid-stream) each replica polls for its own subscribers and
// nothing ends; once Redis is back, one replica polls the tenant again. /readyz says degraded.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobEventsDocument, SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { statusesOf, streamProblems } from '../support/subscription-chain.ts';
import { tenantKeyOf } from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf } from '../support/subscription-recorder.ts';
import { type StandaloneService, startStandaloneService } from '../support/subscription-service.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const TENANT = tenantHeaders(`REDIS-FAULTS-${randomUUID()}@AdobeOrg`);

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on `port`: no persistence, killed by its PID. */
function startRedis(port: number): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
}

async function killRedis(server: ChildProcess | undefined): Promise<void> {
  if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGKILL');
  await exited;
}

describe('two replicas when Redis fails and comes back', () => {
  let service: StandaloneService;
  let redis: ChildProcess | undefined;
  let port: number;
  let replicas: GatewayHarness[] = [];
  let clients: WsClient[] = [];
  let definitionId: string;

  beforeAll(async () => {
    service = await startStandaloneService({ EMULATOR_STEP_MS: '150' });
    definitionId = await service.createDefinition(TENANT);
    // Nothing listens there yet: the replicas start without Redis.
    port = await freePort();
    const env = {
      AUTH_MODE: 'passthrough',
      POLL_INTERVAL_MS: '50',
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_KEY_PREFIX: `test-faults-${randomUUID()}`,
      FLEET_LEASE_MS: '600',
    };
    replicas = await Promise.all([
      startGatewayHarness({ upstreamBaseUrl: service.baseUrl, env }),
      startGatewayHarness({ upstreamBaseUrl: service.baseUrl, env }),
    ]);
    clients = replicas.map((replica) =>
      connectWs(replica.graphqlUrl, { connectionParams: TENANT }),
    );
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await Promise.all(replicas.map((replica) => replica.close()));
    await killRedis(redis);
    await service?.stop();
  });

  const rolesOf = (key: string): (string | undefined)[] =>
    replicas.map((replica) => replica.gateway.watcher.stats()[key]?.role);

  /** Both replicas' subscribers of a new job receive it to its final status. */
  async function bothFollowAJobToTheEnd(): Promise<void> {
    const jobId = await service.createJob(TENANT, [definitionId]);
    const streams = clients.map((client) =>
      client.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] }),
    );
    for (const stream of streams) {
      expect(await stream.ended('the stream to complete', 10_000)).toEqual({ kind: 'complete' });
      const events = fieldsOf(stream.results, 'segmentJobStatusChanged');
      expect(errorsOf(stream)).toEqual([]);
      expect(streamProblems(events, { expectInitial: true })).toEqual([]);
      expect(statusesOf(events, jobId).at(-1)).toBe('SUCCEEDED');
    }
  }

  it('serves without Redis at start, each replica polling alone, and reports Redis degraded', async () => {
    // A feed kept open through every phase: it must never be dropped nor fail.
    const kept = clients.map((client) => client.subscribe(SegmentJobEventsDocument, {}));
    const key = tenantKeyOf(replicas[0] as GatewayHarness, TENANT);
    await waitForValue(
      async () => (rolesOf(key).every((role) => role !== undefined) ? true : undefined),
      5_000,
      'both feeds open',
    );
    await waitForValue(
      async () => (rolesOf(key).every((role) => role === 'standalone') ? true : undefined),
      5_000,
      'both replicas polling alone',
    );
    const ready = await fetch(`${replicas[0]?.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', redis: 'degraded' });
    await bothFollowAJobToTheEnd();

    // Redis arrives: one replica holds the lease, the other polls nothing.
    redis = startRedis(port);
    await waitForValue(
      async () => {
        const roles = rolesOf(key).sort();
        return roles[0] === 'follower' && roles[1] === 'holder' ? true : undefined;
      },
      10_000,
      'one holder and one follower',
    );
    const readyAgain = await fetch(`${replicas[1]?.origin}/readyz`);
    expect(await readyAgain.json()).toMatchObject({ redis: 'connected' });

    // Redis dies mid-stream: both fall back to polling alone and still deliver.
    await killRedis(redis);
    redis = undefined;
    await waitForValue(
      async () => (rolesOf(key).every((role) => role === 'standalone') ? true : undefined),
      5_000,
      'both replicas polling alone again',
    );
    await bothFollowAJobToTheEnd();

    // And back again: one poller per tenant.
    redis = startRedis(port);
    await waitForValue(
      async () => {
        const roles = rolesOf(key).sort();
        return roles[0] === 'follower' && roles[1] === 'holder' ? true : undefined;
      },
      10_000,
      'one holder and one follower after Redis returned',
    );
    await bothFollowAJobToTheEnd();
    for (const stream of kept) {
      expect(stream.results.length).toBeGreaterThan(0);
      expect(errorsOf(stream)).toEqual([]);
      stream.cancel();
    }
  }, 60_000);
});
