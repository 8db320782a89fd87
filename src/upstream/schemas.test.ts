import { describe, expect, it } from 'vitest';
import { looksLikeJob, parseBulkResults, parseJob, parseJobList } from './schemas.ts';

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
    ['a missing id', { ...minimal, id: undefined }, 'id: expected a segment job'],
    ['segments that are not a list', { ...minimal, segments: 'all' }, 'segments'],
    [
      'a counter that is not a number',
      { ...minimal, metrics: { totalProfiles: '12' } },
      'metrics.totalProfiles',
    ],
    ['an array instead of an object', [minimal], 'body'],
  ])('%s', (_name, input, problem) => {
    const parsed = parseJob(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });

  it('never echoes a non-word status value', () => {
    const parsed = parseJob({ ...minimal, status: 'Bearer abc.def' });
    expect(parsed.ok ? '' : parsed.problem).not.toContain('abc.def');
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
      value: { totalCount: 14, pageSize: 1, jobs: [minimal], hasNext: true },
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

  it('names the bad child by index', () => {
    const parsed = parseJobList({ children: [minimal, { ...minimal, status: 7 }] });
    expect(parsed.ok ? '' : parsed.problem).toContain('children[1].status');
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

  it.each<[unknown, boolean]>([
    [minimal, true],
    [{ ...minimal, status: 'PAUSED' }, true],
    [{ status: 404, title: 'Not found' }, false],
    [{ error_code: '404', message: 'not found' }, false],
    [null, false],
  ])('looksLikeJob(%j) → %s', (item, expected) => {
    expect(looksLikeJob(item)).toBe(expected);
  });
});
