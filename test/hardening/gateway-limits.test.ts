// Hostile GraphQL against the real gateway over the real embedded service: every operation limit
// (default and configured) refuses during validation with BAD_USER_INPUT and no upstream call,
// including the known ways around them; oversized documents and bodies leave the process
// healthy; batching is refused plainly; introspection off also hides suggestions.
import { request as httpRequest } from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type GatewayHarness,
  type GraphQLResponse,
  startGatewayHarness,
} from '../support/gateway-harness.ts';
import { openRawSocket } from '../support/ws-client.ts';

/** A query that asks the upstream when it runs: a refused one shows up as zero calls. */
const UPSTREAM_QUERY = '{ segmentJobs(first: 1) { totalCount } }';

function repeat(count: number, make: (index: number) => string, separator = ' '): string {
  return Array.from({ length: count }, (_, index) => make(index)).join(separator);
}

/** Nests `depth` levels of `open … close` around `inner`. */
function nest(depth: number, open: string, inner: string, close = '}'): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

function codesOf(result: GraphQLResponse<unknown>): unknown[] {
  return (result.errors ?? []).map((error) => error.extensions?.code);
}

function messagesOf(result: GraphQLResponse<unknown>): string {
  return (result.errors ?? []).map((error) => error.message).join('\n');
}

/** The refusal every limit gives: no data, a BAD_USER_INPUT error matching `message`, no call. */
function expectRefused(
  harness: GatewayHarness,
  result: GraphQLResponse<unknown>,
  message: RegExp,
): void {
  expect(result.data ?? null).toBeNull();
  expect(codesOf(result)).toContain('BAD_USER_INPUT');
  expect(messagesOf(result)).toMatch(message);
  expect(harness.calls).toHaveLength(0);
}

/** Liveness answers and an ordinary query still reaches the upstream and answers. */
async function expectHealthy(harness: GatewayHarness): Promise<void> {
  const health = await fetch(`${harness.origin}/healthz`);
  expect(health.status).toBe(200);
  const result = await harness.post<{ segmentJobs: { totalCount: number } }>({
    query: UPSTREAM_QUERY,
  });
  expect(result.errors).toBeUndefined();
  expect(result.data?.segmentJobs.totalCount).toBeGreaterThan(0);
}

interface RawResponse {
  status: number;
  body: string;
}

/**
 * POSTs a JSON body with node:http, declared (Content-Length) or chunked; the server may answer
 * and close before the whole body is written, so a reset while writing is not a failure.
 */
function rawPost(
  url: string,
  body: string,
  options: { isChunked?: boolean; contentType?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/json',
      accept: 'application/json',
    };
    if (options.isChunked !== true) headers['content-length'] = String(Buffer.byteLength(body));
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    if (options.isChunked === true) {
      const chunkSize = 64 * 1024;
      for (let offset = 0; offset < body.length; offset += chunkSize) {
        request.write(body.slice(offset, offset + chunkSize));
      }
    } else {
      request.write(body);
    }
    request.end();
  });
}

/** A job selection costing 17 per job: lists without a size argument count once. */
const HEAVY_JOB =
  'id status creationTime updateTime metrics { totalProfiles totalTime { totalTimeInMs } segments { segmentId qualified realized exited byNamespace { namespace count } } }';

