// The gateway as a real process (`src/main.ts`): SIGTERM makes it unready at once while it
// finishes what is in flight, closes WebSockets with 1001 and exits 0; a client watching a job
// across a gateway restart (the Segmentation Service running on as its own process) resumes
// from the current state and never sees a status go backwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  CreateSegmentJobDocument,
  SegmentJobStatusChangedDocument,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import {
  bulkBody,
  type FakeUpstream,
  jobListBody,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import { DEMO_HEADERS, tenantHeaders, waitForValue } from '../support/gateway-harness.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { type EmulatorProcess, startEmulatorProcess } from '../support/process-harness.ts';
import { fieldsOf } from '../support/subscription-recorder.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const EXIT_DEADLINE_MS = 20_000;
const children: { dispose(): Promise<void> }[] = [];
const clients: WsClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await Promise.all(children.splice(0).map((child) => child.dispose()));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function gatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = await startGatewayProcess({ env });
  children.push(child);
  return child;
}

async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('SIGTERM', () => {
  let fake: FakeUpstream | undefined;

  afterEach(async () => {
    await fake?.close();
  });

  it('fails readiness at once, finishes the request in flight, closes sockets with 1001, exits 0', async () => {
    fake = await startFakeUpstream();
    const upstream = fake;
    const headers = tenantHeaders('STOP@AdobeOrg', 'prod', 'stop-token');
    // The list call of the slow request is held until the test lets it go.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    upstream.respondWith(
      (request) => request.path === '/segment/jobs' && request.headers.authorization !== undefined,
      async () => {
        await released;
        return {
          status: 200,
          body: jobListBody([
            sampleJob({ id: 'slow-job' }, { orgId: 'STOP@AdobeOrg', sandboxName: 'prod' }),
          ]),
        };
      },
    );
    upstream.respondWith('POST /segment/jobs/bulk-get', (request) => {
      const ids = ((request.body as { ids: { id: string }[] }).ids ?? []).map((entry) => entry.id);
      return bulkBody(
        Object.fromEntries(
          ids.map((id) => [
            id,
            sampleJob(
              { id, status: 'PROCESSING' },
              { orgId: 'STOP@AdobeOrg', sandboxName: 'prod' },
            ),
          ]),
        ),
      );
    });
    // Any answer to the credential-less probe shows the upstream is there.
    upstream.respondWith(
      (request) => request.path === '/segment/jobs' && request.headers.authorization === undefined,
      () => ({ status: 401, body: { title: 'no credentials' } }),
    );

    const gateway = await gatewayProcess({
      UPSTREAM_URL: upstream.baseUrl,
      AUTH_MODE: 'passthrough',
      POLL_INTERVAL_MS: '50',
      SHUTDOWN_DELAY_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    expect((await fetch(`${gateway.origin}/readyz`)).status).toBe(200);

    const watcher = connectWs(gateway.graphqlUrl, { connectionParams: headers });
    clients.push(watcher);
    const stream = watcher.subscribe(SegmentJobStatusChangedDocument, { ids: ['watched-job'] });
    expect((await stream.next('the initial event')).data?.segmentJobStatusChanged).toMatchObject({
      initial: true,
      status: 'PROCESSING',
    });
    const closed = watcher.nextClose(EXIT_DEADLINE_MS);

    const slow = postJson(
      gateway.graphqlUrl,
      { query: '{ segmentJobs(first: 1) { totalCount edges { node { id } } } }' },
      headers,
    );
    await upstream.waitFor(() =>
      upstream.requests.some(
        (request) =>
          request.path === '/segment/jobs' && request.headers.authorization !== undefined,
      ),
    );

    const exit = gateway.signal('SIGTERM', EXIT_DEADLINE_MS);
    const readiness = await waitForValue(
      async () => {
        const response = await fetch(`${gateway.origin}/readyz`);
        const body = (await response.json()) as Record<string, unknown>;
        return response.status === 503 ? body : undefined;
      },
      EXIT_DEADLINE_MS,
      '/readyz to answer 503',
    );
    expect(readiness).toMatchObject({ status: 'stopping', code: 'SHUTTING_DOWN' });
    // Still alive and still answering while it drains.
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);

    expect(await closed).toMatchObject({ code: 1001 });
    release();
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      data: { segmentJobs: { totalCount: 1, edges: [{ node: { id: 'slow-job' } }] } },
    });
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(gateway.output()).not.toMatch(/shutdown took too long|shutdown failed/);
  }, 60_000);
});

