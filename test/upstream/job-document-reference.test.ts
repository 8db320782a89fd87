// The hand-written job reader (src/upstream/job-document.ts) and the list and bulk-get envelope
// readers agree with the zod reference beside this file on generated documents: the same job, or
// a problem at the same path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SegmentJobModel } from '../../src/domain/index.ts';
import { SEGMENT_JOB_STATUSES } from '../../src/domain/index.ts';
import { MetricMapError, type Parsed, parseJobDocument } from '../../src/upstream/job-document.ts';
import {
  type ParsedJobList,
  parseBulkResults,
  parseJobList,
} from '../../src/upstream/response-reading.ts';
import * as reference from './job-document.reference.ts';

// Upstream-like documents. Each field's arbitrary goes through `vary`: as-is for valid documents,
// or sometimes replaced by any JSON value, so the two readers meet every wrong type in every place.
type Vary = <T>(arbitrary: fc.Arbitrary<T>) => fc.Arbitrary<T | fc.JsonValue>;

const asIs: Vary = (arbitrary) => arbitrary;
const sometimesAnything: Vary = (arbitrary) =>
  fc.oneof({ weight: 4, arbitrary }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

// Read as absent by both: null for any optional field.
function nullable<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 5, arbitrary }, { weight: 1, arbitrary: fc.constant(null) });
}

// `__proto__` is left out: the reference read it as the object's prototype (see the unit test).
const extraKey = fc.oneof(
  fc.constantFrom('_links', 'callStack', 'newCounter', 'weird', 'id2'),
  fc.string({ maxLength: 6 }).map((key) => `x-${key}`),
);

/** The record plus up to two fields neither reader knows, placed before the known ones. */
function withUnknownFields<T extends object>(
  record: fc.Arbitrary<T>,
  keys: fc.Arbitrary<string> = extraKey,
): fc.Arbitrary<T> {
  return fc
    .tuple(fc.dictionary(keys, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }), record)
    .map(([extras, known]) => ({ ...extras, ...known }));
}

const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(2 ** 53 + 2, 1e21, 1.23456789e11, 8.0000018e7),
);
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.uuid());
const counterKey = fc.oneof(
  fc.constantFrom('ECID', 'email', 'realized', 'exited', '0', '12', ''),
  fc.uuid(),
  fc.string({ maxLength: 6 }).filter((key) => key !== '__proto__'),
);

