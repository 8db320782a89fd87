import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLikeMatcher } from './like-pattern.ts';
import { MAX_LIKE_PATTERN_LENGTH } from './limits.ts';
import { createWorkMeter } from './work-meter.ts';

/** The obvious regular-expression reading of a like pattern, to check the matcher against. */
function referenceLike(pattern: string, value: string): boolean {
  const source = [...pattern]
    .map((char) => {
      if (char === '%') return '[\\s\\S]*';
      if (char === '_') return '[\\s\\S]';
      return char.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 'u').test(value);
}

describe('createLikeMatcher', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abcd', false],
    ['', '', true],
    ['', 'a', false],
    ['%', '', true],
    ['%', 'anything', true],
    ['_', '', false],
    ['_', 'a', true],
    ['_', 'ab', false],
    ['a%', 'abc', true],
    ['a%', 'bac', false],
    ['%c', 'abc', true],
    ['%c', 'abcd', false],
    ['%b%', 'abc', true],
    ['%x%', 'abc', false],
    ['a_c', 'abc', true],
    ['a_c', 'ac', false],
    ['a%c', 'ac', true],
    ['a%c', 'abbbc', true],
    ['a%b%c', 'aXbYc', true],
    ['a%b%c', 'aXcYb', false],
    ['%a%a%', 'banana', true],
    ['%ana', 'banana', true],
    ['b%na', 'bna', true],
    ['b%na', 'bn', false],
    ['ab%ba', 'aba', false],
    ['_%_', 'a', false],
    ['_%_', 'ab', true],
    ['%_%_%', 'a', false],
    ['__', '😀x', true],
    ['_', '😀', true],
    ['%😀', 'a😀', true],
    ['a.c', 'abc', false],
    ['a.c', 'a.c', true],
    ['(%)', '(x)', true],
  ])('%j on %j is %s', (pattern, value, expected) => {
    expect(createLikeMatcher(pattern)(value)).toBe(expected);
    expect(referenceLike(pattern, value)).toBe(expected);
  });

  it('agrees with the regular-expression reading on arbitrary patterns and values', () => {
    const alphabet = fc.constantFrom('a', 'b', '%', '_', '😀', '.');
    const text = fc
      .array(fc.constantFrom('a', 'b', 'c', '😀', '.'), { maxLength: 12 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }), text, (chars, value) => {
        const pattern = chars.join('');
        expect(createLikeMatcher(pattern)(value)).toBe(referenceLike(pattern, value));
      }),
      { numRuns: 3_000 },
    );
  });

  it('answers in linear-ish time on a pattern that makes backtracking regexes explode', () => {
    const matches = createLikeMatcher(`${'%a'.repeat(30)}%b`);
    // Only the result is asserted; a backtracking implementation would not finish at all.
    expect(matches('a'.repeat(5_000))).toBe(false);
  });

  it('agrees with the regular-expression reading on long patterns over a two-letter alphabet', () => {
    // Few letters make parts overlap with themselves (the hard case for a linear search), and
    // parts longer than 32 characters span several words of the bit-parallel matcher.
    const piece = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('a', 'b') },
      { weight: 2, arbitrary: fc.constant('_') },
      { weight: 1, arbitrary: fc.constant('%') },
      { weight: 1, arbitrary: fc.constant('😀') },
    );
    const text = fc
      .array(fc.constantFrom('a', 'a', 'b', '😀'), { maxLength: 120 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 90 }), text, (chars, value) => {
        const pattern = chars.join('');
        expect(createLikeMatcher(pattern)(value)).toBe(referenceLike(pattern, value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('finds values built to contain the pattern, with wildcards anywhere', () => {
    const chars = fc.array(fc.constantFrom('a', 'b', '😀'), { minLength: 1, maxLength: 70 });
    fc.assert(
      fc.property(
        chars,
        chars,
        chars,
        fc.integer({ min: 0, max: 1_000 }),
        (pre, mid, post, seed) => {
          // Replace some characters of the middle by `_`, so the pattern still matches.
          const part = mid.map((char, index) => ((seed >> (index % 10)) & 1 ? '_' : char)).join('');
          const value = [...pre, ...mid, ...post].join('');
          const pattern = `%${part}%`;
          expect(createLikeMatcher(pattern)(value)).toBe(true);
          expect(referenceLike(pattern, value)).toBe(true);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  const a = (count: number) => 'a'.repeat(count);
  /** Bit-vector words the matcher steps per value character for a part of `length` characters. */
  const words = (length: number) => Math.ceil(length / 32);
  const PART = 500;

  // Each row: a pattern of about PART characters, a value of n characters built so that the
  // pattern nearly matches everywhere (the worst case for a naive search), and the most work
  // units a linear matcher may spend: a few per value character (times the words of the longest
  // part with `_`), plus the pattern's own length.
  it.each([
    ['a literal middle part', `x%${a(PART - 1)}b%`, (n: number) => `x${a(n)}`, 1],
    ['a literal part after another', `%a%${a(PART - 1)}b%`, (n: number) => a(n), 1],
    [
      'a middle part with `_`',
      `x%${a(PART / 2)}_${a(PART / 2 - 2)}b%`,
      (n: number) => `x${a(n)}`,
      words(PART),
    ],
    ['a last part with `_`', `%${a(PART - 2)}_b`, (n: number) => a(n), words(PART)],
    [
      'a short part with `_` repeated',
      `%${'a_b%'.repeat(PART / 4)}`,
      (n: number) => 'ab'.repeat(n / 2),
      1,
    ],
    [
      'a first part with `_` and a literal rest',
      `${a(PART / 2)}_%${a(PART / 2)}b`,
      (n: number) => a(n),
      words(PART),
    ],
  ])('spends work linear in the value length on %s', (_name, pattern, buildValue, perChar) => {
    for (const n of [2_000, 8_000, 32_000]) {
      const meter = createWorkMeter();
      const matches = createLikeMatcher(pattern, meter);
      meter.units = 0;
      expect(matches(buildValue(n))).toBe(false);
      expect(meter.units).toBeGreaterThan(0);
      expect(meter.units).toBeLessThanOrEqual(3 * n * perChar + 3 * pattern.length);
    }
  });

  it("refuses nothing itself: the pattern limit is the compiler's, and a pattern at the limit matches", () => {
    const pattern = `%${'_'.repeat(MAX_LIKE_PATTERN_LENGTH - 2)}%`;
    expect(createLikeMatcher(pattern)(a(MAX_LIKE_PATTERN_LENGTH - 2))).toBe(true);
    expect(createLikeMatcher(pattern)(a(MAX_LIKE_PATTERN_LENGTH - 3))).toBe(false);
  });
});
