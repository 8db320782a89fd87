// Traces with the SDK's in-memory exporter: a query that lists jobs and bulk-gets another is one
// server span with a client span per upstream attempt; each attempt sends the W3C traceparent
// of its own span (and nothing else of the trace); the operation's log line names the trace.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTracing, type Tracing } from '../../src/observability/tracing-sdk.ts';
import {
  bulkBody,
  type FakeUpstream,
  jobListBody,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';

const ORG = 'TRACE1@AdobeOrg';
const tenant = { orgId: ORG, sandboxName: 'prod' };
const LISTED = ['a1000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000002'];
const FETCHED = 'b2000000-0000-4000-8000-000000000003';
/** The caller's own trace: the operation span continues it. */
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let fake: FakeUpstream;
let harness: GatewayHarness;

beforeAll(async () => {
  tracing = registerTracing({
    serviceName: 'gateway-under-test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  fake = await startFakeUpstream((request) => {
    if (request.method === 'GET' && request.path === '/segment/jobs') {
      return { body: jobListBody(LISTED.map((id) => sampleJob({ id }, tenant))) };
    }
    if (request.method === 'POST' && request.path === '/segment/jobs/bulk-get') {
      return bulkBody({ [FETCHED]: sampleJob({ id: FETCHED }, tenant) });
    }
    return { status: 404, body: { title: 'not found' } };
  });
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', UPSTREAM_MAX_ATTEMPTS: '1' },
  });
});

afterAll(async () => {
  await harness?.close();
  await fake?.close();
  await tracing?.shutdown();
});

describe('tracing', () => {
  it('makes one span per operation with a child span per upstream call, and sends traceparent', async () => {
    exporter.reset();
    fake.reset();
    const response = await harness.post(
      {
        query: `query ListAndFetch($ids: [ID!]!) {
          segmentJobs(first: 2) { edges { node { id } } }
          segmentJobsByIds(ids: $ids) { id }
        }`,
        variables: { ids: [FETCHED] },
      },
      { ...tenantHeaders(ORG), traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` },
    );
    expect(response.errors).toBeUndefined();

    const spans = exporter.getFinishedSpans();
    const operation = spans.filter((span) => span.name === 'graphql.query');
    expect(operation).toHaveLength(1);
    const [root] = operation;
    if (root === undefined) throw new Error('expected the operation span');
    expect(root.spanContext().traceId).toBe(CALLER_TRACE_ID);
    expect(root.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(root.attributes['graphql.operation.name']).toBe('ListAndFetch');

    const children = spans
      .filter((span) => span.parentSpanContext?.spanId === root.spanContext().spanId)
      .map((span) => ({
        name: span.name,
        method: span.attributes['http.request.method'],
        route: span.attributes['url.template'],
        status: span.attributes['http.response.status_code'],
        attempt: span.attributes['gateway.upstream.attempt'],
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(children.map(({ spanId: _spanId, ...rest }) => rest)).toEqual([
      {
        name: 'GET /segment/jobs',
        method: 'GET',
        route: '/segment/jobs',
        status: 200,
        attempt: 1,
        traceId: CALLER_TRACE_ID,
      },
      {
        name: 'POST /segment/jobs/bulk-get',
        method: 'POST',
        route: '/segment/jobs/bulk-get',
        status: 207,
        attempt: 1,
        traceId: CALLER_TRACE_ID,
      },
    ]);
    // Nothing else in the tree: the operation and its two calls.
    expect(spans).toHaveLength(3);

    // Each upstream request carries its own span as the parent, and no other trace header.
    const sent = fake.requests.map((request) => ({
      call: `${request.method} ${request.path}`,
      traceparent: request.headers.traceparent,
      hasBaggage: 'baggage' in request.headers,
    }));
    const expected = children.map((child) => ({
      call: child.name,
      traceparent: `00-${CALLER_TRACE_ID}-${child.spanId}-01`,
      hasBaggage: false,
    }));
    expect(sent.sort((a, b) => a.call.localeCompare(b.call))).toEqual(expected);

    const line = harness.logLines.find(
      (entry) => entry.msg === 'operation' && entry.operationName === 'ListAndFetch',
    );
    expect(line?.traceId).toBe(CALLER_TRACE_ID);
  });

  it('starts a trace of its own for a caller that sends none', async () => {
    exporter.reset();
    fake.reset();
    const response = await harness.post(
      { query: '{ segmentJobs(first: 2) { totalCount } }' },
      tenantHeaders(ORG),
    );
    expect(response.errors).toBeUndefined();
    const spans = exporter.getFinishedSpans();
    const root = spans.find((span) => span.name === 'graphql.query');
    expect(root?.parentSpanContext).toBeUndefined();
    const traceId = root?.spanContext().traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fake.requests.map((request) => request.headers.traceparent?.slice(3, 35))).toEqual([
      traceId,
    ]);
  });
});
