import { describe, expect, it } from 'vitest';
import { compilePql, createWorkMeter, PqlError } from './index.ts';
import { toPqlJson } from './print.ts';
import { parsePqlText } from './text-parser.ts';

const PROFILE = {
  homeAddress: { country: 'US', city: 'San Jose', postalCode: '95110' },
  workAddress: { country: null },
  person: {
    name: { firstName: 'Alice', lastName: 'O"Brien', nickname: 'ALICE' },
    birthDate: '1985-03-14',
    isVip: true,
    isEmployee: false,
  },
  loyalty: { tier: 'gold', points: 1500, ratio: 0.25, level: 3 },
  personalEmail: { address: 'Alice.Smith@Example.com' },
  score: -3,
  tags: ['a', 'b'],
  emoji: '😀x',
  'field with space': 'yes',
};

/** Evaluates a pql/text expression, and the same tree sent as pql/json, which must agree. */
function qualifies(text: string, profile: unknown = PROFILE): boolean {
  const fromText = compilePql({ type: 'PQL', format: 'pql/text', value: text }).evaluate(profile);
  const json = JSON.stringify(toPqlJson(parsePqlText(text)));
  const fromJson = compilePql({ format: 'pql/json', value: json }).evaluate(profile);
  expect(fromJson, `pql/json of ${text}`).toBe(fromText);
  return fromText;
}

describe('comparisons', () => {
  it.each([
    ['homeAddress.country = "US"', true],
    ['homeAddress.country = "us"', false],
    ['homeAddress.country != "CA"', true],
    ['homeAddress.country != "US"', false],
    ['loyalty.points = 1500', true],
    ['loyalty.points = 1500.0', true],
    ['loyalty.points != 1500', false],
    ['loyalty.points != 99', true],
    ['loyalty.points < 2000', true],
    ['loyalty.points < 1500', false],
    ['loyalty.points <= 1500', true],
    ['loyalty.points <= 1499', false],
    ['loyalty.points > 1499', true],
    ['loyalty.points > 1500', false],
    ['loyalty.points >= 1500', true],
    ['loyalty.points >= 1501', false],
    ['loyalty.ratio = 0.25', true],
    ['loyalty.ratio < 0.3', true],
    ['score = -3', true],
    ['score < -2.5', true],
    ['score > -2.5', false],
    ['person.birthDate < "1990-01-01"', true],
    ['person.birthDate >= "1985-03-14"', true],
    ['person.birthDate > "1985-03-14"', false],
    ['homeAddress.city > "San"', true],
    ['homeAddress.city <= "San"', false],
    ['person.isVip = true', true],
    ['person.isVip != true', false],
    ['person.isEmployee = false', true],
    ['person.isEmployee != true', true],
    ['person.name.lastName = "O\\"Brien"', true],
  ])('%s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it.each([
    ['1500 = loyalty.points', true],
    ['2000 > loyalty.points', true],
    ['1000 > loyalty.points', false],
    ['1500 >= loyalty.points', true],
    ['"US" != homeAddress.country', false],
    ['"A" < "a"', true],
    ['2 <= 1', false],
  ])('a literal on the left: %s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it.each([
    ['homeAddress.country = homeAddress.country', true],
    ['loyalty.points > loyalty.level', true],
    ['loyalty.points < loyalty.level', false],
    ['homeAddress.country != loyalty.tier', true],
    ['homeAddress.country = loyalty.points', false],
    ['homeAddress.country != loyalty.points', false],
  ])('two fields: %s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it.each([
    ['loyalty.points = "1500"'],
    ['loyalty.points != "1500"'],
    ['homeAddress.postalCode = 95110'],
    ['homeAddress.postalCode > 1'],
    ['homeAddress.postalCode < 1'],
    ['person.isVip != "true"'],
    ['homeAddress = "US"'],
    ['homeAddress != "US"'],
    ['tags = "a"'],
  ])('values of different types never compare: %s is false', (text) => {
    expect(qualifies(text)).toBe(false);
  });
});

