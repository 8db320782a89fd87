import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  decideRetry,
  isRetryableStatus,
  parseRetryAfterMs,
} from './retry-policy.ts';

describe('isRetryableStatus', () => {
  it.each([
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
  ])('%i → %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });
});

describe('backoffDelayMs', () => {
  const options = { retryBaseMs: 200, retryMaxMs: 1_000 };
  it.each([
    [1, 0.5, 100],
    [2, 0.5, 200],
    [3, 0.5, 400],
    [4, 0.5, 500],
    [10, 0.5, 500],
    [1, 0, 0],
    [3, 0.999, 799],
  ])('attempt %i with random %f → %i ms', (failedAttempt, random, expected) => {
    expect(backoffDelayMs(failedAttempt, { ...options, random: () => random })).toBe(expected);
  });
});

describe('parseRetryAfterMs', () => {
  const nowMs = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['2', 2_000],
    [' 120 ', 120_000],
    ['0', 0],
    ['Wed, 21 Oct 2015 07:28:05 GMT', 5_000],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    ['1.5', undefined],
  ])('%j → %j', (header, expected) => {
    expect(parseRetryAfterMs(header, nowMs)).toBe(expected);
  });
});

describe('decideRetry', () => {
  const base = { retryBaseMs: 200, retryMaxMs: 5_000, maxAttempts: 3, random: () => 0.5 };
  it('retries with jitter while attempts remain', () => {
    expect(decideRetry({ ...base, failedAttempt: 1 })).toEqual({ retry: true, delayMs: 100 });
  });
  it('stops after maxAttempts', () => {
    expect(decideRetry({ ...base, failedAttempt: 3 })).toEqual({
      retry: false,
      reason: 'attempts-exhausted',
    });
  });
  it('never retries earlier than Retry-After', () => {
    expect(decideRetry({ ...base, failedAttempt: 1, retryAfterMs: 2_000 })).toEqual({
      retry: true,
      delayMs: 2_000,
    });
  });
  it('keeps the jittered delay when it is longer than Retry-After', () => {
    expect(decideRetry({ ...base, failedAttempt: 2, retryAfterMs: 0, random: () => 0.9 })).toEqual({
      retry: true,
      delayMs: 360,
    });
  });
  it('gives up when Retry-After exceeds the budget', () => {
    expect(decideRetry({ ...base, failedAttempt: 1, retryAfterMs: 5_001 })).toEqual({
      retry: false,
      reason: 'retry-after-exceeds-budget',
    });
  });
});
