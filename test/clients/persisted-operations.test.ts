// Persisted operations against the real gateway and embedded service, in each mode of
// PERSISTED_OPERATIONS: by hash over POST, GET (cacheable, no preflight header needed), SSE GET
// and WebSocket; `require` refuses document text; the CSRF guard still refuses simple requests.
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CreateJobDocument,
  JobListDocument,
  persistedDocuments,
  persistedExtensions,
  persistedHash,
  SegmentsDocument,
  WatchJobsDocument,
} from '../../client/index.ts';
import { createJob } from '../../examples/create-job.ts';
import { runGraphqlWsExample } from '../../examples/graphql-ws.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : JSON.parse(text),
  };
}

function getUrl(base: string, params: Record<string, unknown>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) {
    url.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return url.href;
}

/** Reads an SSE response until `event: complete`, returning the data of each `next`. */
async function readSse(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: next'))
    .map((block) =>
      JSON.parse(
        block
          .split('\n')
          .find((line) => line.startsWith('data: '))
          ?.slice(6) ?? 'null',
      ),
    );
}

/** Subscribes once over graphql-ws with `payload` and resolves with the error it ends with. */
async function subscriptionError(
  harness: GatewayHarness,
  payload: {
    query: string;
    variables?: Record<string, unknown>;
    extensions?: Record<string, unknown>;
  },
): Promise<unknown> {
  const client = createClient({
    url: harness.graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  try {
    return await new Promise<unknown>((resolve) => {
      client.subscribe(payload, {
        next: () => undefined,
        error: resolve,
        complete: () => resolve(undefined),
      });
    });
  } finally {
    await client.dispose();
  }
}

describe('PERSISTED_OPERATIONS=allow (the default)', () => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    harness = await startGatewayHarness({ env: { POLL_INTERVAL_MS: '50' } });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('the manifest holds every client operation under the SHA-256 of its text', async () => {
    const { createHash } = await import('node:crypto');
    for (const [hash, document] of Object.entries(persistedDocuments)) {
      expect(createHash('sha256').update(document).digest('hex')).toBe(hash);
    }
    expect(Object.keys(persistedDocuments)).toContain(persistedHash(JobListDocument));
  });

  it('runs a query by hash over POST, and document text too', async () => {
    const byHash = await harness.post({
      extensions: persistedExtensions(SegmentsDocument),
      variables: { first: 2 },
    });
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toHaveProperty('segments.edges');
    const byText = await harness.execute(SegmentsDocument, { first: 2 });
    expect(byText.data).toEqual(byHash.data);
  });

  it('refuses an unknown hash with PERSISTED_QUERY_NOT_FOUND, before any upstream call', async () => {
    harness.resetCalls();
    const result = await harness.post({
      extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } },
    });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(result.errors?.[0]?.message).toContain('client/generated/persisted-documents.json');
    expect(harness.calls).toEqual([]);
  });

  it('serves a persisted GET without a preflight header, private and revalidated by ETag', async () => {
    const url = getUrl(harness.graphqlUrl, {
      extensions: persistedExtensions(SegmentsDocument),
      variables: { first: 2 },
    });
    const first = await answer(await fetch(url));
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveProperty('segments.edges');
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(first.headers.get('vary')).toContain('authorization');
    expect(first.headers.get('vary')).toContain('x-gateway-key');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);

    const again = await fetch(url, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('marks a GET of document text no-store, and still refuses it without a preflight header', async () => {
    const url = getUrl(harness.graphqlUrl, {
      query: print(SegmentsDocument),
      variables: { first: 1 },
    });
    const refused = await answer(await fetch(url));
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('CSRF_PREFLIGHT_REQUIRED');

    const allowed = await answer(await fetch(url, { headers: { 'x-graphql-yoga-csrf': '1' } }));
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('cache-control')).toBe('no-store');
    expect(allowed.headers.get('etag')).toBeNull();
  });

  it('never runs a persisted mutation over GET: no job is created', async () => {
    harness.resetCalls();
    const url = getUrl(harness.graphqlUrl, {
      extensions: persistedExtensions(CreateJobDocument),
      variables: { input: { allSegments: true } },
    });
    const refused = await answer(await fetch(url));
    expect(refused.status).toBe(405);
    expect(harness.callsTo('POST', '/segment/jobs')).toEqual([]);
  });

  it('streams a persisted subscription to an EventSource-style GET (no headers at all)', async () => {
    const jobId = await createJob(harness.graphqlUrl);
    const url = getUrl(harness.graphqlUrl, {
      extensions: persistedExtensions(WatchJobsDocument),
      variables: { ids: [jobId] },
    });
    const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await readSse(response)) as {
      data: { segmentJobStatusChanged: { jobId: string; initial: boolean } };
    }[];
    expect(events[0]?.data.segmentJobStatusChanged).toMatchObject({ jobId, initial: true });

    const text = getUrl(harness.graphqlUrl, {
      query: print(WatchJobsDocument),
      variables: { ids: [jobId] },
    });
    const refused = await fetch(text, { headers: { accept: 'text/event-stream' } });
    expect(refused.status).toBe(403);
    await refused.body?.cancel();
  });

  it('refuses an unknown hash over WebSocket with the same error', async () => {
    const errors = await subscriptionError(harness, {
      query: '',
      extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
    });
    expect(JSON.stringify(errors)).toContain('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('PERSISTED_OPERATIONS=require', () => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { POLL_INTERVAL_MS: '50', PERSISTED_OPERATIONS: 'require' },
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('refuses document text with PERSISTED_QUERY_ONLY, before any upstream call', async () => {
    harness.resetCalls();
    const result = await harness.execute(JobListDocument, { first: 1 });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    expect(result.errors?.[0]?.message).toContain('PERSISTED_OPERATIONS=require');
    expect(harness.calls).toEqual([]);
  });

  it('runs manifest operations by hash over POST and WebSocket', async () => {
    const { jobId, events } = await runGraphqlWsExample({ url: harness.graphqlUrl });
    expect(events[0]).toMatchObject({ jobId, initial: true });
    expect(events.at(-1)?.status).toMatch(/SUCCEEDED|FAILED|CANCELLED/);
  });

  it('refuses document text over WebSocket too', async () => {
    const errors = await subscriptionError(harness, {
      query: print(WatchJobsDocument),
      variables: { ids: ['x'] },
    });
    expect(JSON.stringify(errors)).toContain('PERSISTED_QUERY_ONLY');
  });
});

describe('PERSISTED_OPERATIONS=off', () => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    harness = await startGatewayHarness({ env: { PERSISTED_OPERATIONS: 'off' } });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('serves no hashes, and a hash-only GET gets no pass from the CSRF guard', async () => {
    const post = await harness.post({ extensions: persistedExtensions(SegmentsDocument) });
    expect(post.data ?? null).toBeNull();
    expect(post.errors?.[0]?.message).toMatch(/query/i);
    const get = await fetch(
      getUrl(harness.graphqlUrl, { extensions: persistedExtensions(SegmentsDocument) }),
    );
    expect(get.status).toBe(403);
    await get.body?.cancel();
  });
});
