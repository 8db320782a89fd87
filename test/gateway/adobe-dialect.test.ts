// The Adobe dialect suite: every sample answer of Adobe's segment jobs guide and OpenAPI, and the
// documented variants (test/fixtures/adobe, see its README), served over real HTTP by the fake
// upstream and read through every field of SegmentJob: by list, by id, and by both subscriptions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bulkBody,
  type FakeUpstream,
  type RecordedRequest,
  type ScriptedResponse,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

// Fixtures are Adobe's JSON as written, walked field by field here; the type stays in this file.
// biome-ignore lint/suspicious/noExplicitAny: untyped upstream JSON, read only by this test
type Raw = Record<string, any>;

const FIXTURES = join(import.meta.dirname, '../fixtures/adobe');
const ORG = 'E95186D65A28ABF00A495D82@AdobeOrg';
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

function headersFor(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'x-api-key': 'test-client',
    'x-gw-ims-org-id': ORG,
    'x-sandbox-name': 'prod',
  };
}

interface Fixture {
  name: string;
  body: Raw;
  /** The jobs it holds: a list's children, a bulk-get's results, or the job itself. */
  jobs: Raw[];
}

const fixtures: Fixture[] = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => {
    const body = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Raw;
    const jobs: Raw[] = Array.isArray(body.children)
      ? body.children
      : body.results !== undefined
        ? Object.values(body.results as Record<string, Raw>)
        : [body];
    return { name: file.replace(/\.json$/, ''), body, jobs };
  });

const JOB_FIELDS = `
  id status isFinal allSegments imsOrgId source profileInstanceId batchId computeJobId
  computeGatewayJobId requestId schemaName creationTime updateTime creationTimeMs updateTimeMs
  updateEpoch
  sandbox { sandboxId sandboxName type isDefault }
  properties { scheduleId runId }
  errors { code message }
  segments {
    id version mergePolicyId
    expression { type format value }
    mergePolicy { id version }
  }
  metrics {
    totalProfiles
    totalTime { startTimeInMs endTimeInMs totalTimeInMs startTime endTime }
    profileSegmentationTime { startTimeInMs endTimeInMs totalTimeInMs startTime endTime }
    segments { segmentId qualified realized exited byNamespace { namespace count } }
    totalProfilesByMergePolicy { mergePolicyId count }
  }`;

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
const orNull = (value: unknown) => value ?? null;

function expectedWindow(window: Raw | undefined): unknown {
  if (window === undefined) return null;
  return {
    startTimeInMs: orNull(window.startTimeInMs),
    endTimeInMs: orNull(window.endTimeInMs),
    totalTimeInMs: orNull(window.totalTimeInMs),
    startTime: iso(window.startTimeInMs),
    endTime: iso(window.endTimeInMs),
  };
}

function expectedMetrics(metrics: Raw | undefined): unknown {
  if (metrics === undefined) return null;
  const counter: Raw = metrics.segmentedProfileCounter ?? {};
  const byNamespace: Raw = metrics.segmentedProfileByNamespaceCounter ?? {};
  const byStatus: Raw = metrics.segmentedProfileByStatusCounter ?? {};
  const ids = [
    ...new Set([...Object.keys(counter), ...Object.keys(byNamespace), ...Object.keys(byStatus)]),
  ];
  return {
    totalProfiles: orNull(metrics.totalProfiles),
    totalTime: expectedWindow(metrics.totalTime),
    profileSegmentationTime: expectedWindow(metrics.profileSegmentationTime),
    segments: ids.map((segmentId) => ({
      segmentId,
      qualified: orNull(counter[segmentId]),
      realized: orNull(byStatus[segmentId]?.realized),
      exited: orNull(byStatus[segmentId]?.exited),
      byNamespace: Object.entries((byNamespace[segmentId] ?? {}) as Record<string, number>).map(
        ([namespace, count]) => ({ namespace, count }),
      ),
    })),
    totalProfilesByMergePolicy: Object.entries(
      (metrics.totalProfilesByMergePolicy ?? {}) as Record<string, number>,
    ).map(([mergePolicyId, count]) => ({ mergePolicyId, count })),
  };
}

