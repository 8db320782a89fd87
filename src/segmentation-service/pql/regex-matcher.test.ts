import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRegexMatcher, RegexRefusal } from './regex-matcher.ts';
import { createWorkMeter } from './work-meter.ts';

describe('createRegexMatcher', () => {
  it.each([
    ['abc', 'xxabcxx', true],
    ['^abc$', 'xabc', false],
    ['a|b|c', 'zzc', true],
    ['colou?r', 'color', true],
    ['^(ab)+$', 'ababab', true],
    ['^(ab)+$', 'ababa', false],
    ['^a{2,3}$', 'aaaa', false],
    ['^a{2,}$', 'aaaa', true],
    ['^a{2}$', 'aa', true],
    ['^[a-c]+[^a-c]$', 'abcd', true],
    ['^\\d+\\.\\d*$', '3.14', true],
    ['^\\w+@\\w+\\.com$', 'joe@example.com', true],
    ['^\\s*$', ' \t', true],
    ['^.$', '\n', false],
    ['^.$', '😀', true],
    ['^[😀-😂]$', '😁', true],
    ['^(?:a|)b', 'b', true],
    ['^(?<year>\\d{4})-', '2024-01', true],
    ['^a*?b', 'aab', true],
    ['\\Aab\\z', 'ab', true],
    ['(?i)^JOHN', 'johnny', true],
    ['(?i)[^a]', 'A', false],
    ['\\x41\\u00e9', 'Aé', true],
    ['', '', true],
    ['^$', 'x', false],
  ])('%s on %j is %s', (pattern, value, expected) => {
    expect(createRegexMatcher(pattern)(value)).toBe(expected);
  });

  it.each([
    ['(a)\\1', /a backreference \\1/],
    ['a(?=b)', /a lookahead \(\?=/],
    ['(?<!a)b', /a lookbehind \(\?<!/],
    ['(?>a)', /an atomic group/],
    ['a*+', /a possessive quantifier/],
    ['a(?i)b', /an inline flag/],
    ['\\bword', /a word boundary \\b/],
    ['\\p{L}', /a Unicode property class/],
    ['[a[b]]', /a nested class/],
    ['(a', /a closing "\)"/],
    ['a)', /an unbalanced "\)"/],
    ['*a', /an atom before the quantifier/],
    ['a**', /an atom before the quantifier/],
    ['^*', /a quantifier after an anchor/],
    ['a{3,1}', /a count range/],
    ['[z-a]', /a range whose end/],
    ['[]', /an empty class/],
    ['((a{100}){100})', /at most 1000 NFA steps/],
  ])('refuses %s, naming the construct', (pattern, message) => {
    expect(() => createRegexMatcher(pattern)).toThrow(RegexRefusal);
    expect(() => createRegexMatcher(pattern)).toThrow(message);
  });

  it('runs (a+)+$ over "aaa…!" in work linear in the value length', () => {
    const pattern = '(a+)+$';
    const units = (length: number): number => {
      const meter = createWorkMeter();
      expect(createRegexMatcher(pattern, meter)(`${'a'.repeat(length)}!`)).toBe(false);
      return meter.units;
    };
    const small = units(1_000);
    const large = units(10_000);
    // A backtracking engine needs about 2^n steps; this one a few units per character.
    expect(large).toBeLessThanOrEqual(20 * 10_001);
    expect(large / small).toBeGreaterThan(9);
    expect(large / small).toBeLessThan(11);
  });

  it('never does more than twice the program size in work per character', () => {
    const meter = createWorkMeter();
    const value = 'ab'.repeat(5_000);
    createRegexMatcher('(a|b|ab|ba)*(x|y)', meter)(value);
    // The program here is under 30 instructions.
    expect(meter.units).toBeLessThanOrEqual(2 * 30 * (value.length + 1));
  });
});

// Patterns built from the subset, over an alphabet where Java's and JavaScript's rules agree.
const ALPHABET = ['a', 'b', 'c', 'A', 'B', '1', ' ', '-', '.'];
const atom: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'A', '1', ' ', '-'),
  fc.constantFrom(
    '.',
    '\\d',
    '\\w',
    '\\s',
    '\\D',
    '\\W',
    '\\.',
    '[ab]',
    '[^a]',
    '[a-c1]',
    '[^\\d]',
  ),
);
const { pattern: patternArb } = fc.letrec<{ pattern: string; term: string }>((tie) => ({
  term: fc.oneof(
    { maxDepth: 2, depthSize: 'small' },
    atom,
    tie('pattern').map((inner) => `(${inner})`),
    tie('pattern').map((inner) => `(?:${inner})`),
  ),
  pattern: fc
    .array(
      fc.tuple(
        tie('term'),
        fc.constantFrom('', '', '*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '+?'),
      ),
      { maxLength: 3 },
    )
    .chain((parts) =>
      fc
        .tuple(
          fc.constantFrom('', '^'),
          fc.constantFrom('', '$'),
          fc.option(tie('term'), { nil: undefined }),
        )
        .map(([start, end, alternative]) => {
          const body = parts.map(([term, quantifier]) => `${term}${quantifier}`).join('');
          return `${start}${body}${end}${alternative === undefined ? '' : `|${alternative}`}`;
        }),
    ),
}));
const valueArb = fc
  .array(fc.constantFrom(...ALPHABET), { maxLength: 12 })
  .map((chars) => chars.join(''));

describe('createRegexMatcher against JavaScript RegExp', () => {
  it('agrees on whether the pattern is found in the value', () => {
    fc.assert(
      fc.property(
        patternArb,
        fc.array(valueArb, { minLength: 1, maxLength: 5 }),
        (pattern, values) => {
          const matcher = createRegexMatcher(pattern);
          const reference = new RegExp(pattern, 'u');
          for (const value of values)
            expect(matcher(value), `${pattern} on ${value}`).toBe(reference.test(value));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees case-insensitively with the i flag for (?i)', () => {
    fc.assert(
      fc.property(patternArb, valueArb, (pattern, value) => {
        const matcher = createRegexMatcher(`(?i)${pattern}`);
        expect(matcher(value), `${pattern} on ${value}`).toBe(
          new RegExp(pattern, 'iu').test(value),
        );
      }),
      { numRuns: 200 },
    );
  });
});
