import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLikeMatcher } from './like-pattern.ts';

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
});