/** What the gateway must answer for an upstream job, written from Adobe's field descriptions. */
function expectedJob(raw: Raw): unknown {
  const segments: Raw[] = (raw.segments ?? []).filter((entry: unknown) => entry !== null);
  const allSegments = segments.some((entry) => entry.segmentId === '*');
  return {
    id: raw.id,
    status: raw.status,
    isFinal: FINAL.has(raw.status),
    allSegments,
    imsOrgId: orNull(raw.imsOrgId),
    source: orNull(raw.source),
    profileInstanceId: orNull(raw.profileInstanceId),
    batchId: orNull(raw.batchId),
    computeJobId: orNull(raw.computeJobId),
    computeGatewayJobId: orNull(raw.computeGatewayJobId),
    requestId: orNull(raw.requestId),
    schemaName: orNull(raw.schema?.name),
    creationTime: iso(raw.creationTime),
    updateTime: iso(raw.updateTime),
    creationTimeMs: orNull(raw.creationTime),
    updateTimeMs: orNull(raw.updateTime),
    updateEpoch: orNull(raw.updateEpoch),
    sandbox:
      raw.sandbox === undefined
        ? null
        : {
            sandboxId: orNull(raw.sandbox.sandboxId),
            sandboxName: orNull(raw.sandbox.sandboxName),
            type: orNull(raw.sandbox.type),
            isDefault: orNull(raw.sandbox.default),
          },
    properties:
      raw.properties === undefined
        ? null
        : { scheduleId: orNull(raw.properties.scheduleId), runId: orNull(raw.properties.runId) },
    errors: (raw.errors ?? []).map((error: Raw) => ({
      code: error.code === undefined ? null : String(error.code),
      message: orNull(error.msg),
    })),
    segments: allSegments
      ? []
      : segments.map((entry) => {
          const definition: Raw | undefined = entry.segment ?? undefined;
          const expression: Raw | undefined = definition?.expression;
          const mergePolicy: Raw | undefined = definition?.mergePolicy;
          return {
            id: definition?.id ?? entry.segmentId ?? null,
            version: orNull(definition?.version),
            mergePolicyId: definition?.mergePolicyId ?? mergePolicy?.id ?? null,
            expression:
              expression === undefined
                ? null
                : {
                    type: orNull(expression.type),
                    format: orNull(expression.format),
                    value: orNull(expression.value),
                  },
            mergePolicy:
              mergePolicy === undefined
                ? null
                : { id: orNull(mergePolicy.id), version: orNull(mergePolicy.version) },
          };
        }),
    metrics: expectedMetrics(raw.metrics),
  };
}

/** Values stated in Adobe's text, checked as written (not through `expectedJob`). */
const SPOT_CHECKS: Record<string, (jobs: Raw[]) => void> = {
  'guide-list': ([job]) => {
    expect(job?.metrics.totalProfiles).toBe(13_146_432);
    expect(job?.metrics.totalTime.totalTimeInMs).toBe(778_460);
    expect(job?.metrics.profileSegmentationTime.totalTimeInMs).toBe(128_928);
    expect(job?.metrics.segments[0]).toMatchObject({ qualified: 1033, realized: 2056 });
  },
  'guide-list-all-segments': ([job]) => {
    expect(job).toMatchObject({ allSegments: true, segments: [] });
  },
  'guide-get-running': ([job]) => {
    expect(job?.metrics.totalTime).toMatchObject({ startTimeInMs: 1_579_304_313_411 });
    expect(job?.metrics.totalTime.endTimeInMs).toBeNull();
    expect(job?.metrics.profileSegmentationTime.startTimeInMs).toBeNull();
    expect(job?.segments[0].expression.format).toBe('pql/text');
  },
  'openapi-bulk-get': (jobs) => {
    // Adobe's YAML puts the definition's fields beside a null `segment`: only segmentId is read.
    expect(jobs[0]?.segments[0]).toMatchObject({ id: 'cc3419d3-0389-47f1-b174-fead6b3c830d' });
    expect(jobs[0]?.segments[0].expression).toBeNull();
  },
  'variant-statuses': (jobs) => {
    expect(jobs.map((job) => job.status)).toEqual([
      'NEW',
      'QUEUED',
      'PROCESSING',
      'SUCCEEDED',
      'FAILED',
      'CANCELLING',
      'CANCELLED',
    ]);
  },
  'variant-failed-with-errors': ([job]) => {
    expect(job?.errors).toEqual([
      expect.objectContaining({ code: '8.0000018E7' }),
      { code: '80000019', message: 'second error' },
    ]);
  },
  'variant-big-counts': ([job]) => {
    expect(job?.metrics.totalProfiles).toBe(30_000_000_000);
    expect(job?.metrics.segments[0]).toMatchObject({ qualified: 2 ** 33, realized: 2 ** 32 });
    expect(job?.computeJobId).toBe(Number.MAX_SAFE_INTEGER);
  },
  'variant-optional-absent': ([job]) => {
    expect(job).toMatchObject({ imsOrgId: null, sandbox: { sandboxName: null } });
    expect(job?.segments[0].expression.format).toBeNull();
    expect(job?.segments[1].mergePolicy.version).toBeNull();
  },
  'variant-empty-windows': ([job]) => {
    expect(job?.metrics.totalTime).toEqual(expectedWindow({}));
  },
};

let fake: FakeUpstream;
let harness: GatewayHarness;
let ws: WsClient | undefined;
/** What the fake serves now, per bearer token (each test uses its own tenant). */
const served = new Map<string, { jobs: Raw[]; listed: number }>();

