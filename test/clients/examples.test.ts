// The runnable examples under examples/ against the real gateway and embedded service: each
// client works as documented, and Apollo's cache needs the generated possibleTypes.

import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobListDocument } from '../../client/index.ts';
import { runApolloExample } from '../../examples/apollo.ts';
import { runGraphqlSseExample } from '../../examples/graphql-sse.ts';
import { runGraphqlWsExample } from '../../examples/graphql-ws.ts';
import { createUrqlClient, runUrqlExample } from '../../examples/urql.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';

let harness: GatewayHarness;

beforeAll(async () => {
  // A quick watcher tick: a job's events arrive within a few steps of the embedded service.
  harness = await startGatewayHarness({ env: { POLL_INTERVAL_MS: '50' } });
});
afterAll(async () => {
  await harness.close();
});

const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

describe('Apollo Client', () => {
  it('reads the ... on Error fields of a mutation union with the generated possibleTypes', async () => {
    const { refused, jobs } = await runApolloExample({ url: harness.graphqlUrl });
    expect(Array.isArray(jobs)).toBe(true);
    expect(refused?.createSegmentJob).toMatchObject({
      __typename: 'ValidationError',
      code: 'BAD_USER_INPUT',
      field: 'segmentIds',
      message: expect.any(String),
    });
  });

  it('without possibleTypes its cache drops code and message (why the matcher is generated)', async () => {
    const { refused } = await runApolloExample({
      url: harness.graphqlUrl,
      withPossibleTypes: false,
    });
    const result = refused?.createSegmentJob as Record<string, unknown> | undefined;
    expect(result?.__typename).toBe('ValidationError');
    expect(result).not.toHaveProperty('code');
    expect(result).not.toHaveProperty('message');
  });

  it('sends its operations by hash, logged as persisted', async () => {
    const before = harness.logLines.length;
    await runApolloExample({ url: harness.graphqlUrl });
    const list = harness.logLines
      .slice(before)
      .find((line) => line.msg === 'operation' && line.operationName === 'JobList');
    expect(list).toMatchObject({ persisted: true, operationType: 'query' });
    const create = harness.logLines
      .slice(before)
      .find((line) => line.msg === 'operation' && line.operationName === 'CreateJob');
    expect(create).toMatchObject({ persisted: true, operationType: 'mutation' });
  });
});

describe('urql', () => {
  it('works with the documented header on its GET queries', async () => {
    const { segments, jobs } = await runUrqlExample({ url: harness.graphqlUrl });
    expect(segments.length).toBeGreaterThan(0);
    expect(Array.isArray(jobs)).toBe(true);
  });

  it('as it comes (GET, no header) is refused by the CSRF guard with a message naming the option', async () => {
    const client = new Client({
      url: harness.graphqlUrl,
      exchanges: [cacheExchange, fetchExchange],
    });
    const result = await client.query(JobListDocument, { first: 1 }).toPromise();
    expect(result.error?.response?.status).toBe(403);
    expect(result.error?.graphQLErrors[0]?.extensions.code).toBe('CSRF_PREFLIGHT_REQUIRED');
    expect(result.error?.graphQLErrors[0]?.message).toContain("'x-graphql-yoga-csrf': '1'");
  });

  it('with preferGetMethod: false posts JSON and needs no header', async () => {
    const client = new Client({
      url: harness.graphqlUrl,
      exchanges: [cacheExchange, fetchExchange],
      preferGetMethod: false,
    });
    const result = await client.query(JobListDocument, { first: 1 }).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data?.segmentJobs.totalCount).toEqual(expect.any(Number));
    expect(createUrqlClient).toBeTypeOf('function');
  });
});

describe('graphql-ws', () => {
  it('watches a job by persisted hash until it is final', async () => {
    const { jobId, events } = await runGraphqlWsExample({ url: harness.graphqlUrl });
    expect(events[0]).toMatchObject({ jobId, initial: true });
    expect(FINAL).toContain(events.at(-1)?.status);
  });
});

describe('graphql-sse', () => {
  it('watches a job in distinct connections mode until it is final', async () => {
    const { jobId, events } = await runGraphqlSseExample({ url: harness.graphqlUrl });
    expect(events[0]).toMatchObject({ jobId, initial: true });
    expect(FINAL).toContain(events.at(-1)?.status);
  });

  it('in single connection mode is refused with a message naming the mode to use', async () => {
    const client = createSseClient({
      url: harness.graphqlUrl,
      singleConnection: true,
      retryAttempts: 0,
    });
    const failure = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription { segmentJobEvents { jobId } }' },
        { next: () => undefined, error: resolve, complete: () => resolve(undefined) },
      );
    });
    client.dispose();
    expect(String(failure instanceof Error ? failure.message : JSON.stringify(failure))).toMatch(
      /405|single connection mode is not served/,
    );
    const put = await fetch(harness.graphqlUrl, { method: 'PUT' });
    expect(put.status).toBe(405);
    const body = (await put.json()) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(body.errors[0]?.extensions.code).toBe('SSE_SINGLE_CONNECTION_UNSUPPORTED');
    expect(body.errors[0]?.message).toContain('singleConnection: false');
  });
});
