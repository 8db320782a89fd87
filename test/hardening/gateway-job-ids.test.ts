// Job ids that are not ids: `.` and `..` (path segments that mean "here" and "parent") and
// strings holding lone UTF-16 surrogates. Through the real gateway over a fake upstream that
// records every call: each is refused with BAD_USER_INPUT and a message, and nothing goes upstream.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CancelSegmentJobDocument,
  CreateSegmentJobDocument,
  SegmentJobDocument,
  SegmentJobStatusChangedDocument,
  SegmentJobsByIdsDocument,
} from '../generated/graphql.ts';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';
import { subscribeSse } from '../support/subscription-sse.ts';

const headers = tenantHeaders('ORG1@AdobeOrg');
const BAD_IDS: [string, string, RegExp][] = [
  ['.', '.', /but got "\.", a path segment .* not an id/],
  ['..', '..', /but got "\.\.", a path segment .* not an id/],
  ['a lone high surrogate', '\uD800', /lone UTF-16 surrogate at index 0/],
  ['a lone low surrogate inside', 'a\uDC00b', /lone UTF-16 surrogate at index 1/],
];
let fake: FakeUpstream;
let harness: GatewayHarness;

beforeAll(async () => {
  fake = await startFakeUpstream();
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough' },
  });
});

beforeEach(() => {
  fake.reset();
});

afterAll(async () => {
  await harness.close();
  await fake.close();
});

describe.each(BAD_IDS)('the id %s', (_name, id, message) => {
  it('segmentJob: BAD_USER_INPUT, no upstream call', async () => {
    const result = await harness.execute(SegmentJobDocument, { id }, headers);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('segmentJobsByIds: BAD_USER_INPUT, no upstream call', async () => {
    const result = await harness.execute(SegmentJobsByIdsDocument, { ids: ['ok-1', id] }, headers);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.errors?.[0]?.message).toContain('ids[1]');
    expect(fake.requests).toHaveLength(0);
  });

  it('cancelSegmentJob: ValidationError (BAD_USER_INPUT), no upstream call', async () => {
    const result = await harness.execute(CancelSegmentJobDocument, { id }, headers);
    const payload = result.data?.cancelSegmentJob;
    expect(payload?.__typename).toBe('ValidationError');
    if (payload?.__typename !== 'ValidationError') throw new Error('expected a ValidationError');
    expect(payload.code).toBe('BAD_USER_INPUT');
    expect(payload.field).toBe('id');
    expect(payload.message).toMatch(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('createSegmentJob segmentIds: ValidationError (BAD_USER_INPUT), no upstream call', async () => {
    const result = await harness.execute(
      CreateSegmentJobDocument,
      { input: { segmentIds: ['seg-1', id] } },
      headers,
    );
    const payload = result.data?.createSegmentJob;
    expect(payload?.__typename).toBe('ValidationError');
    if (payload?.__typename !== 'ValidationError') throw new Error('expected a ValidationError');
    expect(payload.code).toBe('BAD_USER_INPUT');
    expect(payload.field).toBe('segmentIds');
    expect(payload.message).toMatch(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('segmentJobStatusChanged: BAD_USER_INPUT, no upstream call', async () => {
    const subscription = subscribeSse(
      harness.graphqlUrl,
      SegmentJobStatusChangedDocument,
      { ids: [id] },
      headers,
    );
    await subscription.ended('the refused subscription to end');
    const errors = subscription.results.flatMap((result) => result.errors ?? []);
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors[0]?.message).toMatch(message);
    expect(fake.requests).toHaveLength(0);
  });
});
