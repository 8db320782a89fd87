// A job the upstream sends in a shape the gateway cannot read (an unknown status, no id) costs
// only that job: the other jobs of the same subscription, and of the tenant feed, still arrive
// with every transition, and nothing ends the stream.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bulkBody,
  type FakeUpstream,
  fakeTenant,
  jobListBody,
  type RecordedRequest,
  type ScriptedResponse,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

const ORG = 'UNREADABLE@AdobeOrg';
const tenant = fakeTenant({ orgId: ORG });

interface EventData {
  jobId: string;
  status: string;
  previousStatus: string | null;
}

/** What the fake serves per bearer token: each test is its own tenant. */
const served = new Map<string, Record<string, unknown>[]>();

function tokenOf(request: RecordedRequest): string {
  return String(request.headers.authorization ?? '').replace(/^Bearer /, '');
}

function answer(request: RecordedRequest): ScriptedResponse {
  const jobs = served.get(tokenOf(request));
  if (jobs === undefined) return { status: 401 };
  if (request.method === 'GET' && request.path === '/segment/jobs')
    return { body: jobListBody(jobs) };
  if (request.method === 'POST' && request.path === '/segment/jobs/bulk-get') {
    const ids = (request.body as { ids: { id: string }[] }).ids.map((entry) => entry.id);
    return bulkBody(
      Object.fromEntries(ids.map((id) => [id, jobs.find((job) => job.id === id) ?? null])),
    );
  }
  return { status: 404 };
}

function headersFor(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'x-api-key': 'test-client',
    'x-gw-ims-org-id': ORG,
    'x-sandbox-name': tenant.sandboxName,
  };
}

function job(id: string, status: string, updateTime: number): Record<string, unknown> {
  return sampleJob({ id, status, updateTime }, tenant);
}

let fake: FakeUpstream;
let harness: GatewayHarness;
let ws: WsClient | undefined;

beforeAll(async () => {
  fake = await startFakeUpstream(answer);
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '20', UPSTREAM_MAX_ATTEMPTS: '1' },
  });
});
afterEach(async () => {
  await ws?.dispose();
  ws = undefined;
});
afterAll(async () => {
  await harness?.close();
  await fake?.close();
});

describe('a job the gateway cannot read', () => {
  it('leaves the other jobs of segmentJobStatusChanged their whole chain', async () => {
    const jobs = [job('good-1', 'PROCESSING', 1_000), job('bad-1', 'ARCHIVED', 1_000)];
    served.set('watch', jobs);
    ws = connectWs(harness.graphqlUrl, { connectionParams: headersFor('watch') });
    const recorder = ws.subscribe(
      parse(
        'subscription ($ids: [ID!]!) { segmentJobStatusChanged(ids: $ids) { jobId status previousStatus } }',
      ) as TypedDocumentNode<{ segmentJobStatusChanged: EventData }, Record<string, unknown>>,
      { ids: ['good-1', 'bad-1'] },
    );
    await recorder.waitFor((all) => all.length >= 1, 'the readable job’s initial event');
    Object.assign(jobs[0] ?? {}, { status: 'SUCCEEDED', updateTime: 2_000 });
    const results = await recorder.waitFor(
      (all) => all.some((result) => result.data?.segmentJobStatusChanged.status === 'SUCCEEDED'),
      'the readable job to reach SUCCEEDED',
    );
    expect(results.map((result) => result.data?.segmentJobStatusChanged)).toEqual([
      { jobId: 'good-1', status: 'PROCESSING', previousStatus: null },
      { jobId: 'good-1', status: 'SUCCEEDED', previousStatus: 'PROCESSING' },
    ]);
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    // The unreadable job is not final as far as anyone knows: the stream stays open for it.
    expect(recorder.outcome).toBeUndefined();
  });

  it('leaves the tenant feed every readable job, listed beside unreadable ones', async () => {
    const good = job('feed-good', 'QUEUED', 1_000);
    const jobs = [
      good,
      job('feed-bad', 'ARCHIVED', 1_100),
      { ...job('ignored', 'QUEUED', 1_200), id: undefined },
    ];
    served.set('feed', jobs);
    ws = connectWs(harness.graphqlUrl, { connectionParams: headersFor('feed') });
    const recorder = ws.subscribe(
      parse(
        'subscription { segmentJobEvents { jobId status previousStatus } }',
      ) as TypedDocumentNode<{ segmentJobEvents: EventData }, Record<string, unknown>>,
      {},
    );
    // The feed's first poll is its baseline; a change after it is news.
    await fake.waitFor(
      () =>
        fake.requests.filter((request) => tokenOf(request) === 'feed' && request.method === 'GET')
          .length >= 2,
    );
    Object.assign(good, { status: 'PROCESSING', updateTime: 3_000 });
    const results = await recorder.waitFor(
      (all) => all.some((result) => result.data?.segmentJobEvents.status === 'PROCESSING'),
      'the readable job’s change on the feed',
    );
    expect(results.map((result) => result.data?.segmentJobEvents.jobId)).toEqual(['feed-good']);
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    expect(recorder.outcome).toBeUndefined();
  });
});
