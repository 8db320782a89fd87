// @live queries over the real gateway and embedded service, fed by the watcher: results are
// pushed again when a job in them changes status and when the tenant feed sees a job created;
// identical live queries of a tenant execute once per invalidation; tenants never see each
// other's invalidations; re-executions read what the watcher observed (no job reads of their
// own); live queries count against the per-tenant subscription cap. Counts, not wall-clock.
import type { FormattedExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDefinitions,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';
import { createJobThroughGateway, tenantKeyOf } from '../support/subscription-jobs.ts';
import { parseSseFrames } from '../support/subscription-sse.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const A = tenantHeaders('LIVEA@AdobeOrg');
const B = tenantHeaders('LIVEB@AdobeOrg');
const C = tenantHeaders('LIVEC@AdobeOrg');
const PER_TENANT = 6;
const JOB = 'query Job($id: ID!) @live { segmentJob(id: $id) { id status } }';
const LIST = 'query Recent @live { segmentJobs(first: 5) { edges { node { id status } } } }';

type Result = FormattedExecutionResult<Record<string, unknown>>;

interface LiveRecorder {
  results: Result[];
  dispose(): void;
}

/** Starts a live query over graphql-ws and records every result pushed. */
function liveOverWs(client: WsClient, query: string, variables: Record<string, unknown> = {}) {
  const results: Result[] = [];
  const dispose = client.client.subscribe(
    { query, variables },
    {
      next: (result) => results.push(result as Result),
      error: (error) => results.push({ errors: [{ message: JSON.stringify(error) }] } as Result),
      complete: () => {},
    },
  );
  return { results, dispose } satisfies LiveRecorder;
}

function statusOf(result: Result | undefined): string | undefined {
  const job = result?.data?.segmentJob as { status?: string } | null | undefined;
  return job?.status;
}

function listIds(result: Result | undefined): string[] {
  const list = result?.data?.segmentJobs as { edges: { node: { id: string } }[] } | undefined;
  return list?.edges.map((edge) => edge.node.id) ?? [];
}

describe('@live queries invalidated by the watcher', () => {
  let harness: GatewayHarness;
  const clients: WsClient[] = [];
  let definitionsA: string[];
  let definitionsB: string[];

  const connect = (headers: Record<string, string>): WsClient => {
    const client = connectWs(harness.graphqlUrl, { connectionParams: headers });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: {
        AUTH_MODE: 'passthrough',
        POLL_INTERVAL_MS: '25',
        EMULATOR_STEP_MS: '150',
        SUBSCRIPTIONS_PER_TENANT: String(PER_TENANT),
      },
    });
    definitionsA = await createDefinitions(harness, A, ['profile.age > 30']);
    definitionsB = await createDefinitions(harness, B, ['profile.age > 40']);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await harness?.close();
  });

  it('pushes a job again on each status change; 3 identical live queries execute once per invalidation, with no job reads of their own', async () => {
    const jobId = await createJobThroughGateway(harness, definitionsA, A);
    const keyA = tenantKeyOf(harness, A);
    const stats = harness.app.liveQueries;
    const before = { ...stats };
    const live = [connect(A), connect(A), connect(A)].map((client) =>
      liveOverWs(client, JOB, { id: jobId }),
    );
    await waitForValue(
      async () => (live.every((one) => one.results.length > 0) ? true : undefined),
      5_000,
      'a first result for every live query',
    );
    const firstCall = harness.calls.length;
    await waitForValue(
      async () =>
        live.every((one) => statusOf(one.results.at(-1)) === 'SUCCEEDED') ? true : undefined,
      10_000,
      'every live query to show SUCCEEDED',
    );
    for (const one of live) {
      const statuses = one.results.map(statusOf);
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(new Set(statuses).size).toBe(statuses.length);
    }
    const executions = stats.executions - before.executions;
    const invalidations = stats.jobInvalidations - before.jobInvalidations;
    // One execution for the first result, then one per invalidation, whatever the listeners.
    expect(executions).toBe(1 + invalidations);
    expect(invalidations).toBeGreaterThanOrEqual(1);
    expect(stats.shared - before.shared).toBeGreaterThanOrEqual(2 * executions - 2);
    console.info(
      `live: 3 identical live queries, ${executions} executions, ${invalidations} job invalidations, ${stats.shared - before.shared} shared results`,
    );
    // After the first result, the tenant's upstream calls are the watcher's bulk-gets alone:
    // re-executions read the job the watcher just observed (primed), never GET /segment/jobs/<id>.
    const callsA = harness.calls.slice(firstCall).filter((call) => call.tenantKey === keyA);
    expect(
      callsA.filter((call) => call.method === 'GET' && call.path.startsWith('/segment/jobs/')),
    ).toEqual([]);
    expect(callsA.every((call) => call.path === '/segment/jobs/bulk-get')).toBe(true);
    console.info(
      `live: tenant upstream calls after the first result: ${callsA.length}, all bulk-gets`,
    );
    for (const one of live) one.dispose();
    await waitForValue(
      async () => (harness.app.subscriptionQuota.count(keyA) === 0 ? true : undefined),
      5_000,
      'the quota slots given back',
    );
  });

  it("pushes a tenant's list again when a job is created, and never another tenant's", async () => {
    const listA = liveOverWs(connect(A), LIST);
    const listB = liveOverWs(connect(B), LIST);
    await waitForValue(
      async () => (listA.results.length > 0 && listB.results.length > 0 ? true : undefined),
      5_000,
      'first list results',
    );
    const keyA = tenantKeyOf(harness, A);
    await waitForValue(
      async () =>
        (harness.gateway.watcher.stats()[keyA]?.feedSubscribers ?? 0) > 0 ? true : undefined,
      5_000,
      'the feed watched for the list',
    );
    const resultsB = listB.results.length;
    const jobId = await createJobThroughGateway(harness, definitionsA, A);
    await waitForValue(
      async () => (listIds(listA.results.at(-1)).includes(jobId) ? true : undefined),
      5_000,
      'the new job in the live list',
    );
    await waitForValue(
      async () => {
        const list = listA.results.at(-1)?.data?.segmentJobs as
          | { edges: { node: { id: string; status: string } }[] }
          | undefined;
        const node = list?.edges.find((edge) => edge.node.id === jobId);
        return node?.node.status === 'SUCCEEDED' ? true : undefined;
      },
      10_000,
      'the new job SUCCEEDED in the live list',
    );
    // Tenant B's list saw none of A's invalidations.
    expect(listB.results.length).toBe(resultsB);
    expect(listIds(listB.results.at(-1))).not.toContain(jobId);
    // B's own job reaches B's list.
    const jobB = await createJobThroughGateway(harness, definitionsB, B);
    await waitForValue(
      async () => (listIds(listB.results.at(-1)).includes(jobB) ? true : undefined),
      5_000,
      "B's job in B's live list",
    );
    listA.dispose();
    listB.dispose();
  });

  it('serves a live query over SSE until the job SUCCEEDED', async () => {
    const jobId = await createJobThroughGateway(harness, definitionsA, A);
    const controller = new AbortController();
    const response = await fetch(harness.graphqlUrl, {
      method: 'POST',
      headers: { ...A, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: JOB, variables: { id: jobId } }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const statuses: string[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body ?? []) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      const { frames, rest } = parseSseFrames(buffer);
      buffer = rest;
      for (const frame of frames) {
        if (frame.event === 'next') statuses.push(statusOf(JSON.parse(frame.data)) ?? '');
      }
      if (statuses.at(-1) === 'SUCCEEDED') break;
    }
    controller.abort();
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
  });

  it('counts live queries against the per-tenant subscription cap', async () => {
    const client = connect(C);
    const live = Array.from({ length: PER_TENANT + 1 }, (_, index) =>
      liveOverWs(client, `query Cap${index} @live { segmentJobs(first: 1) { totalCount } }`),
    );
    await waitForValue(
      async () => (live.every((one) => one.results.length > 0) ? true : undefined),
      5_000,
      'an answer for every live query',
    );
    const refused = live.filter((one) => JSON.stringify(one.results).includes('RATE_LIMITED'));
    expect(refused).toHaveLength(1);
    for (const one of live) one.dispose();
  });
});
