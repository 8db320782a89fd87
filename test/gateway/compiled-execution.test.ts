// Compiled execution (GRAPHQL_JIT=on) answers exactly like graphql-js (off): every operation of
// the tests' and the client's typed documents, with representative variables, errors included, is
// sent to two gateways over one upstream and the response bodies are compared byte for byte.
import { type DocumentNode, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../client/generated/graphql.ts';
import * as tests from '../generated/graphql.ts';
import {
  bulkBody,
  type FakeUpstream,
  jobListBody,
  jobWithMetrics,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  DEMO_HEADERS,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
  waitForValue,
} from '../support/gateway-harness.ts';

/** Far above the demo data's pages; the scripted upstream's large jobs pass it. */
const ENV = { AUTH_MODE: 'passthrough', GRAPHQL_MAX_RESOLVED_ITEMS: '2000' };

let off: GatewayHarness;
let on: GatewayHarness;

interface Answer {
  status: number;
  body: string;
}

async function send(
  harness: GatewayHarness,
  body: unknown,
  headers: Record<string, string>,
): Promise<Answer> {
  const response = await fetch(harness.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

/** The first result of a `@live` query over SSE (the `data:` line of its first event). */
async function firstLiveResult(
  harness: GatewayHarness,
  body: unknown,
  headers: Record<string, string>,
): Promise<string> {
  const abort = new AbortController();
  const response = await fetch(harness.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('expected a streamed body, but got none');
  let text = '';
  const decoder = new TextDecoder();
  for (;;) {
    const match = /^data: (.*)$/m.exec(text);
    if (match?.[1] !== undefined && text.includes('\n\n')) {
      abort.abort();
      return match[1];
    }
    const step = await reader.read();
    if (step.done) throw new Error(`expected an event, but the stream ended after: ${text}`);
    text += decoder.decode(step.value, { stream: true });
  }
}

/** Both executors' answers to one request: equal, or the test shows where they part. */
async function compare(
  body: { query: string; variables?: unknown; operationName?: string },
  headers: Record<string, string>,
): Promise<Answer> {
  const expected = await send(off, body, headers);
  const actual = await send(on, body, headers);
  expect(actual).toEqual(expected);
  return expected;
}

function operationOf(document: DocumentNode): { query: string; operationName: string } {
  const query = print(document);
  const name = /^(?:query|mutation|subscription) (\w+)/m.exec(query)?.[1];
  if (name === undefined) throw new Error('expected a named operation');
  return { query, operationName: name };
}

beforeAll(async () => {
  off = await startGatewayHarness({ env: { ...ENV, GRAPHQL_JIT: 'off' } });
  on = await startGatewayHarness({
    upstreamBaseUrl: off.upstreamBaseUrl,
    env: { ...ENV, GRAPHQL_JIT: 'on' },
  });
});

afterAll(async () => {
  await on?.close();
  await off?.close();
});

describe('over the embedded service (demo data, every job final)', () => {
  let jobIds: string[] = [];
  let segmentId = '';
  let cursor = '';

  beforeAll(async () => {
    type Page = { data: { segmentJobs: { edges: { cursor: string; node: Job }[] } } };
    type Job = { id: string; isFinal: boolean; segments: { id: string }[] };
    const page = await waitForValue(
      async () => {
        const answer = await send(
          off,
          {
            query:
              '{ segmentJobs(first: 100) { edges { cursor node { id isFinal segments { id } } } } }',
          },
          DEMO_HEADERS,
        );
        const parsed = JSON.parse(answer.body) as Page;
        const edges = parsed.data.segmentJobs.edges;
        return edges.length > 0 && edges.every((edge) => edge.node.isFinal) ? edges : undefined;
      },
      15_000,
      'every demo job to be final',
    );
    jobIds = page.map((edge) => edge.node.id);
    cursor = page[2]?.cursor ?? '';
    segmentId = page.find((edge) => edge.node.segments.length > 0)?.node.segments[0]?.id ?? '';
    expect(jobIds.length).toBeGreaterThan(3);
    expect(segmentId).not.toBe('');
  });

  /** [operation, variables] for every query of the typed documents (ids filled in lazily). */
  const queries = (): [string, DocumentNode, Record<string, unknown>][] => [
    ['SegmentJobs first page', tests.SegmentJobsDocument, { first: 5 }],
    ['SegmentJobs after a cursor', tests.SegmentJobsDocument, { first: 3, after: cursor }],
    ['SegmentJobs by status', tests.SegmentJobsDocument, { first: 10, status: 'SUCCEEDED' }],
    ['SegmentJobs by segment', tests.SegmentJobsDocument, { first: 5, segmentId }],
    [
      'SegmentJobs sorted',
      tests.SegmentJobsDocument,
      { first: 5, sort: { field: 'STATUS', direction: 'ASC' } },
    ],
    ['SegmentJobs whole list', tests.SegmentJobsDocument, { first: 100 }],
    ['SegmentJobs bad cursor', tests.SegmentJobsDocument, { first: 5, after: 'not-a-cursor' }],
    ['SegmentJobs negative first', tests.SegmentJobsDocument, { first: -1 }],
    ['SegmentJobs wrong variable type', tests.SegmentJobsDocument, { first: 'five' }],
    ['SegmentJobs unknown enum value', tests.SegmentJobsDocument, { status: 'NOPE' }],
    ['SegmentJob', tests.SegmentJobDocument, { id: jobIds[0] }],
    ['SegmentJob unknown id', tests.SegmentJobDocument, { id: 'no-such-job' }],
    ['SegmentJob missing variable', tests.SegmentJobDocument, {}],
    ['SegmentJobStatus', tests.SegmentJobStatusDocument, { id: jobIds[1] }],
    [
      'SegmentJobsByIds with an unknown id',
      tests.SegmentJobsByIdsDocument,
      { ids: [jobIds[0], 'no-such-job', jobIds[2]] },
    ],
    ['SegmentJobsByIds null in list', tests.SegmentJobsByIdsDocument, { ids: [null] }],
    ['Segment', tests.SegmentDocument, { id: segmentId }],
    ['Segment unknown id', tests.SegmentDocument, { id: 'no-such-segment' }],
    ['Segments', tests.SegmentsDocument, { first: 5 }],
    ['Segments by name', tests.SegmentsDocument, { first: 5, name: 'a' }],
    ['SegmentHistory', tests.SegmentHistoryDocument, { id: segmentId, last: 3 }],
    ['SegmentJobsOfSegment', tests.SegmentJobsOfSegmentDocument, { id: segmentId, first: 3 }],
    ['SegmentJobsWithNames', tests.SegmentJobsWithNamesDocument, { first: 5 }],
    ['SegmentJobsWithSnapshots', tests.SegmentJobsWithSnapshotsDocument, { first: 5 }],
    ['SegmentJobWithNames', tests.SegmentJobWithNamesDocument, { id: jobIds[0] }],
    ['client JobList', client.JobListDocument, { first: 5 }],
    ['client JobList by status', client.JobListDocument, { first: 5, status: 'SUCCEEDED' }],
    ['client Job', client.JobDocument, { id: jobIds[0] }],
    ['client Job unknown id', client.JobDocument, { id: 'no-such-job' }],
    ['client Segments', client.SegmentsDocument, { first: 3 }],
    ['client Segment', client.SegmentDocument, { id: segmentId, last: 2 }],
  ];

  it('answers every query of the typed documents byte for byte like graphql-js', async () => {
    const kinds = { data: 0, errors: 0, requestErrors: 0 };
    for (const [name, document, variables] of queries()) {
      const answer = await compare({ ...operationOf(document), variables }, DEMO_HEADERS).catch(
        (error: unknown) => {
          throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      const parsed = JSON.parse(answer.body) as { data?: unknown; errors?: unknown[] };
      if (!('data' in parsed)) kinds.requestErrors++;
      else if (parsed.errors !== undefined) kinds.errors++;
      else kinds.data++;
    }
    // The table covers answers with data only, with field errors and refused requests.
    expect(kinds.data).toBeGreaterThan(15);
    expect(kinds.errors).toBeGreaterThanOrEqual(2);
    expect(kinds.requestErrors).toBeGreaterThanOrEqual(2);
  });

  it('answers mutations that fail byte for byte like graphql-js', async () => {
    const cases: [DocumentNode, Record<string, unknown>][] = [
      [tests.CancelSegmentJobDocument, { id: 'no-such-job' }],
      [tests.CreateSegmentJobDocument, { input: { segmentIds: [] } }],
      [tests.CreateSegmentJobDocument, { input: { segmentIds: ['no-such-segment'] } }],
      [tests.CreateSegmentJobDocument, { input: { segmentIds: 7 } }],
      [tests.CreateSegmentJobWithNamesDocument, { input: { segmentIds: [''] } }],
      [client.CancelJobDocument, { id: 'no-such-job' }],
      [client.CreateJobDocument, { input: {} }],
    ];
    for (const [document, variables] of cases) {
      await compare({ ...operationOf(document), variables }, DEMO_HEADERS);
    }
  });

  it('gives a @live query the same first result', async () => {
    for (const [document, variables] of [
      [tests.SegmentJobDocument, { id: jobIds[0] }],
      [tests.SegmentJobsDocument, { first: 5 }],
    ] as const) {
      const { query, operationName } = operationOf(document);
      const live = query.replace(/\) \{/, ') @live {');
      const body = { query: live, operationName, variables };
      const expected = await firstLiveResult(off, body, DEMO_HEADERS);
      const actual = await firstLiveResult(on, body, DEMO_HEADERS);
      expect(expected).toContain('"data"');
      expect(JSON.parse(actual)).toEqual(JSON.parse(expected));
      expect(actual).toBe(expected);
    }
  });

  it('refuses an unknown operation name and an ambiguous document alike', async () => {
    const { query } = operationOf(tests.SegmentJobDocument);
    await compare({ query, operationName: 'Nope', variables: { id: 'x' } }, DEMO_HEADERS);
    await compare({ query: `${query}\nquery Other { __typename }` }, DEMO_HEADERS);
  });

  it('creates and cancels jobs with the same answers but their own ids and times', async () => {
    // Two creates make two jobs: only what the upstream assigns (id, times) may differ.
    const normalize = (body: string) =>
      body
        .replace(/"id":"[0-9a-f-]{36}"/g, '"id":"<id>"')
        .replace(/"(creationTime|updateTime)":"[^"]*"/g, '"$1":"<time>"');
    for (const document of [tests.CreateSegmentJobDocument, client.CreateJobDocument]) {
      const body = { ...operationOf(document), variables: { input: { segmentIds: [segmentId] } } };
      const expected = await send(off, body, DEMO_HEADERS);
      const actual = await send(on, body, DEMO_HEADERS);
      expect(expected.body).toContain('Success');
      expect({ ...actual, body: normalize(actual.body) }).toEqual({
        ...expected,
        body: normalize(expected.body),
      });
    }
    // A cancel deletes a final job: each gateway cancels a job of its own.
    for (const document of [tests.CancelSegmentJobDocument, client.CancelJobDocument]) {
      const [first, second] = jobIds.slice(-2);
      const { query, operationName } = operationOf(document);
      const expected = await send(
        off,
        { query, operationName, variables: { id: first } },
        DEMO_HEADERS,
      );
      const actual = await send(
        on,
        { query, operationName, variables: { id: second } },
        DEMO_HEADERS,
      );
      expect(expected.body).toContain('Success');
      expect({ ...actual, body: normalize(actual.body) }).toEqual({
        ...expected,
        body: normalize(expected.body),
      });
      jobIds = jobIds.slice(0, -2);
    }
  });
});

describe('over a scripted upstream (upstream errors and unreadable items)', () => {
  let fake: FakeUpstream;
  let fakeOff: GatewayHarness;
  let fakeOn: GatewayHarness;
  // The scripted jobs' own org (fakeTenant()), so that the pages keep them.
  const headers = tenantHeaders('ORG1@AdobeOrg');
  const fixedError = (status: number) => ({
    status,
    body: {
      requestId: 'req-fixed',
      title: 'upstream says no',
      status,
      errors: { [String(status)]: [{ code: `UPAPI-${status}`, message: 'no' }] },
    },
  });

  beforeAll(async () => {
    fake = await startFakeUpstream();
    const env = { ...ENV, UPSTREAM_MAX_ATTEMPTS: '1', FINAL_JOB_CACHE_SIZE: '0' };
    fakeOff = await startGatewayHarness({
      upstreamBaseUrl: fake.baseUrl,
      env: { ...env, GRAPHQL_JIT: 'off' },
    });
    fakeOn = await startGatewayHarness({
      upstreamBaseUrl: fake.baseUrl,
      env: { ...env, GRAPHQL_JIT: 'on' },
    });
  });

  afterAll(async () => {
    await fakeOn?.close();
    await fakeOff?.close();
    await fake?.close();
  });

  async function compareFake(document: DocumentNode, variables: Record<string, unknown>) {
    const body = { ...operationOf(document), variables };
    // Without a request id from the upstream, the gateway makes one per call: not the executor's.
    const normalize = (answer: Answer): Answer => ({
      ...answer,
      body: answer.body.replace(/"requestId":"[0-9a-f-]{36}"/g, '"requestId":"<generated>"'),
    });
    const expected = normalize(await send(fakeOff, body, headers));
    const actual = normalize(await send(fakeOn, body, headers));
    expect(actual).toEqual(expected);
    return expected;
  }

  it.each([401, 403, 404, 429, 500])('maps an upstream %i the same way', async (status) => {
    fake.reset();
    fake.respondWith(() => fixedError(status));
    for (const [document, variables] of [
      [tests.SegmentJobsDocument, { first: 5 }],
      [tests.SegmentJobDocument, { id: 'job-1' }],
      [tests.SegmentJobsByIdsDocument, { ids: ['job-1', 'job-2'] }],
      [tests.SegmentsDocument, { first: 5 }],
      [tests.CancelSegmentJobDocument, { id: 'job-1' }],
      [tests.CreateSegmentJobDocument, { input: { segmentIds: ['segment-1'] } }],
    ] as const) {
      const answer = await compareFake(document, variables);
      expect(answer.body).toMatch(/"code"|"__typename"|null/);
    }
  });

  it('reports unreadable items of a page and of a bulk-get at the same paths', async () => {
    fake.reset();
    const jobs = Array.from({ length: 6 }, (_, index) => sampleJob({ id: `job-${index}` }));
    jobs[3] = sampleJob({ id: 'job-3', status: 'ARCHIVED' });
    const noId = sampleJob();
    delete noId.id;
    fake.respondWith('GET /segment/jobs', () => ({ status: 200, body: jobListBody(jobs) }));
    fake.respondWith('POST /segment/jobs/bulk-get', () =>
      bulkBody({
        a: sampleJob({ id: 'a' }),
        b: sampleJob({ id: 'b', status: 'ARCHIVED' }),
        c: noId,
      }),
    );
    const page = await compareFake(tests.SegmentJobsDocument, { first: 6 });
    expect(page.body).toContain('"upstreamIndex":3');
    expect(page.body).toContain('"id":"job-5"');
    const lookups = await compareFake(tests.SegmentJobsByIdsDocument, { ids: ['a', 'b', 'c'] });
    expect(lookups.body).toContain('"path":["segmentJobsByIds",2]');
    await compareFake(client.JobListDocument, { first: 6 });
  });

  it('refuses a page past the resolved-items budget the same way', async () => {
    fake.reset();
    const jobs = Array.from({ length: 4 }, (_, index) =>
      jobWithMetrics({ segments: 1_000 }, { id: `big-${index}`, status: 'SUCCEEDED' }),
    );
    fake.respondWith('GET /segment/jobs', () => ({ status: 200, body: jobListBody(jobs) }));
    const page = await compareFake(tests.SegmentJobsDocument, { first: 4 });
    expect(page.body).toContain('GRAPHQL_MAX_RESOLVED_ITEMS');
  });

  it('masks garbage from the upstream the same way', async () => {
    fake.reset();
    fake.respondWith(() => ({ status: 200, body: '{"children": [ garbage' }));
    await compareFake(tests.SegmentJobsDocument, { first: 5 });
    await compareFake(tests.SegmentJobDocument, { id: 'job-1' });
  });
});
