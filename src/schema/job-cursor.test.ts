import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEGMENT_JOB_STATUSES } from '../domain/index.ts';
import {
  decodeJobCursor,
  encodeJobCursor,
  type JobCursorModel,
  type JobListIdentity,
  jobCursorEncoder,
} from './job-cursor.ts';

const base: JobCursorModel = {
  list: { sort: { field: 'creationTime', direction: 'desc' } },
  position: { limit: 20, key: 1_573_203_600_535, id: 'b31aed3d-b3b1-4613-98c6-7d3846e8d48f' },
};

function raw(json: unknown): string {
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

const valid = { limit: 20, sort: 'creationTime:desc', key: 1, id: 'job-1' };

describe('job cursors', () => {
  it.each<[string, JobCursorModel]>([
    ['a first-page position', base],
    ['an upstream start token', { ...base, position: { ...base.position, start: '109103839' } }],
    ['a 1-based start', { ...base, position: { ...base.position, start: '21' } }],
    [
      'a filtered list sorted by status',
      {
        list: { status: 'QUEUED', segmentId: 'seg-1', sort: { field: 'status', direction: 'asc' } },
        position: { start: '1540974701302_96', limit: 5, key: 'QUEUED', id: 'j' },
      },
    ],
    ['a job without a sort key', { ...base, position: { ...base.position, key: null } }],
  ])('round-trips %s', (_name, cursor) => {
    expect(decodeJobCursor(encodeJobCursor(cursor))).toEqual({ ok: true, value: cursor });
  });

  it('is opaque: the cursor shows neither the id nor the start', () => {
    const cursor = encodeJobCursor({ ...base, position: { ...base.position, start: '42' } });
    expect(cursor).not.toContain('b31aed3d');
    expect(/^[A-Za-z0-9_-]+$/.test(cursor)).toBe(true);
  });

  it.each<[string, string, RegExp]>([
    ['empty', '', /empty/],
    ['not base64url', 'abc$%', /not base64url/],
    ['the old offset cursors', Buffer.from('segment-jobs:3').toString('base64url'), /not one of/],
    ['a JSON array', raw([1]), /not one of/],
    ['too long', 'a'.repeat(5_000), /5000 characters/],
    ['an unknown field', raw({ ...valid, orgId: 'x' }), /field it never sets/],
    ['a start with a separator', raw({ ...valid, start: '2&status=NEW' }), /start/],
    ['a start too long', raw({ ...valid, start: '9'.repeat(65) }), /start/],
    ['a numeric start', raw({ ...valid, start: 3 }), /start/],
    ['limit 0', raw({ ...valid, limit: 0 }), /page size/],
    ['limit 101', raw({ ...valid, limit: 101 }), /page size/],
    ['a fractional limit', raw({ ...valid, limit: 1.5 }), /page size/],
    ['an unknown status', raw({ ...valid, status: 'DONE' }), /status/],
    ['an empty segmentId', raw({ ...valid, segmentId: '' }), /segmentId/],
    ['an unknown sort', raw({ ...valid, sort: 'imsOrgId:asc' }), /sort/],
    ['a time key that is text', raw({ ...valid, key: '1' }), /key/],
    ['a status key that is no status', raw({ ...valid, sort: 'status:asc', key: 'X' }), /key/],
    ['an object key', raw({ ...valid, key: { $gt: 1 } }), /key/],
    ['an id of 257 characters', raw({ ...valid, id: 'x'.repeat(257) }), /job id/],
    ['the id ..', raw({ ...valid, id: '..' }), /job id/],
    ['no id', raw({ limit: 20, sort: 'creationTime:desc', key: 1 }), /job id/],
  ])('refuses %s', (_name, cursor, problem) => {
    const decoded = decodeJobCursor(cursor);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.problem).toMatch(problem);
  });
});

describe('a page of job cursors', () => {
  const lists: fc.Arbitrary<JobListIdentity> = fc.record(
    {
      status: fc.constantFrom(...SEGMENT_JOB_STATUSES),
      segmentId: fc.string({ unit: 'binary', minLength: 1 }),
      sort: fc.record({
        field: fc.constantFrom('creationTime' as const, 'updateTime' as const, 'status' as const),
        direction: fc.constantFrom('asc' as const, 'desc' as const),
      }),
    },
    { requiredKeys: ['sort'] },
  );
  const positions = fc.array(
    fc.record(
      {
        start: fc.constantFrom('21', '41', '1540974701302_96'),
        limit: fc.constantFrom(1, 20, 100),
        key: fc.oneof(
          fc.constant(null),
          fc.double(),
          fc.integer(),
          fc.constantFrom(...SEGMENT_JOB_STATUSES),
        ),
        id: fc.string({ unit: 'binary' }),
      },
      { requiredKeys: ['limit', 'key', 'id'] },
    ),
    { maxLength: 30 },
  );

  it('each cursor is the one encodeJobCursor gives, byte for byte', () => {
    fc.assert(
      fc.property(lists, positions, (list, page) => {
        const encode = jobCursorEncoder(list);
        for (const position of page) {
          expect(encode(position)).toBe(encodeJobCursor({ list, position }));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
