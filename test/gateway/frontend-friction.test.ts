// Frictions a frontend developer meets first, over the real gateway and embedded service: a
// missing or wrong variable answers BAD_USER_INPUT over HTTP, SSE and WebSocket; a refused
// WebSocket closes with 4403 and a reason naming the credential at fault (never its value);
// GraphiQL's header template says what to fill in; the GraphiQL page comes compressed with an
// ETag, so a browser downloads it once (304 afterwards).
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlHeaders } from '../../src/server/graphiql.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';
import { parseSseFrames } from '../support/subscription-sse.ts';
import { connectWs, openRawSocket } from '../support/ws-client.ts';

const BY_ID = 'query ById($id: ID!) { segmentJob(id: $id) { __typename } }';
const PAGE = 'query Page($first: Int) { segmentJobs(first: $first) { totalCount } }';
const HEADERS = tenantHeaders('FRICTION@AdobeOrg');

interface ErrorJson {
  message: string;
  extensions?: Record<string, unknown>;
}

/** What a raw HTTP GET answers, body bytes as sent (not decoded). */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('request errors and first-contact friction', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({ env: { AUTH_MODE: 'passthrough' } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it.each([
    ['a missing variable', BY_ID, {}],
    ['a variable of the wrong type', PAGE, { first: 'ten' }],
  ])('answers %s over HTTP with BAD_USER_INPUT', async (_name, query, variables) => {
    const response = await harness.post({ query, variables }, HEADERS);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(/Variable "\$(id|first)"/);
  });

  it('answers a missing variable over SSE with BAD_USER_INPUT', async () => {
    const response = await fetch(harness.graphqlUrl, {
      method: 'POST',
      headers: { ...HEADERS, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: BY_ID, variables: {} }),
    });
    const { frames } = parseSseFrames(await response.text());
    const next = frames.find((frame) => frame.event === 'next');
    const result = JSON.parse(next?.data ?? '{}') as { errors?: ErrorJson[] };
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers a missing variable over WebSocket with BAD_USER_INPUT', async () => {
    const client = connectWs(harness.graphqlUrl, { connectionParams: HEADERS });
    try {
      const results: { errors?: readonly ErrorJson[] }[] = [];
      for await (const result of client.client.iterate({
        query: PAGE,
        variables: { first: 'x' },
      })) {
        results.push(result as { errors?: readonly ErrorJson[] });
      }
      expect(results[0]?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    } catch (error) {
      // graphql-ws delivers request errors as an `error` message: a list of errors.
      const errors = error as ErrorJson[];
      expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    } finally {
      await client.dispose();
    }
  });

  it('closes a WebSocket with 4403 and a reason naming what was missing or invalid, never the secret', async () => {
    const { 'x-gw-ims-org-id': _missing, ...partial } = HEADERS;
    const secret = 'Bearer s3cr3t-token';
    const cases: [Record<string, string>, RegExp][] = [
      [partial, /x-gw-ims-org-id: missing/],
      [{ ...HEADERS, authorization: `${secret}\nx: 1` }, /authorization/],
      [
        { ...HEADERS, 'x-sandbox-name': 'PROD', 'x-api-key': 'has space' },
        /x-sandbox-name.*x-api-key|x-api-key.*x-sandbox-name/,
      ],
    ];
    for (const [payload, expected] of cases) {
      const raw = openRawSocket(harness.graphqlUrl);
      await raw.opened;
      raw.send({ type: 'connection_init', payload });
      const closed = await raw.closed;
      expect(closed.code).toBe(4403);
      expect(closed.reason).toMatch(expected);
      expect(closed.reason).not.toContain('s3cr3t');
      expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    }
  });

  it("refuses GraphiQL's unfilled header template with a message saying what to replace", async () => {
    const template = JSON.parse(graphiqlHeaders(harness.config.auth) ?? '{}') as Record<
      string,
      string
    >;
    expect(Object.keys(template).sort()).toEqual(
      ['Authorization', 'x-api-key', 'x-gw-ims-org-id', 'x-sandbox-name'].sort(),
    );
    const response = await harness.post({ query: PAGE, variables: { first: 1 } }, template);
    const message = response.errors?.[0]?.message ?? '';
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(message).not.toContain('printable ASCII');
    for (const header of ['authorization', 'x-api-key', 'x-gw-ims-org-id']) {
      expect(message).toMatch(new RegExp(`${header}: expected .*<placeholder>.*replace it`));
    }
  });

  it('serves GraphiQL compressed (brotli or gzip as asked) with an ETag, then 304 on If-None-Match', async () => {
    const page = { accept: 'text/html' };
    const plain = await rawGet(harness.graphqlUrl, page);
    const brotli = await rawGet(harness.graphqlUrl, {
      ...page,
      'accept-encoding': 'gzip, deflate, br',
    });
    const gzipped = await rawGet(harness.graphqlUrl, { ...page, 'accept-encoding': 'gzip' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    // The page is megabytes of script: compressed it is a fraction of that.
    expect(brotli.bytes).toBeLessThan(plain.bytes / 3);
    expect(gzipped.bytes).toBeLessThan(plain.bytes / 3);
    const etag = String(brotli.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(plain.headers.etag).toBe(etag);
    expect(brotli.headers.vary).toMatch(/accept-encoding/i);
    const again = await rawGet(harness.graphqlUrl, { ...page, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.bytes).toBe(0);
  });
});