describe('default limits', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(() => {
    harness.resetCalls();
  });

  it('answers a query at every limit', async () => {
    const aliases = repeat(15, (index) => `a${index}: segmentJobs(first: 1) { totalCount }`);
    const freeAliases = repeat(100, (index) => `t${index}: __typename`);
    const result = await harness.post({ query: `{ ${aliases} ${freeAliases} }` });
    expect(result.errors).toBeUndefined();
    expect(Object.keys(result.data ?? {})).toHaveLength(115);
    expect(harness.calls.length).toBeGreaterThan(0);
  });

  it("answers GraphiQL's standard introspection query (15 levels deep) within the defaults", async () => {
    const result = await harness.post({ query: getIntrospectionQuery() });
    expect(result.errors).toBeUndefined();
    expect(result.data).toHaveProperty('__schema.queryType.name', 'Query');
    expect(harness.calls).toHaveLength(0);
  });

  it('answers a page of 100 jobs with every commonly used field within the default cost', async () => {
    const result = await harness.post({
      query: `{ segmentJobs(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
        id status isFinal allSegments imsOrgId schemaName creationTime updateTime sandbox { sandboxName }
        segments { id expression { type format value } mergePolicyId }
        errors { code message }
        ${HEAVY_JOB.replace('id status creationTime updateTime ', '')} } } } }`,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toHaveProperty('segmentJobs.totalCount');
  });

  it.each<[string, string, RegExp]>([
    [
      'introspection that loops back on itself',
      `{ segmentJobs(first: 1) { totalCount } __schema { types { fields { type { fields { name } } } } } }`,
      /Introspection repeats "fields" inside itself/,
    ],
    [
      'a looping introspection path hidden in a fragment named __schema',
      `{ __typename ...__schema }
       fragment __schema on Query { __type(name: "SegmentJob") { fields { type { fields { name } } } } }`,
      /Introspection repeats "fields" inside itself/,
    ],
    [
      'introspection nested through ofType past its own limit',
      `{ __schema { types { ${nest(20, 'ofType { ', 'name', ' }')} } } }`,
      /Introspection depth is 23; the limit is 20\./,
    ],
    [
      '16 aliases',
      `{ ${repeat(16, (index) => `a${index}: segmentJobs(first: 1) { totalCount }`)} }`,
      /Query uses 16 aliases; the limit is 15\./,
    ],
    [
      'aliases hidden in a fragment spread many times',
      `{ segmentJobs(first: 1) { ${repeat(8, () => '...Page')} } }
       fragment Page on SegmentJobConnection { a: totalCount b: totalCount }`,
      /Query uses 16 aliases; the limit is 15\./,
    ],
    [
      'aliases hidden in fragments that spread each other',
      `{ segmentJobs(first: 1) { ...Outer } }
       fragment Outer on SegmentJobConnection { ...Inner ...Inner ...Inner ...Inner }
       fragment Inner on SegmentJobConnection { a: totalCount b: totalCount c: totalCount d: totalCount e: totalCount }`,
      /Query uses 20 aliases; the limit is 15\./,
    ],
    [
      '11 directives',
      `{ ${repeat(11, (index) => `f${index}: __typename @include(if: true)`)} segmentJobs(first: 1) { totalCount } }`,
      /Query uses 11 directives; the limit is 10\./,
    ],
    [
      'directives hidden in a fragment spread many times',
      `{ segmentJobs(first: 1) { ${repeat(6, () => '...D')} } }
       fragment D on SegmentJobConnection { totalCount @skip(if: false) pageInfo @include(if: true) { hasNextPage } }`,
      /Query uses 12 directives; the limit is 10\./,
    ],
    [
      'a cost of three pages of 100 jobs',
      `{ ${repeat(3, (index) => `p${index}: segmentJobs(first: 100) { edges { node { ${HEAVY_JOB} } } }`)} }`,
      /Query cost is estimated at 5403; the limit is 5000\./,
    ],
    [
      'a cost spread through a reused fragment',
      `{ a: segmentJobs(first: 100) { ...Heavy } b: segmentJobs(first: 100) { ...Heavy } c: segmentJobs(first: 100) { ...Heavy } }
       fragment Heavy on SegmentJobConnection { edges { node { ${HEAVY_JOB} } } }`,
      /Query cost is estimated at 5403; the limit is 5000\./,
    ],
    [
      'a cost hidden behind a variable page size',
      `query Big($n: Int) { a: segmentJobs(first: $n) { ...Heavy } b: segmentJobs(first: $n) { ...Heavy } c: segmentJobs(first: $n) { ...Heavy } }
       fragment Heavy on SegmentJobConnection { edges { node { ${HEAVY_JOB} } } }`,
      /Query cost is estimated at 5403; the limit is 5000\./,
    ],
    [
      '3,000 __typename fields (tokens)',
      `{ ${repeat(3_000, () => '__typename')} }`,
      /Query has more than 2000 tokens; the limit is 2000\./,
    ],
  ])('refuses %s with BAD_USER_INPUT and no upstream call', async (_name, query, message) => {
    const result = await harness.post({ query });
    expectRefused(harness, result, message);
  });
});

describe('configured limits', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: {
        GRAPHQL_MAX_DEPTH: '3',
        GRAPHQL_MAX_ALIASES: '2',
        GRAPHQL_MAX_DIRECTIVES: '1',
        GRAPHQL_MAX_TOKENS: '60',
        GRAPHQL_MAX_COST: '40',
      },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(() => {
    harness.resetCalls();
  });

  it('answers a query within every configured limit', async () => {
    const result = await harness.post({
      query:
        '{ a: segmentJobs(first: 1) { totalCount } b: segmentJobs(first: 2) @include(if: true) { totalCount } }',
    });
    expect(result.errors).toBeUndefined();
    expect(harness.calls.length).toBeGreaterThan(0);
  });

  it.each<[string, string, RegExp]>([
    [
      'depth 4 (GRAPHQL_MAX_DEPTH=3)',
      '{ segmentJobs(first: 1) { edges { node { id } } } }',
      /Query depth is 4; the limit is 3\./,
    ],
    [
      'depth 4 in a fragment named __schema (GRAPHQL_MAX_DEPTH=3)',
      '{ segmentJobs(first: 1) { ...__schema } } fragment __schema on SegmentJobConnection { edges { node { id } } }',
      /Query depth is 4; the limit is 3\./,
    ],
    [
      '3 aliases (GRAPHQL_MAX_ALIASES=2)',
      '{ a: segmentJobs(first: 1) { totalCount } b: segmentJobs(first: 1) { totalCount } c: segmentJobs(first: 1) { totalCount } }',
      /Query uses 3 aliases; the limit is 2\./,
    ],
    [
      '2 directives (GRAPHQL_MAX_DIRECTIVES=1)',
      '{ segmentJobs(first: 1) @include(if: true) { totalCount @skip(if: false) } }',
      /Query uses 2 directives; the limit is 1\./,
    ],
    [
      'a page of 20 (GRAPHQL_MAX_COST=40)',
      '{ segmentJobs(first: 20) { edges { cursor } } }',
      /Query cost is estimated at \d+; the limit is 40\./,
    ],
    [
      '61 tokens (GRAPHQL_MAX_TOKENS=60)',
      `{ ${repeat(59, () => '__typename')} }`,
      /Query has more than 60 tokens; the limit is 60\./,
    ],
  ])('refuses %s', async (_name, query, message) => {
    const result = await harness.post({ query });
    expectRefused(harness, result, message);
  });
});

