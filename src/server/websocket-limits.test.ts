import { describe, expect, it } from 'vitest';
import {
  createTokenBucket,
  fitsBuffer,
  slowConsumerReason,
  tooManyMessagesReason,
} from './websocket-limits.ts';

/** Messages at the given times (ms), with what the bucket answered for each. */
function answers(rate: number, burst: number, times: readonly number[]): boolean[] {
  let clock = 0;
  const bucket = createTokenBucket(rate, burst, () => clock);
  return times.map((at) => {
    clock = at;
    return bucket.take();
  });
}

describe('createTokenBucket', () => {
  it.each<[string, number, number, number[], boolean[]]>([
    ['a full burst at once, then nothing', 50, 3, [0, 0, 0, 0], [true, true, true, false]],
    ['one token back after 1/rate s', 10, 1, [0, 50, 100], [true, false, true]],
    [
      'refills no further than the burst',
      10,
      2,
      [0, 0, 10_000, 10_000, 10_000],
      [true, true, true, true, false],
    ],
    ['a steady rate is never refused', 50, 1, [0, 20, 40, 60, 80], [true, true, true, true, true]],
    [
      'twice the rate: refused once the burst and its refill are spent',
      50,
      2,
      [0, 10, 20, 30],
      [true, true, true, false],
    ],
  ])('%s', (_case, rate, burst, times, expected) => {
    expect(answers(rate, burst, times)).toEqual(expected);
  });
});

describe('fitsBuffer', () => {
  it.each<[number, number, number, boolean]>([
    [0, 100, 100, true],
    [1, 100, 100, false],
    [90, 10, 100, true],
    [0, 101, 100, true],
    [1, 101, 100, false],
  ])('%i buffered + %i bytes within %i: %s', (buffered, bytes, limit, expected) => {
    expect(fitsBuffer(buffered, bytes, limit)).toBe(expected);
  });
});

describe('close reasons', () => {
  it('fit in a close frame (123 bytes) at the largest settings', () => {
    expect(Buffer.byteLength(tooManyMessagesReason(1_000_000, 1_000_000))).toBeLessThanOrEqual(123);
    expect(Buffer.byteLength(slowConsumerReason(1_073_741_824))).toBeLessThanOrEqual(123);
  });
});
