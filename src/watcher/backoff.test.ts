import { describe, expect, it } from 'vitest';
import { computeBackoffMs } from './backoff.ts';

describe('computeBackoffMs', () => {
  it.each([
    // failures, random, retryAfterMs, expected (base 2 s, cap 30 s)
    [1, 0, undefined, 2_000],
    [1, 0.999_999, undefined, 4_000],
    [2, 0, undefined, 4_000],
    [2, 0.5, undefined, 6_000],
    [3, 1 - 1e-9, undefined, 16_000],
    [4, 0.25, undefined, 18_750],
    [10, 0, undefined, 15_000],
    [10, 0.999_999, undefined, 30_000],
    [1, 0, 45_000, 45_000],
    [5, 1 - 1e-9, 1_000, 30_000],
  ])(
    'failure %i with random %f and Retry-After %s ms waits %i ms',
    (failures, random, retryAfterMs, expected) => {
      expect(
        computeBackoffMs({
          failures,
          baseMs: 2_000,
          maxMs: 30_000,
          random: () => random,
          retryAfterMs,
        }),
      ).toBe(expected);
    },
  );

  it('never waits less than the base interval, even with a cap below it', () => {
    expect(computeBackoffMs({ failures: 3, baseMs: 5_000, maxMs: 1_000, random: () => 0 })).toBe(
      5_000,
    );
  });

  it('grows with failures until the cap, for every draw', () => {
    for (const random of [0, 0.3, 0.7, 0.999]) {
      const waits = [1, 2, 3, 4, 5, 6].map((failures) =>
        computeBackoffMs({ failures, baseMs: 1_000, maxMs: 32_000, random: () => random }),
      );
      expect(waits).toEqual([...waits].sort((a, b) => a - b));
      expect(waits.at(-1)).toBeLessThanOrEqual(32_000);
    }
  });
});