describe('oversized documents and bodies', () => {
  let harness: GatewayHarness;
  /** Bodies up to 20 MB reach the parser, so the token cap is what refuses. */
  let roomy: GatewayHarness;

  beforeAll(async () => {
    [harness, roomy] = await Promise.all([
      startGatewayHarness(),
      startGatewayHarness({ env: { GRAPHQL_MAX_BODY_BYTES: String(20_000_000) } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([harness?.close(), roomy?.close()]);
  });
  beforeEach(() => {
    harness.resetCalls();
    roomy.resetCalls();
  });

  const inlineFragments = (): string =>
    `{ ${repeat(200, () => nest(100, '... on Query { ', '__typename', ' }'))} segmentJobs(first: 1) { totalCount } }`;
  const megabyteQuery = (): string =>
    `{ segmentJobs(first: 1) { totalCount } ${'__typename '.repeat(Math.ceil(1_048_576 / 11))} }`;

  it.each<[string, () => string]>([
    ['200 × 100 nested inline fragments', inlineFragments],
    ['a 1 MB query', megabyteQuery],
  ])('refuses %s at the body limit (413), then serves as before', async (_name, makeQuery) => {
    const response = await rawPost(harness.graphqlUrl, JSON.stringify({ query: makeQuery() }));
    expect(response.status).toBe(413);
    expect(response.body).toContain('REQUEST_ENTITY_TOO_LARGE');
    expect(harness.calls).toHaveLength(0);
    await expectHealthy(harness);
  });

  it.each<[string, () => string]>([
    ['200 × 100 nested inline fragments', inlineFragments],
    ['a 1 MB query', megabyteQuery],
  ])(
    'refuses %s at the token cap when the body fits, then serves as before',
    async (_name, makeQuery) => {
      const result = await roomy.post({ query: makeQuery() });
      expectRefused(roomy, result, /Query has more than 2000 tokens; the limit is 2000\./);
      await expectHealthy(roomy);
    },
  );

  it.each([
    ['declared', false],
    ['chunked', true],
  ])('refuses a 10 MB body (%s) with 413 and serves as before', async (_name, isChunked) => {
    const body = JSON.stringify({
      query: UPSTREAM_QUERY,
      variables: { pad: 'x'.repeat(10_000_000) },
    });
    const response = await rawPost(harness.graphqlUrl, body, { isChunked });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      errors: [
        {
          message: expect.stringMatching(/^Request body too large: expected at most 100000 bytes/),
          extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' },
        },
      ],
    });
    expect(harness.calls).toHaveLength(0);
    await expectHealthy(harness);
  });
});

describe('HTTP batching', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('refuses a JSON array of operations with 400 saying batching is not supported', async () => {
    harness.resetCalls();
    const result = await harness.post([{ query: UPSTREAM_QUERY }, { query: UPSTREAM_QUERY }]);
    expect(result.status).toBe(400);
    expect(result.errors).toEqual([
      { message: 'Batching is not supported.', extensions: { code: 'BAD_REQUEST' } },
    ]);
    expect(harness.calls).toHaveLength(0);
  });

  it('refuses an empty array the same way', async () => {
    const result = await harness.post([]);
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.message).toBe('Batching is not supported.');
  });
});