describe('the null rule', () => {
  it.each([
    ['workAddress.country = "US"', false],
    ['workAddress.country != "US"', false],
    ['not(workAddress.country = "US")', true],
    ['not(workAddress.country != "US")', true],
    ['workAddress.city = "Paris"', false],
    ['workAddress.city != "Paris"', false],
    ['missing.field < 1', false],
    ['missing.field >= 1', false],
    ['missing.field = missing.other', false],
    ['workAddress.country in ["US"]', false],
    ['workAddress.country notIn ["US"]', false],
    ['workAddress.country.contains("U")', false],
    ['workAddress.country.startsWith("", false)', false],
    ['workAddress.country like "%"', false],
  ])('a missing or null side: %s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it('makes != differ from not(=) exactly when the field is missing', () => {
    const present = { homeAddress: { country: 'FR' } };
    const missing = { homeAddress: {} };
    expect(qualifies('homeAddress.country != "US"', present)).toBe(true);
    expect(qualifies('not(homeAddress.country = "US")', present)).toBe(true);
    expect(qualifies('homeAddress.country != "US"', missing)).toBe(false);
    expect(qualifies('not(homeAddress.country = "US")', missing)).toBe(true);
  });
});

describe('existence', () => {
  it.each([
    ['workAddress', true],
    ['loyalty', true],
    ['homeAddress.country', true],
    ['workAddress.country', false],
    ['workAddress.city', false],
    ['missing', false],
    ['not loyalty', false],
    ['not workAddress.city', true],
    ['person.isVip', true],
    ['person.isEmployee', false],
    ['not(person.isEmployee)', true],
    ['workAddress.country.isNull()', true],
    ['workAddress.country.isNotNull()', false],
    ['workAddress.country.exists()', false],
    ['workAddress.city.isNull()', true],
    ['homeAddress.country.isNull()', false],
    ['homeAddress.country.isNotNull()', true],
    ['person.isEmployee.exists()', true],
    ['`field with space`', true],
    ['`field with space` = "yes"', true],
  ])('%s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it.each([
    ['homeAddress.country.length'],
    ['tags.length'],
    ['person.constructor'],
    ['loyalty.toString'],
    ['homeAddress.__proto__'],
    ['homeAddress.hasOwnProperty'],
    ['tags.map'],
  ])('sees only the profile’s own data: %s is false', (text) => {
    expect(qualifies(text)).toBe(false);
  });

  it('reads an own field even when its name is also inherited', () => {
    expect(qualifies('meta.constructor = "x"', { meta: { constructor: 'x' } })).toBe(true);
    expect(qualifies('meta.length > 2', { meta: { length: 3 } })).toBe(true);
  });
});

describe('and, or, not and precedence', () => {
  it.each([
    ['homeAddress.country = "US" and loyalty.tier = "gold"', true],
    ['homeAddress.country = "US" and loyalty.tier = "silver"', false],
    ['homeAddress.country = "CA" or loyalty.tier = "gold"', true],
    ['homeAddress.country = "CA" or loyalty.tier = "silver"', false],
    ['score = -3 and loyalty.points > 1000 and loyalty.tier = "gold" and person.isVip', true],
    ['score = -3 and loyalty.points > 1000 and loyalty.tier = "gold" and person.isEmployee', false],
    ['score = 1 or score = 2 or score = 3 or score = 4 or score = -3', true],
    ['score = 1 or score = 2 or score = 3 or score = 4 or score = 5', false],
    ['true', true],
    ['false', false],
    ['true and false', false],
    ['false or true', true],
    ['not(score = -3)', false],
    ['!(score = -3)', false],
    ['not(not(score = -3))', true],
    ['not not (score = -3)', true],
    ['not(score = -3) or score = -3', true],
  ])('%s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it.each([
    // Each would give the other answer if `or` bound tighter than `and`.
    ['homeAddress.country = "CA" and loyalty.tier = "gold" or score = -3', true],
    ['score = -3 or homeAddress.country = "CA" and loyalty.tier = "silver"', true],
    ['(score = -3 or homeAddress.country = "CA") and loyalty.tier = "silver"', false],
    ['homeAddress.country = "CA" and (loyalty.tier = "gold" or score = -3)', false],
    // `not` binds tighter than `and`/`or`: not(A) and B, not not(A and B).
    ['not(score = 1) and score = -3', true],
    ['not (score = -3) or true', true],
  ])('precedence: %s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });
});