function tokenOf(request: RecordedRequest): string {
  return String(request.headers.authorization ?? '').replace(/^Bearer /, '');
}

function answer(request: RecordedRequest): ScriptedResponse {
  const current = served.get(tokenOf(request));
  if (current === undefined) return { status: 401 };
  if (request.method === 'GET' && request.path === '/segment/jobs') {
    // The tenant feed's first poll is its baseline: empty, so every fixture job is news after it.
    current.listed += 1;
    const children = current.listed === 1 && request.query.has('sort') ? [] : current.jobs;
    return {
      body: { _page: { totalCount: children.length, pageSize: children.length }, children },
    };
  }
  if (request.method === 'POST' && request.path === '/segment/jobs/bulk-get') {
    const ids = (request.body as { ids: { id: string }[] }).ids.map((entry) => entry.id);
    return bulkBody(
      Object.fromEntries(ids.map((id) => [id, current.jobs.find((job) => job.id === id) ?? null])),
    );
  }
  return { status: 404 };
}

beforeAll(async () => {
  fake = await startFakeUpstream(answer);
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '20', UPSTREAM_MAX_ATTEMPTS: '1' },
  });
});

afterAll(async () => {
  await ws?.dispose();
  await harness?.close();
  await fake?.close();
});

function document<TData>(source: string): TypedDocumentNode<TData, Record<string, unknown>> {
  return parse(source) as TypedDocumentNode<TData, Record<string, unknown>>;
}

interface EventData {
  jobId: string;
  status: string;
  job: Raw;
}

describe.each(fixtures)('$name', ({ name, jobs }) => {
  const ids = jobs.map((job) => String(job.id));
  const expected = jobs.map(expectedJob);
  const check = (read: Raw[]) => {
    expect(read).toEqual(expected);
    SPOT_CHECKS[name]?.(read);
  };

  it('segmentJobs reads every field of every job', async () => {
    served.set(`${name}-list`, { jobs, listed: 1 });
    const response = await harness.post<{ segmentJobs: { edges: { node: Raw }[] } }>(
      {
        query: `{ segmentJobs(first: ${jobs.length}) { unreadableCount edges { node { ${JOB_FIELDS} } } } }`,
      },
      headersFor(`${name}-list`),
    );
    expect(response.errors).toBeUndefined();
    check(response.data?.segmentJobs.edges.map((edge) => edge.node) ?? []);
  });

  it('segmentJobsByIds reads every field of every job', async () => {
    served.set(`${name}-ids`, { jobs, listed: 0 });
    const response = await harness.post<{ segmentJobsByIds: Raw[] }>(
      // Ids written out, not a variable: the cost limit counts a variable list as 100 ids.
      { query: `{ segmentJobsByIds(ids: ${JSON.stringify(ids)}) { ${JOB_FIELDS} } }` },
      headersFor(`${name}-ids`),
    );
    expect(response.errors).toBeUndefined();
    check(response.data?.segmentJobsByIds ?? []);
  });

  it('segmentJobStatusChanged delivers every job as read', async () => {
    served.set(`${name}-watch`, { jobs, listed: 0 });
    ws = connectWs(harness.graphqlUrl, { connectionParams: headersFor(`${name}-watch`) });
    const recorder = ws.subscribe(
      document<{ segmentJobStatusChanged: EventData }>(
        `subscription ($ids: [ID!]!) { segmentJobStatusChanged(ids: $ids) { jobId status job { ${JOB_FIELDS} } } }`,
      ),
      { ids },
    );
    const results = await recorder.waitFor(
      (all) => all.length >= ids.length,
      `an initial event per job of ${name}`,
    );
    const byId = new Map(
      results.map((result) => [result.data?.segmentJobStatusChanged.jobId, result.data]),
    );
    check(ids.map((id) => byId.get(id)?.segmentJobStatusChanged.job ?? {}));
    recorder.cancel();
    await ws.dispose();
    ws = undefined;
  });

  it('segmentJobEvents delivers every job of the tenant feed as read', async () => {
    served.set(`${name}-feed`, { jobs, listed: 0 });
    ws = connectWs(harness.graphqlUrl, { connectionParams: headersFor(`${name}-feed`) });
    const recorder = ws.subscribe(
      document<{ segmentJobEvents: EventData }>(
        `subscription { segmentJobEvents { jobId status job { ${JOB_FIELDS} } } }`,
      ),
      {},
    );
    const results = await recorder.waitFor(
      (all) => all.length >= ids.length,
      `an event per job of ${name} on the feed`,
    );
    const byId = new Map(
      results.map((result) => [result.data?.segmentJobEvents.jobId, result.data]),
    );
    check(ids.map((id) => byId.get(id)?.segmentJobEvents.job ?? {}));
    recorder.cancel();
    await ws.dispose();
    ws = undefined;
  });
});
