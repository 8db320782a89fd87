import { describe, expect, it } from 'vitest';
import { compilePql, createWorkMeter, PqlError } from './index.ts';
import { printPqlText, toPqlJson } from './print.ts';
import { parsePqlText } from './text-parser.ts';

/** Evaluates `source` in pql/text and, converted, in pql/json; both must agree. */
function evaluateBoth(source: string, profile: unknown): boolean {
  const text = compilePql({ format: 'pql/text', value: source }).evaluate(profile);
  const json = compilePql({
    format: 'pql/json',
    value: JSON.stringify(toPqlJson(parsePqlText(source))),
  }).evaluate(profile);
  expect(json).toBe(text);
  return text;
}

const NAME = (name: unknown) => ({ person: { name } });
const MISSING = {};
const NULL = NAME(null);

// [expression, profile, expected]: true, false, then the null rule (missing, null, not a string).
type Case = [source: string, profile: unknown, expected: boolean];

const CASES: Record<string, Case[]> = {
  doesNotStartWith: [
    ['person.name.doesNotStartWith("Joe")', NAME('Alice'), true],
    ['person.name.doesNotStartWith("Joe")', NAME('Joey'), false],
    ['person.name.doesNotStartWith("Joe")', NAME('joey'), true],
    ['person.name.doesNotStartWith("Joe", false)', NAME('joey'), false],
    ['person.name.doesNotStartWith("Joe", false)', NAME('Alice'), true],
    ['person.name.doesNotStartWith("Joe", true)', NAME('joey'), true],
    ['person.name.doesNotStartWith("")', NAME('Alice'), false],
    ['person.name.doesNotStartWith("Joe")', MISSING, false],
    ['person.name.doesNotStartWith("Joe")', NULL, false],
    ['person.name.doesNotStartWith("Joe")', NAME(5), false],
    ['person.name.doesNotStartWith(person.prefix)', { person: { name: 'Ann' } }, false],
    ['person.name.doesNotStartWith(person.prefix)', { person: { name: 'Ann', prefix: 'B' } }, true],
  ],
  doesNotContain: [
    ['person.name.doesNotContain("oe")', NAME('Alice'), true],
    ['person.name.doesNotContain("oe")', NAME('Joey'), false],
    ['person.name.doesNotContain("OE", false)', NAME('Joey'), false],
    ['person.name.doesNotContain("OE")', NAME('Joey'), true],
    ['person.name.doesNotContain("ß", false)', NAME('STRASSE'), true],
    ['person.name.doesNotContain("oe")', MISSING, false],
    ['person.name.doesNotContain("oe")', NULL, false],
    ['person.name.doesNotContain("oe")', NAME(['Joe']), false],
  ],
  equals: [
    ['person.name.equals("Joe")', NAME('Joe'), true],
    ['person.name.equals("Joe")', NAME('joe'), false],
    ['person.name.equals("Joe")', NAME('Joey'), false],
    ['person.name.equals("JOE", false)', NAME('joe'), true],
    ['person.name.equals("JOE", false)', NAME('joey'), false],
    ['person.name.equals("")', NAME(''), true],
    ['person.name.equals("Joe")', MISSING, false],
    ['person.name.equals("Joe")', NULL, false],
    ['person.name.equals("1")', NAME(1), false],
  ],
  matches: [
    ['person.name.matches("^Jo(e|hn)$")', NAME('John'), true],
    ['person.name.matches("^Jo(e|hn)$")', NAME('Johnny'), false],
    ['person.name.matches("oh")', NAME('John'), true],
    ['person.name.matches("(?i)^john")', NAME('JOHNNY'), true],
    ['person.name.matches("^john")', NAME('JOHNNY'), false],
    ['person.name.matches("\\\\d{3}-\\\\d{4}")', NAME('call 555-1234'), true],
    ['person.name.matches("[^a-z]")', NAME('abc'), false],
    ['person.name.matches("")', NAME(''), true],
    ['person.name.matches("a")', MISSING, false],
    ['person.name.matches("a")', NULL, false],
    ['person.name.matches("1")', NAME(1), false],
  ],
};

describe.each(Object.entries(CASES))('%s', (_fn, cases) => {
  it.each(cases)('%s on %j is %s', (source, profile, expected) => {
    expect(evaluateBoth(source, profile)).toBe(expected);
  });
});

describe('compiling the new string functions', () => {
  it.each([
    ['person.name.doesNotContain()', /2 or 3 arguments for doesNotContain/],
    ['person.name.equals("a", "b")', /true or false for the case sensitivity of equals/],
    ['person.name.doesNotStartWith(1)', /a string to search for with doesNotStartWith/],
    ['person.name.matches(person.pattern)', /a string literal pattern for matches/],
    ['person.name.matches("a", false)', /2 arguments for matches/],
    ['person.name.matches("(a")', /matches pattern .*a closing "\)"/],
    ['person.name.matches("(a)\\\\1")', /backreference/],
    ['person.name.matches("a(?=b)")', /lookahead/],
    [`person.name.matches("${'a'.repeat(1_001)}")`, /at most 1000 characters/],
  ])('refuses %s', (source, message) => {
    let error: unknown;
    try {
      compilePql({ format: 'pql/text', value: source });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PqlError);
    expect((error as PqlError).message).toMatch(message);
  });

  it.each([
    'x.doesNotStartWith("a")',
    'x.doesNotContain("a", false)',
    'x.equals("a")',
    'x.matches("^a+$")',
  ])('prints %s back as itself', (source) => {
    expect(printPqlText(parsePqlText(source))).toBe(source);
  });

  it('counts the work of matches into the meter', () => {
    const meter = createWorkMeter();
    const compiled = compilePql({ format: 'pql/text', value: 'x.matches("b$")' }, meter);
    compiled.evaluate({ x: 'a'.repeat(1_000) });
    expect(meter.units).toBeGreaterThanOrEqual(1_000);
  });
});
