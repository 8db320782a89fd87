import { describe, expect, it } from 'vitest';
import { isCursorExpired, liveAfterReplay, type StreamWindow } from './feed-replay.ts';

const window = (firstId: string | undefined, lastGeneratedId: string): StreamWindow => ({
  firstId,
  lastGeneratedId,
});

describe('isCursorExpired', () => {
  it.each([
    ['the stream does not exist (expired or never written)', '5-0', undefined, true],
    ['the cursor is the oldest entry kept', '5-0', window('5-0', '9-0'), false],
    ['the cursor is within the window', '7-0', window('5-0', '9-0'), false],
    ['the cursor is the newest entry', '9-0', window('5-0', '9-0'), false],
    ['the cursor was trimmed away', '4-0', window('5-0', '9-0'), true],
    ['the cursor is from before the stream began', '0-1', window('5-0', '9-0'), true],
    [
      'the cursor is newer than any id given out (a former stream)',
      '10-0',
      window('5-0', '9-0'),
      true,
    ],
    ['the stream is empty and the cursor was its last id', '9-0', window(undefined, '9-0'), false],
    ['the stream is empty and the cursor older', '8-0', window(undefined, '9-0'), true],
  ])('%s: %s', (_name, afterId, streamWindow, expected) => {
    expect(isCursorExpired(afterId, streamWindow)).toBe(expected);
  });
});

describe('liveAfterReplay', () => {
  const event = (name: string, streamId?: string) => ({ name, streamId });

  it.each([
    [
      'drops what the replay delivered, keeps what came after',
      [event('a', '5-0'), event('b', '6-0'), event('c', '7-0')],
      '6-0',
      ['c'],
    ],
    [
      'keeps all when the replay ended before them',
      [event('a', '7-0'), event('b', '8-0')],
      '6-0',
      ['a', 'b'],
    ],
    ['drops all when the replay read past them', [event('a', '5-0'), event('b', '6-0')], '9-0', []],
    [
      'keeps events Redis could not store (no id), in place',
      [event('a', '5-0'), event('x'), event('c', '7-0')],
      '6-0',
      ['x', 'c'],
    ],
    [
      'keeps arrival order even when ids arrive out of order',
      [event('c', '8-0'), event('a', '5-0'), event('b', '7-0')],
      '6-0',
      ['c', 'b'],
    ],
    [
      'drops an event from before the cursor itself',
      [event('a', '3-0'), event('b', '7-0')],
      '4-0',
      ['b'],
    ],
  ])('%s', (_name, held, through, expected) => {
    expect(liveAfterReplay(held, through).map((e) => e.name)).toEqual(expected);
  });
});