function documentArbitraries(vary: Vary) {
  const timeWindow = withUnknownFields(
    fc.record(
      {
        startTimeInMs: vary(nullable(number)),
        endTimeInMs: vary(nullable(number)),
        totalTimeInMs: vary(nullable(number)),
      },
      { requiredKeys: [] },
    ),
  );
  const counter = fc.dictionary(counterKey, vary(nullable(number)), { maxKeys: 4 });
  const nestedCounter = fc.dictionary(counterKey, vary(nullable(counter)), { maxKeys: 3 });
  const metrics = withUnknownFields(
    fc.record(
      {
        totalTime: vary(nullable(timeWindow)),
        profileSegmentationTime: vary(nullable(fc.oneof(fc.constant({}), timeWindow))),
        totalProfiles: vary(nullable(number)),
        segmentedProfileCounter: vary(nullable(counter)),
        segmentedProfileByNamespaceCounter: vary(nullable(nestedCounter)),
        segmentedProfileByStatusCounter: vary(nullable(nestedCounter)),
        totalProfilesByMergePolicy: vary(nullable(counter)),
      },
      { requiredKeys: [] },
    ),
  );
  const definitionRef = withUnknownFields(
    fc.record(
      {
        id: vary(text),
        version: vary(nullable(number)),
        expression: vary(
          nullable(
            withUnknownFields(
              fc.record({
                type: vary(fc.constant('PQL')),
                format: vary(fc.constantFrom('pql/text', 'pql/json')),
                value: vary(text),
              }),
            ),
          ),
        ),
        mergePolicyId: vary(nullable(text)),
        mergePolicy: vary(nullable(fc.record({ id: vary(text), version: vary(number) }))),
      },
      { requiredKeys: [] },
    ),
  );
  const segment = fc.oneof(
    fc.constant({ segmentId: '*' }),
    withUnknownFields(
      fc.record(
        { segmentId: vary(text), segment: vary(nullable(definitionRef)) },
        { requiredKeys: [] },
      ),
    ),
  );
  const sandbox = withUnknownFields(
    fc.record(
      {
        sandboxId: vary(nullable(text)),
        sandboxName: vary(text),
        type: vary(nullable(fc.constantFrom('production', 'development'))),
        default: vary(nullable(fc.oneof(fc.boolean(), fc.constantFrom('true', 'false')))),
      },
      { requiredKeys: [] },
    ),
  );
  const jobError = withUnknownFields(
    fc.record(
      {
        code: vary(nullable(fc.oneof(text, number, fc.constant('8.0000018E7')))),
        msg: vary(nullable(text)),
      },
      { requiredKeys: [] },
    ),
  );
  const job = withUnknownFields(
    fc.record(
      {
        id: vary(fc.string({ minLength: 1, maxLength: 12 })),
        imsOrgId: vary(fc.constantFrom('DEMO@AdobeOrg', 'O@AdobeOrg')),
        sandbox: vary(nullable(sandbox)),
        profileInstanceId: vary(nullable(fc.constant('ups'))),
        source: vary(nullable(fc.constantFrom('api', 'scheduler'))),
        status: vary(fc.constantFrom(...SEGMENT_JOB_STATUSES)),
        batchId: vary(nullable(text)),
        computeJobId: vary(nullable(fc.oneof(number, fc.stringMatching(/^-?\d{1,20}$/)))),
        computeGatewayJobId: vary(nullable(text)),
        segments: vary(nullable(fc.array(vary(segment), { maxLength: 3 }))),
        metrics: vary(nullable(metrics)),
        requestId: vary(nullable(text)),
        schema: vary(nullable(fc.record({ name: vary(text) }, { requiredKeys: [] }))),
        properties: vary(
          nullable(fc.record({ scheduleId: vary(text), runId: vary(text) }, { requiredKeys: [] })),
        ),
        errors: vary(nullable(fc.array(vary(jobError), { maxLength: 2 }))),
        creationTime: vary(nullable(number)),
        updateTime: vary(nullable(number)),
        updateEpoch: vary(nullable(number)),
      },
      { requiredKeys: ['id', 'status'] },
    ),
  );
  const page = withUnknownFields(
    fc.record(
      {
        _page: vary(
          nullable(
            fc.record(
              { totalCount: vary(nullable(number)), pageSize: vary(nullable(number)) },
              { requiredKeys: [] },
            ),
          ),
        ),
        children: vary(fc.array(vary(job), { maxLength: 4 })),
        _links: vary(
          nullable(
            fc.record(
              {
                next: vary(
                  nullable(
                    fc.record(
                      { href: vary(nullable(fc.constantFrom('', '/segment/jobs?start=20'))) },
                      { requiredKeys: [] },
                    ),
                  ),
                ),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
      },
      { requiredKeys: ['children'] },
    ),
    // A job's `_links` is unknown to the readers; the page's is not.
    fc.constantFrom('_embedded', 'x-total'),
  );
  const bulk = fc.record({
    results: vary(
      fc.dictionary(
        fc.string({ maxLength: 8 }).filter((key) => key !== '__proto__'),
        fc.oneof(job, fc.constant({ status: 404, title: 'Not found' }), fc.constant(null)),
        { maxKeys: 4 },
      ),
    ),
  });
  return { job, page, bulk };
}

// What the gateway sees is always JSON.parse output.
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value) ?? 'null');
}

const valid = documentArbitraries(asIs);
const varied = documentArbitraries(sometimesAnything);

function pathOf(problem: string): string {
  return problem.slice(0, problem.indexOf(': expected'));
}

/** Both accept with the same value (keys, their order, absent fields), or both reject at one path. */
function expectSameReading<T>(actual: Parsed<T>, expected: Parsed<T>): void {
  if (expected.ok) {
    expect(actual).toStrictEqual(expected);
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    return;
  }
  expect(actual.ok, `expected a problem at ${pathOf(expected.problem)}`).toBe(false);
  if (actual.ok) return;
  expect(pathOf(actual.problem)).toBe(pathOf(expected.problem));
  expect(actual.problem).toMatch(/: expected .+, but got .+$/);
}

// Metric maps are read on first use (see readMetrics): a problem inside one is reported then, as
// the reference reports it while parsing. Reading every map of what the reader accepted makes
// the two comparable.
const MAP_ENTRY =
  /(^|\.)metrics\.(segmentedProfileCounter|segmentedProfileByNamespaceCounter|segmentedProfileByStatusCounter|totalProfilesByMergePolicy)\./;

/** Reads every metric map of `job`, in field order; the first malformed one is the problem. */
function readMaps(job: SegmentJobModel): Parsed<SegmentJobModel> {
  try {
    for (const key of Object.keys(job.metrics ?? {})) {
      (job.metrics as Record<string, unknown>)[key];
    }
    return { ok: true, value: job };
  } catch (error) {
    if (!(error instanceof MetricMapError)) throw error;
    return { ok: false, problem: error.problem };
  }
}

/**
 * Pages agree: the same envelope problem, or the same counts and links, and each child read the
 * same way by both (as a job, or set aside at the same path), once every metric map is read.
 */
function expectSamePage(actual: Parsed<ParsedJobList>, expected: Parsed<ParsedJobList>): void {
  if (!expected.ok || !actual.ok) {
    expectSameReading(actual, expected);
    return;
  }
  const { jobs, unreadable, ...envelope } = actual.value;
  const {
    jobs: expectedJobs,
    unreadable: expectedUnreadable,
    ...expectedEnvelope
  } = expected.value;
  expect(envelope).toStrictEqual(expectedEnvelope);
  // A malformed metric map is found by the lazy reader on first use: read them all now.
  const lazilyRefused = new Set<number>();
  const readJobs: SegmentJobModel[] = [];
  let index = 0;
  const refusedAt = new Set(expectedUnreadable.map((entry) => entry.index));
  const actualRefusedAt = new Set(unreadable.map((entry) => entry.index));
  for (const job of jobs) {
    while (actualRefusedAt.has(index)) index++;
    const read = readMaps(job);
    if (read.ok) readJobs.push(job);
    else lazilyRefused.add(index);
    index++;
  }
  expect(readJobs).toStrictEqual(expectedJobs);
  expect(new Set([...actualRefusedAt, ...lazilyRefused])).toStrictEqual(refusedAt);
  for (const entry of unreadable) {
    const twin = expectedUnreadable.find((other) => other.index === entry.index);
    expect(twin?.jobId).toBe(entry.jobId);
    if (twin !== undefined && !MAP_ENTRY.test(pathOf(twin.problem))) {
      expect(pathOf(entry.problem)).toBe(pathOf(twin.problem));
    }
  }
}

/**
 * The lazy reader agrees with the eager reference: the same value once every map is read, or a
 * problem at the same path. When the reference's first problem is inside a metric map, the lazy
 * reader either reports it when that map is read, or (not having read the map yet) an actual
 * problem of the document elsewhere.
 */
function expectSameReadingOnceRead<T>(
  actual: Parsed<T>,
  readAll: (parsed: Parsed<T>) => Parsed<T>,
  expected: Parsed<T>,
): void {
  if (expected.ok || !MAP_ENTRY.test(pathOf(expected.problem)) || actual.ok) {
    expectSameReading(actual.ok ? readAll(actual) : actual, expected);
    return;
  }
  expect(pathOf(actual.problem)).not.toMatch(MAP_ENTRY);
  expect(actual.problem).toMatch(/: expected .+, but got .+$/);
}

const readJobMaps = (parsed: Parsed<SegmentJobModel>) =>
  parsed.ok ? readMaps(parsed.value) : parsed;

const RUNS = { numRuns: 400 };

describe('parseJobDocument agrees with the zod reference', () => {
  it('valid documents: both accept them, with the same job', () => {
    fc.assert(
      fc.property(valid.job, (document) => {
        const input = asJson(document);
        const expected = reference.parseJob(input);
        expect(expected.ok).toBe(true);
        expectSameReading(parseJobDocument(input), expected);
      }),
      RUNS,
    );
  });

  it('documents with any value in any field: the same job or a problem at the same path', () => {
    let rejected = 0;
    fc.assert(
      fc.property(varied.job, fc.constantFrom('', 'children[3]'), (document, at) => {
        const input = asJson(document);
        const expected = reference.parseJob(input, at);
        if (!expected.ok) rejected++;
        expectSameReadingOnceRead(parseJobDocument(input, at), readJobMaps, expected);
      }),
      { numRuns: 1_000 },
    );
    // Both kinds of document were met.
    expect(rejected).toBeGreaterThan(100);
    expect(rejected).toBeLessThan(1_000);
  });

  const corruptions: [string, (job: Record<string, unknown>) => void][] = [
    ['an unknown status', (job) => Object.assign(job, { status: 'PAUSED' })],
    ['a lower-case status', (job) => Object.assign(job, { status: 'succeeded' })],
    ['a numeric status', (job) => Object.assign(job, { status: 3 })],
    ['a missing id', (job) => delete job.id],
    ['a null id', (job) => Object.assign(job, { id: null })],
    ['an empty id', (job) => Object.assign(job, { id: '' })],
    ['a numeric imsOrgId', (job) => Object.assign(job, { imsOrgId: 7 })],
    ['segments as a string', (job) => Object.assign(job, { segments: 'all' })],
    ['a null segment', (job) => Object.assign(job, { segments: [null] })],
    ['a numeric segmentId', (job) => Object.assign(job, { segments: [{ segmentId: 5 }] })],
    [
      'a numeric expression format',
      (job) =>
        Object.assign(job, {
          segments: [{ segmentId: 's', segment: { id: 's', expression: { format: 1 } } }],
        }),
    ],
    [
      'a merge policy version as a string',
      (job) =>
        Object.assign(job, {
          segments: [{ segmentId: 's', segment: { mergePolicy: { id: 'm', version: '1' } } }],
        }),
    ],
    ['metrics as a list', (job) => Object.assign(job, { metrics: [] })],
    [
      'totalProfiles as a string',
      (job) => Object.assign(job, { metrics: { totalProfiles: '12' } }),
    ],
    [
      'a time as a boolean',
      (job) => Object.assign(job, { metrics: { totalTime: { endTimeInMs: true } } }),
    ],
    [
      'a counter of strings',
      (job) => Object.assign(job, { metrics: { segmentedProfileCounter: { a: 1, b: '2' } } }),
    ],
    [
      'a nested counter of numbers',
      (job) => Object.assign(job, { metrics: { segmentedProfileByStatusCounter: { s: 5 } } }),
    ],
    ['a numeric sandbox name', (job) => Object.assign(job, { sandbox: { sandboxName: 1 } })],
    [
      'a sandbox default of "yes"',
      (job) => Object.assign(job, { sandbox: { sandboxName: 'prod', default: 'yes' } }),
    ],
    ['computeJobId with a letter', (job) => Object.assign(job, { computeJobId: '12a' })],
    ['computeJobId of 21 digits', (job) => Object.assign(job, { computeJobId: '1'.repeat(21) })],
    ['computeJobId as a boolean', (job) => Object.assign(job, { computeJobId: true })],
    ['errors as an object', (job) => Object.assign(job, { errors: {} })],
    ['an error code as a boolean', (job) => Object.assign(job, { errors: [{ code: true }] })],
    ['creationTime as a string', (job) => Object.assign(job, { creationTime: '2024' })],
    ['schema as a string', (job) => Object.assign(job, { schema: '_xdm' })],
    ['properties as a list', (job) => Object.assign(job, { properties: [] })],
  ];

  it.each(corruptions)('%s: both reject it, at the same path', (_name, corrupt) => {
    fc.assert(
      fc.property(valid.job, (document) => {
        const input = asJson(document) as Record<string, unknown>;
        corrupt(input);
        const expected = reference.parseJob(input);
        expect(expected.ok).toBe(false);
        expectSameReadingOnceRead(parseJobDocument(input), readJobMaps, expected);
      }),
      { numRuns: 50 },
    );
  });

  // Optional in Adobe's OpenAPI: left out, both read the job without it.
  const omissions: [string, (job: Record<string, unknown>) => void][] = [
    ['no imsOrgId', (job) => delete job.imsOrgId],
    ['a segment without segmentId', (job) => Object.assign(job, { segments: [{ segment: {} }] })],
    [
      'a definition without id or format',
      (job) =>
        Object.assign(job, {
          segments: [{ segment: { expression: { type: 'PQL', value: 'x' } } }],
        }),
    ],
    [
      'a merge policy without a version',
      (job) =>
        Object.assign(job, {
          segments: [{ segmentId: 's', segment: { id: 's', mergePolicy: { id: 'm' } } }],
        }),
    ],
    ['a sandbox without a name', (job) => Object.assign(job, { sandbox: { type: 'production' } })],
  ];

  it.each(omissions)('%s: both accept it, with the same job', (_name, omit) => {
    fc.assert(
      fc.property(valid.job, (document) => {
        const input = asJson(document) as Record<string, unknown>;
        omit(input);
        const expected = reference.parseJob(input);
        expect(expected.ok).toBe(true);
        expectSameReading(parseJobDocument(input), expected);
      }),
      { numRuns: 50 },
    );
  });

  it.each<[string, unknown]>([
    ['a list', [{ id: 'j', imsOrgId: 'o', status: 'NEW' }]],
    ['a string', 'job'],
    ['null', null],
    ['a number', 5],
  ])('a document that is %s: both reject it as the body', (_name, input) => {
    expectSameReading(parseJobDocument(input), reference.parseJob(input));
  });
});

describe('parseJobList and parseBulkResults agree with the zod reference', () => {
  it('valid pages: the same page', () => {
    fc.assert(
      fc.property(valid.page, (document) => {
        const input = asJson(document);
        const expected = reference.parseJobList(input);
        expect(expected.ok).toBe(true);
        expectSamePage(parseJobList(input), expected);
      }),
      RUNS,
    );
  });

  it('pages with any value in any field: the same page or a problem at the same path', () => {
    fc.assert(
      fc.property(varied.page, (document) => {
        const input = asJson(document);
        expectSamePage(parseJobList(input), reference.parseJobList(input));
      }),
      RUNS,
    );
  });

  it('bulk-get bodies: the same results, read in place rather than copied', () => {
    fc.assert(
      fc.property(varied.bulk, (document) => {
        const input = asJson(document);
        const actual = parseBulkResults(input);
        expectSameReading(actual, reference.parseBulkResults(input));
        if (actual.ok) expect(actual.value).toBe((input as { results: unknown }).results);
      }),
      RUNS,
    );
  });
});
