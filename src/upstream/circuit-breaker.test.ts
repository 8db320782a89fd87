import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from './circuit-breaker.ts';

function setup() {
  let nowMs = 0;
  const breaker = createCircuitBreaker({ threshold: 3, cooldownMs: 1_000, now: () => nowMs });
  return { breaker, advance: (ms: number) => (nowMs += ms) };
}

describe('createCircuitBreaker', () => {
  it('admits until the threshold of consecutive failures, then refuses with the time left', () => {
    const { breaker, advance } = setup();
    for (let index = 0; index < 3; index += 1) {
      expect(breaker.admit('a').allowed).toBe(true);
      breaker.recordFailure('a');
    }
    expect(breaker.isOpen('a')).toBe(true);
    advance(400);
    expect(breaker.admit('a')).toEqual({ allowed: false, retryAfterMs: 600, failures: 3 });
  });

  it('a success resets the count', () => {
    const { breaker } = setup();
    breaker.recordFailure('a');
    breaker.recordFailure('a');
    breaker.recordSuccess('a');
    breaker.recordFailure('a');
    expect(breaker.admit('a').allowed).toBe(true);
    expect(breaker.isOpen('a')).toBe(false);
  });

  it('keeps keys apart', () => {
    const { breaker } = setup();
    for (let index = 0; index < 3; index += 1) breaker.recordFailure('a');
    expect(breaker.admit('a').allowed).toBe(false);
    expect(breaker.admit('b')).toEqual({ allowed: true, isProbe: false });
  });

  it('after the cooldown admits exactly one probe; its success closes the circuit', () => {
    const { breaker, advance } = setup();
    for (let index = 0; index < 3; index += 1) breaker.recordFailure('a');
    advance(1_000);
    expect(breaker.admit('a')).toEqual({ allowed: true, isProbe: true });
    expect(breaker.admit('a').allowed).toBe(false);
    breaker.recordSuccess('a');
    expect(breaker.admit('a')).toEqual({ allowed: true, isProbe: false });
  });

  it('a failed probe opens the circuit for another cooldown', () => {
    const { breaker, advance } = setup();
    for (let index = 0; index < 3; index += 1) breaker.recordFailure('a');
    advance(1_000);
    breaker.admit('a');
    breaker.recordFailure('a');
    expect(breaker.admit('a')).toEqual({ allowed: false, retryAfterMs: 1_000, failures: 4 });
  });

  it('a neutral probe frees the slot for the next caller', () => {
    const { breaker, advance } = setup();
    for (let index = 0; index < 3; index += 1) breaker.recordFailure('a');
    advance(1_000);
    breaker.admit('a');
    breaker.recordNeutral('a', true);
    expect(breaker.admit('a')).toEqual({ allowed: true, isProbe: true });
  });
});
