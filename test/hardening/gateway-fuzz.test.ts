// Property-based fuzzing of the gateway over the real embedded service: arbitrary HTTP bodies,
// random and mutated GraphQL documents, and hostile variables never get a 5xx or a masked
// internal error, never crash the process, and leave no unhandled rejection behind.
import fc from 'fast-check';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelSegmentJobDocument,
  CreateSegmentJobDocument,
  SegmentJobDocument,
  SegmentJobsByIdsDocument,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';

/** The message yoga shows in place of an unexpected (internal) error. */
const MASKED_MESSAGE = 'Unexpected error.';

let harness: GatewayHarness;
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  process.on('unhandledRejection', recordUnhandled);
  harness = await startGatewayHarness({
    env: { EMULATOR_STEP_MS: '5', GRAPHQL_MAX_BODY_BYTES: '200000' },
  });
});
afterAll(async () => {
  await harness?.close();
  process.off('unhandledRejection', recordUnhandled);
});

interface Answer {
  status: number;
  text: string;
}

async function send(body: string, contentType = 'application/json'): Promise<Answer> {
  const response = await fetch(harness.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json' },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** No 5xx, a JSON answer, and no internal error masked behind a generic message. */
function expectHandled(answer: Answer, sent: string): void {
  const context = `sent ${sent.slice(0, 300)}; got ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBeLessThan(500);
  const json = JSON.parse(answer.text) as { data?: unknown; errors?: { message: string }[] };
  expect('data' in json || 'errors' in json, context).toBe(true);
  const messages = (json.errors ?? []).map((error) => error.message);
  expect(messages, context).not.toContain(MASKED_MESSAGE);
}

/** Liveness and an ordinary query, after each batch. */
async function expectHealthy(): Promise<void> {
  expect((await fetch(`${harness.origin}/healthz`)).status).toBe(200);
  const result = await harness.post<{ segmentJobs: { totalCount: number } }>({
    query: '{ segmentJobs(first: 1) { totalCount } }',
  });
  expect(result.errors).toBeUndefined();
  expect(result.data?.segmentJobs.totalCount).toBeGreaterThan(0);
  expect(unhandled).toEqual([]);
}

const anything = fc.oneof(
  fc.jsonValue(),
  fc.string(),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53, '', '__proto__', [], {}),
);

/** Hostile values for an ID or a string. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    '../../etc/passwd',
    '..',
    '%2e%2e%2f',
    'a/b',
    '\u0000',
    '\r\nx-evil: 1',
    '\ud800',
    '💥'.repeat(200),
    'x'.repeat(20_000),
    '__proto__',
    'constructor',
    '*',
    'bulk-get',
  ),
);

/** Hostile values for a non-string variable. */
const hostileValue = fc.oneof(
  anything,
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 101, 2 ** 31, -(2 ** 31) - 1, 1.5, 1e21),
  fc.array(hostileString, { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 5 }), anything, { maxKeys: 4 }),
  fc.array(fc.string({ maxLength: 3 }), { minLength: 101, maxLength: 1_600 }),
);

const cursor = fc.oneof(
  fc.base64String({ maxLength: 40 }),
  fc.string({ maxLength: 40 }).map((text) => Buffer.from(text).toString('base64')),
  fc.constantFrom('', 'b2Zmc2V0Oi0x', 'b2Zmc2V0OjFlMzA4', 'b2Zmc2V0Ok5hTg==', 'not a cursor'),
  hostileValue,
);

const dateTime = fc.oneof(
  fc.date({ noInvalidDate: false }).map((date) => {
    try {
      return date.toISOString();
    } catch {
      return 'Invalid Date';
    }
  }),
  fc.constantFrom(
    '2024-02-30T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T25:61:61Z',
    '2024-01-01T00:00:00',
    '+275760-09-13T00:00:00.001Z',
    '9999-12-31T23:59:59.999999999+14:00',
  ),
  hostileValue,
);

const OPERATIONS = {
  job: print(SegmentJobDocument),
  jobs: print(SegmentJobsDocument),
  byIds: print(SegmentJobsByIdsDocument),
  create: print(CreateSegmentJobDocument),
  cancel: print(CancelSegmentJobDocument),
  at: 'query At($at: DateTime!) { __typename }',
};

/** An operation and variables of every wrong shape for it. */
const hostileRequest = fc.oneof(
  fc.record({ query: fc.constant(OPERATIONS.job), variables: fc.record({ id: hostileValue }) }),
  fc.record({
    query: fc.constant(OPERATIONS.jobs),
    variables: fc.record(
      {
        first: hostileValue,
        after: cursor,
        status: fc.oneof(fc.constantFrom('SUCCEEDED', 'succeeded', 'NOPE'), hostileValue),
        segmentId: hostileValue,
        sort: fc.oneof(
          fc.record({
            field: fc.oneof(fc.constantFrom('STATUS', 'UPDATE_TIME', 'status'), hostileValue),
            direction: fc.oneof(fc.constantFrom('ASC', 'DESC'), hostileValue),
          }),
          hostileValue,
        ),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    query: fc.constant(OPERATIONS.byIds),
    variables: fc.record({
      ids: fc.oneof(fc.array(hostileString, { maxLength: 120 }), hostileValue),
    }),
  }),
  fc.record({
    query: fc.constant(OPERATIONS.create),
    variables: fc.record({
      input: fc.oneof(
        fc.record(
          {
            segmentIds: fc.oneof(fc.array(hostileString, { maxLength: 10 }), hostileValue),
            allSegments: fc.oneof(fc.boolean(), hostileValue),
            schemaName: hostileValue,
          },
          { requiredKeys: [] },
        ),
        hostileValue,
      ),
    }),
  }),
  fc.record({ query: fc.constant(OPERATIONS.cancel), variables: fc.record({ id: hostileValue }) }),
  fc.record({ query: fc.constant(OPERATIONS.at), variables: fc.record({ at: dateTime }) }),
);

/** A valid operation cut, spliced and sprinkled with GraphQL punctuation. */
const mutatedDocument = fc
  .tuple(
    fc.constantFrom(...Object.values(OPERATIONS)),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.nat({ max: 20 }),
        fc.oneof(
          fc.constantFrom(
            '{',
            '}',
            '(',
            ')',
            '...',
            '$',
            '@include(if: true)',
            ':',
            '!',
            '[',
            ']',
            '"',
            '#',
            'on',
            'fragment F on Query { __typename }',
            '__schema',
            '1e999',
            '"\\u0000"',
          ),
          fc.string({ maxLength: 8 }),
        ),
      ),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([source, edits]) => {
    let text = source;
    for (const [at, removeCount, insert] of edits) {
      const index = at % (text.length + 1);
      text = text.slice(0, index) + insert + text.slice(index + removeCount);
    }
    return text;
  });

const RUNS = 120;

describe('the gateway under fuzzed input', () => {
  it('answers any JSON body, right or wrong types in every field, without a 5xx', async () => {
    const body = fc.oneof(
      anything.map((value) => JSON.stringify(value)),
      fc
        .record(
          {
            query: fc.oneof(anything, fc.constant('{ __typename }')),
            variables: anything,
            operationName: anything,
            extensions: anything,
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom('', '{', '[', 'null', '{"query":', '\u0000', '{"query":"{__typename}"}}'),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        expectHandled(await send(text), text);
      }),
      { numRuns: RUNS },
    );
    await expectHealthy();
  });

  it('answers random and mutated documents without a 5xx or an internal error', async () => {
    const document = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.stringMatching(/^[{}()[\]a-zA-Z_$:!@.\s"0-9,=#]{0,120}$/),
      mutatedDocument,
      mutatedDocument,
    );
    await fc.assert(
      fc.asyncProperty(document, anything, async (query, variables) => {
        const text = JSON.stringify({ query, variables });
        expectHandled(await send(text), text);
      }),
      { numRuns: RUNS * 2 },
    );
    await expectHealthy();
  });

  it('answers hostile variables without a 5xx or an internal error', async () => {
    harness.resetCalls();
    let withData = 0;
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        const text = JSON.stringify(request);
        const answer = await send(text);
        expectHandled(answer, text);
        if ((JSON.parse(answer.text) as { data?: unknown }).data) withData += 1;
      }),
      { numRuns: RUNS * 2 },
    );
    // Not everything stopped at validation: some requests ran resolvers and reached the upstream.
    expect(withData).toBeGreaterThan(0);
    expect(harness.calls.length).toBeGreaterThan(0);
    await expectHealthy();
  });
});
