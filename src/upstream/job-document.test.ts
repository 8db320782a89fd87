// Unit tests of the one job reader (job-document.ts) and the envelope readers of list pages and
// bulk-get answers (response-reading.ts): what they accept, what they refuse, and where.
import { describe, expect, it } from 'vitest';
import { MetricMapError, parseJobDocument as parseJob } from './job-document.ts';
import {
  bulkResultOf,
  isBulkErrorEntry,
  parseBulkResults,
  parseJobList,
} from './response-reading.ts';

const minimal = { id: 'j', imsOrgId: 'O@AdobeOrg', status: 'NEW', segments: [] };

describe('parseJob: documented oddities are accepted', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['minimal job', {}, {}],
    ['missing segments read as none', { segments: undefined }, { segments: [] }],
    ['null optional fields read as absent', { batchId: null, metrics: null }, {}],
    [
      'wildcard segment without a definition',
      { segments: [{ segmentId: '*' }] },
      { segments: [{ segmentId: '*' }] },
    ],
    [
      'partial metrics while running',
      { metrics: { totalTime: { startTimeInMs: 1 }, profileSegmentationTime: {} } },
      { metrics: { totalTime: { startTimeInMs: 1 }, profileSegmentationTime: {} } },
    ],
    [
      'counters above 2^31',
      { metrics: { totalProfiles: 2 ** 40 } },
      { metrics: { totalProfiles: 2 ** 40 } },
    ],
    ['computeJobId as a number', { computeJobId: 8811 }, { computeJobId: 8811 }],
    ['computeJobId as a numeric string', { computeJobId: '8811' }, { computeJobId: 8811 }],
    [
      'sandbox default spelled as a string',
      { sandbox: { sandboxName: 'prod', default: 'true' } },
      { sandbox: { sandboxName: 'prod', default: true } },
    ],
    [
      'job error codes as numbers',
      { errors: [{ code: 80000018, msg: 'x' }] },
      { errors: [{ code: '80000018', msg: 'x' }] },
    ],
    ['float times', { creationTime: 1.23456789e11 }, { creationTime: 1.23456789e11 }],
    ['no imsOrgId (optional in the OpenAPI)', { imsOrgId: undefined }, { imsOrgId: undefined }],
    [
      'a segment with a definition but no segmentId',
      { segments: [{ segment: { id: 's1' } }] },
      { segments: [{ segment: { id: 's1' } }] },
    ],
    [
      'an expression without a format, a merge policy without a version, no definition id',
      { segments: [{ segment: { expression: { type: 'PQL' }, mergePolicy: { id: 'm' } } }] },
      { segments: [{ segment: { expression: { type: 'PQL' }, mergePolicy: { id: 'm' } } }] },
    ],
    [
      'a sandbox without a name',
      { sandbox: { sandboxId: 'x', default: false } },
      { sandbox: { sandboxId: 'x', default: false } },
    ],
  ])('%s', (_name, input, expected) => {
    const parsed = parseJob({ ...minimal, ...input });
    expect(parsed).toEqual({ ok: true, value: { ...minimal, ...expected } });
  });

  it('drops unknown fields at every level', () => {
    const parsed = parseJob({
      ...minimal,
      _links: { cancel: {} },
      extra: 1,
      errors: [{ code: 'c', msg: 'm', callStack: 'at secret.java:1' }],
      metrics: { totalTime: { startTimeInMs: 1, weird: 2 }, newCounter: {} },
    });
    expect(parsed).toEqual({
      ok: true,
      value: {
        ...minimal,
        errors: [{ code: 'c', msg: 'm' }],
        metrics: { totalTime: { startTimeInMs: 1 } },
      },
    });
  });
});