describe('in and notIn', () => {
  it.each([
    ['homeAddress.country in ["US", "CA"]', true],
    ['homeAddress.country in ["CA"]', false],
    ['homeAddress.country in []', false],
    ['homeAddress.country notIn ["CA", "GB"]', true],
    ['homeAddress.country notIn ["US"]', false],
    ['homeAddress.country notIn []', true],
    ['loyalty.points in [1, 1500]', true],
    ['loyalty.points in [1500.0]', true],
    ['loyalty.points in ["1500"]', false],
    ['loyalty.points notIn ["1500"]', true],
    ['person.isVip in [true]', true],
    ['person.isVip notIn [false]', true],
    ['score in [-3]', true],
    ['tags in ["a"]', false],
    ['tags notIn ["a"]', false],
    ['loyalty notIn ["gold"]', false],
    ['missing notIn ["gold"]', false],
  ])('%s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });
});

describe('string functions', () => {
  it.each([
    ['personalEmail.address.contains("Smith")', true],
    ['personalEmail.address.contains("smith")', false],
    ['personalEmail.address.contains("smith", false)', true],
    ['personalEmail.address.contains("smith", true)', false],
    ['personalEmail.address.contains("Smith", true)', true],
    ['personalEmail.address.contains("")', true],
    ['personalEmail.address.contains("a.i", false)', false],
    ['personalEmail.address.contains("(", false)', false],
    ['personalEmail.address.contains(".", false)', true],
    ['person.birthDate.contains("-03-", false)', true],
    ['person.birthDate.startsWith("1985-", false)', true],
    ['personalEmail.address.contains("^$\\\\.*+?()[]{}|/-", false)', false],
    ['personalEmail.address.startsWith("Alice")', true],
    ['personalEmail.address.startsWith("alice")', false],
    ['personalEmail.address.startsWith("alice", false)', true],
    ['personalEmail.address.startsWith("Smith", false)', false],
    ['personalEmail.address.endsWith(".com")', true],
    ['personalEmail.address.endsWith(".COM")', false],
    ['personalEmail.address.endsWith(".COM", false)', true],
    ['personalEmail.address.endsWith("Example", false)', false],
    ['homeAddress.city.contains("SAN JOSE", false)', true],
    ['homeAddress.city.contains("SAN JOSE")', false],
    ['loyalty.points.contains("1")', false],
    ['tags.contains("a")', false],
  ])('%s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it.each([
    ['personalEmail.address.startsWith(person.name.firstName)', true],
    ['personalEmail.address.startsWith(person.name.nickname)', false],
    ['personalEmail.address.startsWith(person.name.nickname, false)', true],
    ['personalEmail.address.contains(loyalty.tier, false)', false],
    ['personalEmail.address.contains(loyalty.points)', false],
    ['personalEmail.address.endsWith(missing.field, false)', false],
  ])('a needle read from the profile: %s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });

  it('keeps case-insensitive matching right when the needle changes between profiles', () => {
    const compiled = compilePql({ format: 'pql/text', value: 'a.contains(b, false)' });
    expect(compiled.evaluate({ a: 'Hello', b: 'ELL' })).toBe(true);
    expect(compiled.evaluate({ a: 'Hello', b: 'XYZ' })).toBe(false);
    expect(compiled.evaluate({ a: 'xyz!', b: 'XYZ' })).toBe(true);
  });
});

describe('like', () => {
  it.each([
    ['homeAddress.city like "San%"', true],
    ['homeAddress.city like "%Jose"', true],
    ['homeAddress.city like "%n J%"', true],
    ['homeAddress.city like "San Jose"', true],
    ['homeAddress.city like "san jose"', false],
    ['homeAddress.city like "S_n Jose"', true],
    ['homeAddress.city like "S_ Jose"', false],
    ['homeAddress.city like "%"', true],
    ['homeAddress.city like "%%"', true],
    ['homeAddress.city like "_"', false],
    ['homeAddress.city like "%o_e"', true],
    ['homeAddress.city like "S%J%e"', true],
    ['homeAddress.city like "S%x%e"', false],
    ['homeAddress.city like "San"', false],
    ['homeAddress.city.like("San%")', true],
    ['homeAddress.city.like("%jose")', false],
    ['emoji like "_x"', true],
    ['emoji like "__x"', false],
    ['loyalty.points like "%"', false],
  ])('%s is %s', (text, expected) => {
    expect(qualifies(text)).toBe(expected);
  });
});

describe('compilePql', () => {
  it('reports the fields an expression reads, once each, in order of use', () => {
    const compiled = compilePql({
      format: 'pql/text',
      value:
        'loyalty.tier in ["gold"] and (homeAddress.country = "US" or loyalty.tier = "x") and person.name.firstName.startsWith(person.name.lastName)',
    });
    expect(compiled.fields).toEqual([
      'loyalty.tier',
      'homeAddress.country',
      'person.name.firstName',
      'person.name.lastName',
    ]);
  });

  it.each([
    [null],
    [undefined],
    ['US'],
    [42],
    [[]],
    [{ homeAddress: 'US' }],
    [{ homeAddress: { country: ['US'] } }],
    [Object.create(null)],
  ])('never throws and answers false for the odd profile %j', (profile) => {
    const compiled = compilePql({
      format: 'pql/text',
      value:
        'homeAddress.country = "US" or homeAddress.country.contains("U", false) or homeAddress.country like "U%"',
    });
    expect(compiled.evaluate(profile)).toBe(false);
  });

  it('answers false instead of throwing when reading the profile throws', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    const compiled = compilePql({ format: 'pql/text', value: 'not(homeAddress.country = "US")' });
    expect(compiled.evaluate(hostile)).toBe(false);
    expect(compiled.evaluate({ homeAddress: { country: 'CA' } })).toBe(true);
  });

  it.each([
    [{ type: 'SQL', format: 'pql/text', value: 'x' }, 'expected type PQL, but got "SQL"'],
    [{ format: 'pql/xml', value: 'x' }, 'expected format pql/text or pql/json, but got "pql/xml"'],
    [
      { format: 'PQL/TEXT', value: 'x' },
      'expected format pql/text or pql/json, but got "PQL/TEXT"',
    ],
    [
      { format: 'pql/text', value: 42 },
      'expected the expression value to be a string, but got number',
    ],
  ])('rejects the expression envelope %j', (expression, message) => {
    const compile = () => compilePql(expression as { format: string; value: string });
    expect(compile).toThrow(PqlError);
    expect(compile).toThrow(message);
  });

  it.each([
    [`x like "${'a'.repeat(1_000)}"`, undefined],
    [
      `x like "${'a'.repeat(1_001)}"`,
      'expected a like pattern of at most 1000 characters at 7, but got 1001 characters',
    ],
    [
      `x.like("%${'_'.repeat(5_000)}")`,
      'expected a like pattern of at most 1000 characters at 7, but got 5001 characters',
    ],
  ])('bounds the like pattern: %#', (value, message) => {
    const compile = () => compilePql({ format: 'pql/text', value });
    if (message === undefined) expect(compile).not.toThrow();
    else expect(compile).toThrow(message);
  });

  it('adds the work of like to the meter it is given', () => {
    const meter = createWorkMeter();
    const compiled = compilePql({ format: 'pql/text', value: 'x like "a%b_c%d"' }, meter);
    expect(compiled.evaluate({ x: 'a'.repeat(1_000) })).toBe(false);
    expect(meter.units).toBeGreaterThanOrEqual(1_000);
    expect(meter.units).toBeLessThanOrEqual(3_000);
  });

  it('compiles the documented pql/json shape', () => {
    const value = JSON.stringify({
      nodeType: 'fnApply',
      fnName: '=',
      params: [
        {
          nodeType: 'fieldLookup',
          fieldName: 'country',
          object: {
            nodeType: 'fieldLookup',
            fieldName: 'homeAddress',
            object: { nodeType: 'parameterReference', position: 1 },
          },
        },
        { nodeType: 'literal', literalType: 'String', value: 'US' },
      ],
    });
    const compiled = compilePql({ type: 'PQL', format: 'pql/json', value });
    expect(compiled.evaluate(PROFILE)).toBe(true);
    expect(compiled.evaluate({ homeAddress: { country: 'CA' } })).toBe(false);
    expect(compiled.fields).toEqual(['homeAddress.country']);
  });
});
