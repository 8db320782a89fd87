import { describe, expect, it } from 'vitest';
import { computeBackoffMs, MAX_TIMER_DELAY_MS, RETRY_AFTER_CEILING_MS } from './backoff.ts';

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

describe('computeBackoffMs with hostile inputs', () => {
  const input = { failures: 1, baseMs: 2_000, maxMs: 30_000, random: () => 0 };
  it.each<[string, number, number]>([
    ['2^31 ms (overflows setTimeout to 1 ms)', 2 ** 31, RETRY_AFTER_CEILING_MS],
    ['2147484 s', 2_147_484_000, RETRY_AFTER_CEILING_MS],
    ['2,000,000 s (23 days)', 2_000_000_000, RETRY_AFTER_CEILING_MS],
    ['Infinity', Number.POSITIVE_INFINITY, RETRY_AFTER_CEILING_MS],
    ['NaN', Number.NaN, 2_000],
    ['negative', -5_000, 2_000],
    ['zero', 0, 2_000],
    ['fractional', 2_500.4, 2_500],
  ])('Retry-After %s → %i ms', (_name, retryAfterMs, expected) => {
    expect(computeBackoffMs({ ...input, retryAfterMs })).toBe(expected);
  });

  it('never goes below the base nor above what a timer can hold, whatever the random source', () => {
    for (const random of [Number.NaN, -1, 2, Number.POSITIVE_INFINITY]) {
      const ms = computeBackoffMs({ ...input, failures: 40, random: () => random });
      expect(ms).toBeGreaterThanOrEqual(2_000);
      expect(ms).toBeLessThanOrEqual(30_000);
    }
    expect(RETRY_AFTER_CEILING_MS).toBeLessThan(MAX_TIMER_DELAY_MS);
  });
});