describe('parseJob: shapes it refuses, saying where and what', () => {
  it.each<[string, unknown, string]>([
    ['an unknown status', { ...minimal, status: 'PAUSED' }, 'status: expected one of NEW'],
    [
      'a status that is not a word',
      { ...minimal, status: 'x y z <script>' },
      'a 14-character string',
    ],
    [
      'a missing id',
      { ...minimal, id: undefined },
      'id: expected a non-empty string, but got nothing',
    ],
    [
      'an empty id',
      { ...minimal, id: '' },
      'id: expected a non-empty string, but got an empty string',
    ],
    [
      'segments that are not a list',
      { ...minimal, segments: 'all' },
      'segments: expected an array, but got a string',
    ],
    [
      'a counter that is not a number',
      { ...minimal, metrics: { totalProfiles: '12' } },
      'metrics.totalProfiles: expected a number, but got a string',
    ],
    [
      'a definition whose expression value is not a string',
      {
        ...minimal,
        segments: [
          {
            segmentId: 's1',
            segment: { id: 's1', expression: { type: 'PQL', format: 'pql/text', value: 5 } },
          },
        ],
      },
      'segments[0].segment.expression.value: expected a string, but got a number',
    ],
    [
      'an error entry that is not an object',
      { ...minimal, errors: ['boom'] },
      'errors[0]: expected an object, but got a string',
    ],
    [
      'a computeJobId that is not digits',
      { ...minimal, computeJobId: '12a' },
      'computeJobId: expected a number or a string of digits, but got a string',
    ],
    [
      'an array instead of an object',
      [minimal],
      'body: expected a segment job (an object), but got an array',
    ],
  ])('%s', (_name, input, problem) => {
    const parsed = parseJob(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });

  it('a per-segment count that is not a number: refused when that map is first read', () => {
    const parsed = parseJob(
      { ...minimal, metrics: { segmentedProfileByNamespaceCounter: { s1: { ECID: true } } } },
      'children[2]',
    );
    if (!parsed.ok) throw new Error(parsed.problem);
    const read = () => parsed.value.metrics?.segmentedProfileByNamespaceCounter;
    expect(read).toThrow(MetricMapError);
    expect(read).toThrow(
      'upstream sent job "j" with metrics that are not the documented shape: children[2].metrics.segmentedProfileByNamespaceCounter.s1.ECID: expected a number, but got a boolean',
    );
    // Sent on (to another replica), the malformed map is left out rather than thrown.
    expect(JSON.parse(JSON.stringify(parsed.value.metrics))).toEqual({});
  });

  it('a map that is not an object: refused with the document', () => {
    const parsed = parseJob({ ...minimal, metrics: { totalProfilesByMergePolicy: [1] } });
    expect(parsed.ok ? '' : parsed.problem).toBe(
      'metrics.totalProfilesByMergePolicy: expected an object, but got an array',
    );
  });

  it('metric maps are not enumerated until read, then read once and kept', () => {
    let enumerations = 0;
    const counter = new Proxy<Record<string, number>>(
      { a: 1, b: 2 },
      {
        ownKeys(target) {
          enumerations++;
          return Reflect.ownKeys(target);
        },
      },
    );
    const parsed = parseJob({ ...minimal, metrics: { segmentedProfileCounter: counter } });
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(enumerations).toBe(0);
    const first = parsed.value.metrics?.segmentedProfileCounter;
    const afterFirstRead = enumerations;
    expect(afterFirstRead).toBe(1);
    expect(parsed.value.metrics?.segmentedProfileCounter).toBe(first);
    expect(enumerations).toBe(afterFirstRead);
    expect(first).toEqual({ a: 1, b: 2 });
  });

  it('reports an unknown status only when every other field is sound', () => {
    const parsed = parseJob({ ...minimal, status: 'PAUSED', creationTime: 'yesterday' });
    expect(parsed.ok ? '' : parsed.problem).toBe(
      'creationTime: expected a number, but got a string',
    );
  });

  it('never echoes a non-word status value', () => {
    const parsed = parseJob({ ...minimal, status: 'Bearer abc.def' });
    expect(parsed.ok ? '' : parsed.problem).not.toContain('abc.def');
  });
});

describe('parseJob: a `__proto__` key is data, never a prototype', () => {
  it('fields under a top-level `__proto__` are not read as the job', () => {
    const input = JSON.parse(
      '{"__proto__": {"id": "j", "imsOrgId": "O@AdobeOrg", "status": "NEW"}}',
    );
    const parsed = parseJob(input);
    expect(parsed.ok ? '' : parsed.problem).toBe(
      'id: expected a non-empty string, but got nothing',
    );
  });

  it('a counter keyed `__proto__` is dropped and leaves the prototype alone', () => {
    const input = JSON.parse(
      '{"id": "j", "imsOrgId": "O@AdobeOrg", "status": "NEW", "metrics": {"segmentedProfileCounter": {"__proto__": {"a": 1}, "b": 2}, "segmentedProfileByNamespaceCounter": {"__proto__": {"ECID": 1}, "s": {"ECID": 2}}}}',
    );
    const parsed = parseJob(input);
    if (!parsed.ok) throw new Error(parsed.problem);
    const counter = parsed.value.metrics?.segmentedProfileCounter;
    const nested = parsed.value.metrics?.segmentedProfileByNamespaceCounter;
    expect(counter).toStrictEqual({ b: 2 });
    expect(nested).toStrictEqual({ s: { ECID: 2 } });
    expect(Object.getPrototypeOf(counter)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(nested)).toBe(Object.prototype);
  });
});

describe('parseJobList', () => {
  it('reads the envelope and hasNext from _links.next.href', () => {
    const parsed = parseJobList({
      _page: { totalCount: 14, pageSize: 1 },
      children: [minimal],
      _links: { next: { href: '/segment/jobs?start=1' } },
    });
    expect(parsed).toEqual({
      ok: true,
      value: { totalCount: 14, pageSize: 1, jobs: [minimal], unreadable: [], hasNext: true },
    });
  });

  it('an empty next link means no next page', () => {
    const parsed = parseJobList({
      _page: { totalCount: 1, pageSize: 1 },
      children: [minimal],
      _links: { next: {} },
    });
    expect(parsed.ok && parsed.value.hasNext).toBe(false);
  });

  it('sets a child it cannot read aside, by index, and reads the others', () => {
    const parsed = parseJobList({ children: [minimal, { ...minimal, status: 7 }, minimal] });
    expect(parsed).toEqual({
      ok: true,
      value: {
        totalCount: 3,
        pageSize: 3,
        jobs: [minimal, minimal],
        unreadable: [
          {
            index: 1,
            jobId: 'j',
            problem: 'children[1].status: expected a string, but got a number',
          },
        ],
        hasNext: false,
      },
    });
  });

  it('never shows an id that does not look like one', () => {
    const parsed = parseJobList({ children: [{ id: 'a b <c>', status: 'PAUSED' }, { id: 3 }] });
    expect(parsed.ok && parsed.value.unreadable.map((entry) => entry.jobId)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it.each<[string, unknown, string]>([
    ['no children', { _page: { totalCount: 0 } }, 'children: expected an array, but got nothing'],
    ['a page count as a string', { _page: { totalCount: '1' }, children: [] }, '_page.totalCount'],
    [
      'a next link as a number',
      { children: [], _links: { next: { href: 3 } } },
      '_links.next.href',
    ],
    ['a list body', [minimal], 'body: expected a job list'],
    [
      'a bad envelope before a bad child',
      { children: [null], _links: [] },
      '_links: expected an object',
    ],
  ])('refuses %s', (_name, input, problem) => {
    const parsed = parseJobList(input);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });

  it('defaults the counts to the jobs on the page and reads null links as none', () => {
    const parsed = parseJobList({ _page: null, children: [minimal, minimal], _links: null });
    expect(parsed).toEqual({
      ok: true,
      value: {
        totalCount: 2,
        pageSize: 2,
        jobs: [minimal, minimal],
        unreadable: [],
        hasNext: false,
      },
    });
  });
});

describe('bulk-get items', () => {
  it('needs results to be an object', () => {
    expect(parseBulkResults({ results: [] }).ok).toBe(false);
    expect(parseBulkResults({ results: { a: minimal } })).toEqual({
      ok: true,
      value: { a: minimal },
    });
  });

  it('returns the results in place and reads only their own entries', () => {
    const body = JSON.parse('{"results": {"a": {"id": "a"}, "__proto__": {"id": "p"}}}');
    const parsed = parseBulkResults(body);
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(parsed.value).toBe(body.results);
    expect(bulkResultOf(parsed.value, 'a')).toEqual({ id: 'a' });
    expect(bulkResultOf(parsed.value, '__proto__')).toEqual({ id: 'p' });
    expect(bulkResultOf(parsed.value, 'constructor')).toBeUndefined();
    expect(bulkResultOf(parsed.value, 'missing')).toBeUndefined();
  });

  it.each<[unknown, boolean]>([
    [minimal, false],
    [{ ...minimal, status: 'PAUSED' }, false],
    [{ ...minimal, id: undefined }, false],
    [{ ...minimal, errors: [{ code: '1', msg: 'failed' }] }, false],
    [{ status: 404, title: 'Not found' }, true],
    [{ requestId: 'r', errors: { '404': [{ code: 404, message: 'Not found.' }] } }, true],
    [{ error_code: '404', message: 'not found' }, true],
    [null, true],
  ])('isBulkErrorEntry(%j) → %s', (item, expected) => {
    expect(isBulkErrorEntry(item)).toBe(expected);
  });
});