const STATUS_RANK: Record<string, number> = {
  NEW: 0,
  QUEUED: 1,
  PROCESSING: 2,
  CANCELLING: 3,
  SUCCEEDED: 4,
  FAILED: 4,
  CANCELLED: 4,
};

describe('a gateway restart under a watching client', () => {
  let emulator: EmulatorProcess | undefined;

  afterEach(async () => {
    await emulator?.dispose();
  });

  it('resumes with the current state as an initial event and never goes backwards', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gateway-restart-'));
    dirs.push(dataDir);
    // Slow steps, so the job is still running when the second gateway is up.
    emulator = await startEmulatorProcess({
      dataDir,
      env: { EMULATOR_SEED_DEMO: 'true', EMULATOR_DEMO_PROFILES: '60', EMULATOR_STEP_MS: '2000' },
    });
    const definitions = await fetch(`${emulator.baseUrl}/segment/definitions`, {
      headers: DEMO_HEADERS,
    });
    const definitionId = ((await definitions.json()) as { segments: { id: string }[] }).segments[0]
      ?.id;
    expect(definitionId).toBeDefined();

    const gatewayKey = 'restart-gateway-key';
    const env = {
      UPSTREAM_URL: emulator.baseUrl,
      AEP_ACCESS_TOKEN: 'demo',
      AEP_API_KEY: 'demo',
      AEP_ORG_ID: 'DEMO@AdobeOrg',
      GATEWAY_API_KEYS: gatewayKey,
      POLL_INTERVAL_MS: '50',
    };
    const first = await gatewayProcess(env);
    const created = await postJson(
      first.graphqlUrl,
      {
        query: print(CreateSegmentJobDocument),
        variables: { input: { segmentIds: [definitionId] } },
      },
      { 'x-gateway-key': gatewayKey },
    );
    const jobId = (created.json as { data?: { createSegmentJob?: { job?: { id: string } } } }).data
      ?.createSegmentJob?.job?.id;
    expect(jobId).toBeDefined();
    const ids = [jobId ?? ''];

    const before = connectWs(first.graphqlUrl, {
      connectionParams: { 'x-gateway-key': gatewayKey },
    });
    clients.push(before);
    const streamBefore = before.subscribe(SegmentJobStatusChangedDocument, { ids });
    // Watch at least one change on the first gateway before it goes.
    await streamBefore.waitFor(
      (results) => fieldsOf(results, 'segmentJobStatusChanged').some((event) => !event.initial),
      'a change on the first gateway',
      15_000,
    );
    const closedBefore = before.nextClose(EXIT_DEADLINE_MS);
    expect(await first.signal('SIGTERM', EXIT_DEADLINE_MS)).toEqual({ code: 0, signal: null });
    expect(await closedBefore).toMatchObject({ code: 1001 });

    // The replacement listens where the first one did; the client connects again and resubscribes.
    const second = await gatewayProcess({ ...env, PORT: String(first.port) });
    expect(second.graphqlUrl).toBe(first.graphqlUrl);
    const after = connectWs(second.graphqlUrl, {
      connectionParams: { 'x-gateway-key': gatewayKey },
    });
    clients.push(after);
    const streamAfter = after.subscribe(SegmentJobStatusChangedDocument, { ids });
    expect(await streamAfter.ended('the job to finish on the second gateway', 20_000)).toEqual({
      kind: 'complete',
    });

    const eventsBefore = fieldsOf(streamBefore.results, 'segmentJobStatusChanged');
    const eventsAfter = fieldsOf(streamAfter.results, 'segmentJobStatusChanged');
    expect(eventsAfter[0]?.initial).toBe(true);
    expect(eventsAfter.slice(1).every((event) => !event.initial)).toBe(true);
    const statuses = [...eventsBefore, ...eventsAfter].map((event) => event.status);
    const ranks = statuses.map((status) => STATUS_RANK[status] ?? -1);
    expect(ranks.every((rank, index) => index === 0 || rank >= (ranks[index - 1] ?? 0))).toBe(true);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    // What the second stream started from is what the upstream had then, not a stale replay.
    expect(STATUS_RANK[eventsAfter[0]?.status ?? 'NEW']).toBeGreaterThanOrEqual(
      STATUS_RANK[eventsBefore.at(-1)?.status ?? 'NEW'] ?? 0,
    );
    // The job is the one the first gateway created, seen the same on both sides.
    const listed = await postJson(
      second.graphqlUrl,
      { query: print(SegmentJobsDocument), variables: { first: 100 } },
      { 'x-gateway-key': gatewayKey },
    );
    expect(JSON.stringify(listed.json)).toContain(jobId);
    await second.signal('SIGTERM', EXIT_DEADLINE_MS);
  }, 90_000);
});
