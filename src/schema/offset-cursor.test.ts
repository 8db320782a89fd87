import { describe, expect, it } from 'vitest';
import { decodeOffsetCursor, encodeOffsetCursor } from './offset-cursor.ts';

describe('offset cursors', () => {
  it.each([0, 1, 19, 20, 99_999, 2 ** 40])('round-trips offset %d', (offset) => {
    expect(decodeOffsetCursor(encodeOffsetCursor(offset))).toBe(offset);
  });

  it('is opaque: the cursor is not the bare number', () => {
    expect(encodeOffsetCursor(20)).not.toContain('20');
  });

  it.each([
    ['empty', ''],
    ['a bare number', '20'],
    ['not base64url', 'abc$%'],
    ['another prefix', Buffer.from('other:5').toString('base64url')],
    ['a negative offset', Buffer.from('segment-jobs:-1').toString('base64url')],
    ['a fraction', Buffer.from('segment-jobs:1.5').toString('base64url')],
    ['a leading zero', Buffer.from('segment-jobs:01').toString('base64url')],
    ['no digits', Buffer.from('segment-jobs:').toString('base64url')],
    ['too large', Buffer.from('segment-jobs:99999999999999999').toString('base64url')],
  ])('rejects %s', (_name, cursor) => {
    expect(decodeOffsetCursor(cursor)).toBeUndefined();
  });
});
