// The gateway's HTTP surface over the real embedded service: health, GraphiQL offline, the body
// limit (declared and streamed), configured GraphQL limits, and graceful shutdown.
import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobsDocument } from '../generated/graphql.ts';
import { type FakeUpstream, jobListBody, startFakeUpstream } from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';

const MAX_BODY_BYTES = 2048;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POSTs `chunks` to the gateway with node:http; without `contentLength` the body is chunked. */
function rawPost(
  url: string,
  chunks: readonly string[],
  options: { contentLength?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.contentLength !== undefined) headers['content-length'] = options.contentLength;
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    // The server may answer and close before the whole body is written.
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

function queryBody(padding = 0): string {
  return JSON.stringify({ query: `{ __typename }${' '.repeat(padding)}` });
}

describe('health, GraphiQL and the body limit', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { GRAPHQL_MAX_BODY_BYTES: String(MAX_BODY_BYTES) },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('answers /healthz with 200', async () => {
    const response = await fetch(`${harness.origin}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 while the embedded service answers', async () => {
    const response = await fetch(`${harness.origin}/readyz`);
    expect(response.status).toBe(200);
  });

  it('serves GraphiQL to a browser, opening on a segmentJobs example, with no CDN assets', async () => {
    const response = await fetch(harness.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('query RecentSegmentJobs');
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr\.net|esm\.sh/);
  });

  it('answers queries with no headers in the default (service) mode', async () => {
    const result = await harness.execute(SegmentJobsDocument, { first: 1 });
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJobs.totalCount).toBeGreaterThan(0);
  });

  it('accepts a body within the limit, declared or streamed', async () => {
    const declared = queryBody(100);
    const small = await rawPost(harness.graphqlUrl, [declared], {
      contentLength: String(Buffer.byteLength(declared)),
    });
    expect(small.status).toBe(200);
    const streamed = await rawPost(harness.graphqlUrl, [
      queryBody(500).slice(0, 300),
      queryBody(500).slice(300),
    ]);
    expect(streamed.status).toBe(200);
    expect(JSON.parse(streamed.body)).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a declared Content-Length over the limit with 413 before reading the body', async () => {
    const body = queryBody(MAX_BODY_BYTES);
    const response = await rawPost(harness.graphqlUrl, [body], {
      contentLength: String(Buffer.byteLength(body)),
    });
    expect(response.status).toBe(413);
    const json = JSON.parse(response.body) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(json.errors[0]?.extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(json.errors[0]?.message).toMatch(/expected at most 2048 bytes, but got \d+/);
  });

  it('refuses a streamed body once it passes the limit with 413', async () => {
    const chunk = 'x'.repeat(1000);
    const response = await rawPost(harness.graphqlUrl, ['{"query":"', chunk, chunk, chunk, '"}']);
    expect(response.status).toBe(413);
    expect(response.body).toContain('REQUEST_ENTITY_TOO_LARGE');
  });

  it('refuses a malformed Content-Length with 400', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      // node:http will not send a malformed Content-Length, so write the request by hand.
      const url = new URL(harness.graphqlUrl);
      import('node:net').then(({ connect }) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(
            `POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 12abc\r\nConnection: close\r\n\r\n`,
          );
        });
        let text = '';
        socket.on('data', (data) => {
          text += data.toString('utf8');
        });
        socket.on('end', () => resolve(Number(text.split(' ')[1])));
        socket.on('error', reject);
      }, reject);
    });
    expect(response).toBe(400);
  });
});

describe('configured GraphQL limits', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { GRAPHQL_INTROSPECTION: 'false', GRAPHQL_MAX_TOKENS: '50', GRAPHQL_MAX_ALIASES: '2' },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('refuses introspection when it is turned off', async () => {
    const result = await harness.post({ query: '{ __schema { queryType { name } } }' });
    expect(result.errors?.[0]?.message).toMatch(/introspection/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses a document with more tokens than allowed', async () => {
    const fields = Array.from({ length: 60 }, () => '__typename').join(' ');
    const result = await harness.post({ query: `{ ${fields} }` });
    expect(result.errors?.[0]?.message).toMatch(/tokens/);
  });

  it('refuses more aliases than allowed, with BAD_USER_INPUT', async () => {
    const result = await harness.post({
      query:
        '{ a: segmentJob(id: "1") { id } b: segmentJob(id: "2") { id } c: segmentJob(id: "3") { id } }',
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/aliases/);
    expect(harness.calls).toHaveLength(0);
  });
});

describe('graceful shutdown', () => {
  let fake: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    harness = await startGatewayHarness({
      upstreamBaseUrl: fake.baseUrl,
      env: { AUTH_MODE: 'passthrough', SHUTDOWN_TIMEOUT_MS: '10000' },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await fake?.close();
  });

  it('finishes in-flight requests, closes idle keep-alive sockets, then refuses new ones', async () => {
    const headers = tenantHeaders('SHUT@AdobeOrg');
    // An idle keep-alive socket: one request done, connection kept open.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idleSockets: Socket[] = [];
    agent.on('free', (socket: Socket) => idleSockets.push(socket));
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(`${harness.origin}/healthz`, { agent }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', reject);
      request.end();
    });
    const idle = idleSockets[0];
    expect(idle).toBeDefined();
    const idleClosed = new Promise<void>((resolve) => idle?.once('close', () => resolve()));

    // An in-flight request: the fake answers only once released.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    fake.respondWith('GET /segment/jobs', async () => {
      await released;
      return { status: 200, body: jobListBody([]) };
    });
    const inFlight = harness.execute(SegmentJobsDocument, { first: 1 }, headers);
    await fake.waitForRequests(1);

    const stopped = harness.app.stop();
    await idleClosed;
    release();
    const result = await inFlight;
    expect(result.status).toBe(200);
    expect(result.data?.segmentJobs.totalCount).toBe(0);
    await stopped;

    await expect(fetch(`${harness.origin}/healthz`)).rejects.toThrow();
    expect(harness.logLines.some((line) => String(line.msg).includes('shutdown timeout'))).toBe(
      false,
    );
    agent.destroy();
  });
});
