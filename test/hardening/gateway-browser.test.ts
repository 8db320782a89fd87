// What a hostile web page can make a browser do to the gateway over HTTP: simple (not
// preflighted) requests are refused before anything runs, while JSON POSTs, GraphiQL and SSE
// keep working; with ALLOWED_ORIGINS set, other origins get no CORS allowance at all.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';
import { subscribeSse } from '../support/subscription-sse.ts';

const APP_ORIGIN = 'https://app.example';
const ADMIN_ORIGIN = 'https://admin.example';
const EVIL_ORIGIN = 'https://evil.example';
const UPSTREAM_QUERY = '{ segmentJobs(first: 1) { totalCount edges { node { id } } } }';

let harness: GatewayHarness;

beforeAll(async () => {
  harness = await startGatewayHarness({
    env: { ALLOWED_ORIGINS: `${APP_ORIGIN},${ADMIN_ORIGIN}` },
  });
});
afterAll(async () => {
  await harness?.close();
});
beforeEach(() => {
  harness.resetCalls();
});

async function send(init: RequestInit & { search?: string }): Promise<{
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}> {
  const url = `${harness.graphqlUrl}${init.search ?? ''}`;
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: parseJson(text),
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe('requests a browser sends cross-site without a preflight', () => {
  const encodedQuery = `?query=${encodeURIComponent(UPSTREAM_QUERY)}`;

  it.each<[string, RequestInit & { search?: string }]>([
    [
      'a text/plain POST',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: EVIL_ORIGIN },
        body: JSON.stringify({ query: UPSTREAM_QUERY }),
      },
    ],
    [
      'a text/plain POST with a charset',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({ query: UPSTREAM_QUERY }),
      },
    ],
    [
      'a form POST',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL_ORIGIN },
        body: `query=${encodeURIComponent(UPSTREAM_QUERY)}`,
      },
    ],
    [
      'a multipart form POST',
      (() => {
        const form = new FormData();
        form.set('query', UPSTREAM_QUERY);
        return { method: 'POST', body: form, headers: { origin: EVIL_ORIGIN } };
      })(),
    ],
    ['a GET query', { method: 'GET', search: encodedQuery, headers: { origin: EVIL_ORIGIN } }],
    [
      'a GET query asking for JSON',
      { method: 'GET', search: encodedQuery, headers: { accept: 'application/json' } },
    ],
    [
      'a GET subscription as an EventSource sends it',
      {
        method: 'GET',
        search: `?query=${encodeURIComponent('subscription { segmentJobEvents { jobId } }')}`,
        headers: { accept: 'text/event-stream' },
      },
    ],
  ])('refuses %s with 403 before any upstream call', async (_name, init) => {
    const response = await send(init);
    expect(response.status).toBe(403);
    // An event-stream request gets the refusal as an event, others as JSON.
    expect(response.text).toContain('CSRF_PREFLIGHT_REQUIRED');
    expect(response.text).toMatch(
      /expected content-type application\/json, or a x-graphql-yoga-csrf header/,
    );
    expect(harness.calls).toHaveLength(0);
  });

  it.each(['x-graphql-yoga-csrf', 'graphql-require-preflight', 'apollo-require-preflight'])(
    'answers a GET query carrying %s',
    async (header) => {
      const response = await send({
        method: 'GET',
        search: encodedQuery,
        headers: { [header]: '1', accept: 'application/json' },
      });
      expect(response.status).toBe(200);
      expect(response.json?.errors).toBeUndefined();
      expect(harness.calls.length).toBeGreaterThan(0);
    },
  );
});

describe('what keeps working', () => {
  it('answers a JSON POST', async () => {
    const response = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP_ORIGIN },
      body: JSON.stringify({ query: UPSTREAM_QUERY }),
    });
    expect(response.status).toBe(200);
    expect(response.json?.errors).toBeUndefined();
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('answers a POST in the GraphQL response media type', async () => {
    const response = await send({
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        accept: 'application/graphql-response+json',
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves GraphiQL to a plain browser GET', async () => {
    const response = await fetch(harness.graphqlUrl, {
      headers: { accept: 'text/html,application/xhtml+xml', origin: EVIL_ORIGIN },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>Segment jobs gateway</title>');
  });

  it('streams a subscription over SSE (a JSON POST asking for text/event-stream)', async () => {
    const list = await harness.post<{
      segmentJobs: { edges: { node: { id: string } }[] };
    }>({ query: UPSTREAM_QUERY });
    const jobId = list.data?.segmentJobs.edges[0]?.node.id;
    expect(jobId).toBeDefined();
    const stream = subscribeSse(harness.graphqlUrl, SegmentJobStatusChangedDocument, {
      ids: [jobId ?? ''],
    });
    try {
      expect(await stream.response).toMatchObject({ status: 200 });
      const first = await stream.next('the initial event');
      expect(first.errors).toBeUndefined();
      expect(first.data?.segmentJobStatusChanged).toMatchObject({ jobId, initial: true });
    } finally {
      stream.cancel();
    }
  });
});

describe('CORS with ALLOWED_ORIGINS set', () => {
  async function preflight(origin: string): Promise<Response> {
    return fetch(harness.graphqlUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
  }

  it.each([APP_ORIGIN, ADMIN_ORIGIN])('allows the listed origin %s', async (origin) => {
    const response = await preflight(origin);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/content-type/);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it.each([EVIL_ORIGIN, 'null', `${APP_ORIGIN}.evil.example`, 'http://app.example'])(
    'gives %s no CORS headers on a preflight',
    async (origin) => {
      const response = await preflight(origin);
      for (const name of [
        'access-control-allow-origin',
        'access-control-allow-methods',
        'access-control-allow-headers',
        'access-control-allow-credentials',
      ]) {
        expect(response.headers.get(name)).toBeNull();
      }
    },
  );

  it('gives an unlisted origin no CORS headers on the answer itself', async () => {
    const response = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL_ORIGIN },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
