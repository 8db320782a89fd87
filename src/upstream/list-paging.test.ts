import { describe, expect, it } from 'vitest';
import type { SegmentJobModel } from '../domain/index.ts';
import { isAtOrBefore, nextPageParams, readNextHref, shouldReadOn } from './list-paging.ts';
import type { ListJobsParams } from './types.ts';

const sent: ListJobsParams = {
  limit: 3,
  status: 'SUCCEEDED',
  sort: { field: 'creationTime', direction: 'desc' },
  properties: ['segments~segmentId==a'],
};
const listQuery = 'limit=3&status=SUCCEEDED&sort=creationTime:desc&property=segments~segmentId==a';

describe('nextPageParams: only the query of the next href, and only its start', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['a relative href', `/segment/jobs?${listQuery}&start=4`, '4'],
    ['a created-time token', `/segment/jobs?start=109103839&${listQuery}`, '109103839'],
    ['an href on another host and path', 'https://elsewhere.invalid/x?start=7&totalCount=9', '7'],
    ["Adobe's @-relative href", '@/segment/jobs?start=1540974701302_96', '1540974701302_96'],
    ['a fragment', '/segment/jobs?start=5#top', '5'],
    ['no href', undefined, undefined],
    ['no query', '/segment/jobs', undefined],
    ['no start', `/segment/jobs?${listQuery}`, undefined],
    ['two starts', '/segment/jobs?start=1&start=2', undefined],
    ['a start with spaces', '/segment/jobs?start=1%202', undefined],
    ['a start too long', `/segment/jobs?start=${'1'.repeat(65)}`, undefined],
    ['another sort', '/segment/jobs?start=4&sort=creationTime:asc', undefined],
    ['another status', '/segment/jobs?start=4&status=FAILED', undefined],
    ['another limit', '/segment/jobs?start=4&limit=100', undefined],
    ['another property', '/segment/jobs?start=4&property=segments~segmentId==b', undefined],
  ])('%s', (_name, href, start) => {
    const next = nextPageParams(href, sent);
    expect(next?.start).toBe(start);
    if (next !== undefined) expect(next).toEqual({ ...sent, start });
  });

  it('does not follow an href that would read the same page again', () => {
    expect(nextPageParams('/segment/jobs?start=4', { ...sent, start: '4' })).toBeUndefined();
  });
});

describe('readNextHref', () => {
  it.each<[string, unknown, string | undefined]>([
    ['an href', { _links: { next: { href: '/x?start=1' } } }, '/x?start=1'],
    ['an empty next', { _links: { next: {} } }, undefined],
    ['an empty href', { _links: { next: { href: '' } } }, undefined],
    ['no links', {}, undefined],
    ['an href that is not text', { _links: { next: { href: 3 } } }, undefined],
  ])('%s', (_name, body, href) => {
    expect(readNextHref(body)).toBe(href);
  });
});

function job(id: string, creationTime: number | undefined, status = 'SUCCEEDED'): SegmentJobModel {
  return { id, creationTime, status } as SegmentJobModel;
}

describe('isAtOrBefore: which jobs a later page drops', () => {
  const desc = { field: 'creationTime', direction: 'desc' } as const;
  const asc = { field: 'creationTime', direction: 'asc' } as const;
  const mark = { key: 100, id: 'm' };
  it.each<[string, SegmentJobModel, typeof desc | typeof asc, boolean]>([
    ['the marked job itself', job('m', 100), desc, true],
    ['a newer job, newest first (created since)', job('n', 200), desc, true],
    ['an older job, newest first', job('o', 50), desc, false],
    ['an older job, oldest first', job('o', 50), asc, true],
    ['a newer job, oldest first', job('n', 200), asc, false],
    ['a tie with a smaller id', job('a', 100), desc, true],
    ['a tie with a larger id', job('z', 100), desc, false],
    ['a job without a key: kept', job('k', undefined), desc, false],
  ])('%s', (_name, candidate, sort, dropped) => {
    expect(isAtOrBefore(candidate, mark, sort)).toBe(dropped);
  });

  it('orders by status name when sorting by status', () => {
    const sort = { field: 'status', direction: 'asc' } as const;
    const statusMark = { key: 'QUEUED', id: 'm' };
    expect(isAtOrBefore(job('a', 1, 'FAILED'), statusMark, sort)).toBe(true);
    expect(isAtOrBefore(job('a', 1, 'SUCCEEDED'), statusMark, sort)).toBe(false);
  });
});

describe('shouldReadOn: a short page reads on, within its call budget', () => {
  it.each<[number, number, boolean, number, boolean]>([
    [3, 3, true, 1, false],
    [1, 3, true, 1, true],
    [1, 3, false, 1, false],
    [1, 3, true, 3, true],
    [1, 3, true, 4, false],
  ])(
    'served %d of %d, next %s, after %d calls of 4: %s',
    (served, want, hasNext, calls, readOn) => {
      expect(shouldReadOn(served, want, hasNext, calls, 4)).toBe(readOn);
    },
  );
});
