import { describe, expect, it } from 'vitest';
import { compareStreamIds, decodeFeedCursor, encodeFeedCursor } from './feed-cursor.ts';

describe('feed cursor', () => {
  it.each([
    '0-0',
    '1700000000000-0',
    '1700000000000-42',
    '18446744073709551615-18446744073709551615',
  ])('round-trips the stream id %s', (streamId) => {
    expect(decodeFeedCursor(encodeFeedCursor(streamId))).toEqual({ ok: true, streamId });
  });

  it.each([
    ['an empty string', ''],
    ['characters outside base64url', 'abc+/='],
    ['a raw stream id', '1700000000000-0'],
    ['base64url of something else', Buffer.from('hello').toString('base64url')],
    ['an id without a sequence', Buffer.from('f1:1700000000000').toString('base64url')],
    ['a part past 64 bits', Buffer.from('f1:18446744073709551616-0').toString('base64url')],
    ['an overlong string', 'A'.repeat(81)],
  ])('refuses %s', (_name, cursor) => {
    const decoded = decodeFeedCursor(cursor);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.problem).toMatch(/^expected a cursor/);
  });

  it.each([
    ['1-0', '1-0', 0],
    ['1-0', '1-1', -1],
    ['2-0', '1-9', 1],
    ['9-0', '10-0', -1],
    ['1700000000000-10', '1700000000000-9', 1],
  ])('orders %s against %s as %i', (a, b, expected) => {
    expect(Math.sign(compareStreamIds(a, b))).toBe(expected);
  });
});