describe('introspection and suggestions', () => {
  let closed: GatewayHarness;
  let open: GatewayHarness;

  beforeAll(async () => {
    [closed, open] = await Promise.all([
      startGatewayHarness({ env: { GRAPHQL_INTROSPECTION: 'false' } }),
      startGatewayHarness(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([closed?.close(), open?.close()]);
  });

  /** Each document has a typo that graphql-js would answer with a "Did you mean …?" hint. */
  const typos: [string, { query: string; variables?: Record<string, unknown> }][] = [
    ['an unknown field', { query: '{ segmentJobs(first: 1) { totalCont } }' }],
    ['an unknown root field', { query: '{ segmentJob1(id: "x") { id } }' }],
    ['an unknown argument', { query: '{ segmentJobs(frist: 1) { totalCount } }' }],
    ['an unknown enum literal', { query: '{ segmentJobs(status: SUCCEDED) { totalCount } }' }],
    [
      'an unknown input field',
      { query: '{ segmentJobs(sort: { feild: STATUS, direction: ASC }) { totalCount } }' },
    ],
    [
      'an unknown variable type',
      { query: 'query ($s: SegmentJobStatu) { segmentJobs(status: $s) { totalCount } }' },
    ],
    [
      'an enum variable with a typo',
      {
        query: 'query ($s: SegmentJobStatus) { segmentJobs(status: $s) { totalCount } }',
        variables: { s: 'SUCCEDED' },
      },
    ],
    [
      'a fragment on an unknown type',
      {
        query:
          '{ segmentJobs(first: 1) { ...F } } fragment F on SegmentJobConection { totalCount }',
      },
    ],
  ];

  it.each(typos)('hides suggestions for %s when introspection is off', async (_name, body) => {
    closed.resetCalls();
    const result = await closed.post(body);
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(messagesOf(result)).not.toMatch(/Did you mean/);
    expect(closed.calls).toHaveLength(0);
  });

  it.each(typos)('keeps suggestions for %s by default', async (_name, body) => {
    const result = await open.post(body);
    expect(messagesOf(result)).toMatch(/Did you mean/);
  });

  it.each([
    ['hides', () => closed, false],
    ['keeps', () => open, true],
  ])('%s suggestions over WebSocket as over HTTP', async (_name, harnessOf, hasHint) => {
    const socket = openRawSocket(harnessOf().graphqlUrl);
    try {
      await socket.opened;
      socket.send({ type: 'connection_init', payload: {} });
      await socket.nextMessage('connection_ack');
      socket.send({
        id: '1',
        type: 'subscribe',
        payload: { query: 'subscription { segmentJobStatusChanged(ids: ["x"]) { jobd } }' },
      });
      const error = await socket.nextMessage('error');
      const text = JSON.stringify(error.payload);
      expect(text).toContain('Cannot query field');
      expect(text.includes('Did you mean')).toBe(hasHint);
    } finally {
      socket.socket.close();
    }
  });

  it.each([
    ['__schema', '{ __schema { queryType { name } } }'],
    ['__type', '{ __type(name: "SegmentJob") { fields { name } } }'],
    [
      '__schema hidden in a fragment',
      '{ ...Probe } fragment Probe on Query { __schema { types { name } } }',
    ],
    ['__type under an alias', '{ t: __type(name: "Query") { name } }'],
  ])('refuses %s when introspection is off', async (_name, query) => {
    closed.resetCalls();
    const result = await closed.post({ query });
    expect(result.data ?? null).toBeNull();
    expect(messagesOf(result)).toMatch(/introspection has been disabled/);
    expect(codesOf(result)).toContain('GRAPHQL_VALIDATION_FAILED');
  });

  it('still answers __typename when introspection is off', async () => {
    const result = await closed.post({ query: '{ __typename }' });
    expect(result).toEqual({ status: 200, data: { __typename: 'Query' } });
  });

  it('answers introspection by default', async () => {
    const result = await open.post<{ __schema: { queryType: { name: string } } }>({
      query: '{ __schema { queryType { name } } }',
    });
    expect(result.data?.__schema.queryType.name).toBe('Query');
  });

  it('serves GraphiQL by default', async () => {
    const response = await fetch(open.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('<title>Segment jobs gateway</title>');
  });
});
