import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parseDateTime, serializeDateTime } from './scalars.ts';

describe('DateTime', () => {
  it.each<[string, unknown, string]>([
    ['epoch milliseconds', 1_573_203_600_535, '2019-11-08T09:00:00.535Z'],
    ['a Date', new Date(Date.UTC(2024, 0, 31, 12)), '2024-01-31T12:00:00.000Z'],
    ['an ISO string with an offset', '2024-01-31T13:00:00+01:00', '2024-01-31T12:00:00.000Z'],
  ])('serializes %s as ISO-8601 UTC', (_name, value, expected) => {
    expect(serializeDateTime(value)).toBe(expected);
  });

  it.each<[string, number]>([
    ['the epoch', 0],
    ['negative zero', -0],
    ['the last millisecond of a day', 86_399_999],
    ['the first of the next', 86_400_000],
    ['the eve of a leap day', 951_782_399_999],
    ['a leap day of a year divisible by 400', 951_782_400_000],
    ['1 March of a year divisible by 100 only', 4_107_542_400_000],
    ['28 February of that year', 4_107_456_000_000],
    ['the last four-digit year', 253_402_300_799_999],
    ['the first six-digit year', 253_402_300_800_000],
    ['before the epoch', -1],
    ['before year 0', -62_167_219_200_001],
    ['the last instant Date holds', 8.64e15],
    ['the first instant Date holds', -8.64e15],
    ['a fraction', 1.5],
    ['a negative fraction', -1.5],
    ['a fraction of a recent instant', 1_573_203_600_535.999],
  ])('serializes %s exactly as Date#toISOString does', (_name, ms) => {
    expect(serializeDateTime(ms)).toBe(new Date(ms).toISOString());
    expect(serializeDateTime(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it('serializes any instant Date can hold exactly as Date#toISOString does', () => {
    const instants = fc.oneof(
      fc.integer({ min: 0, max: 253_402_300_799_999 }),
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }),
    );
    fc.assert(
      fc.property(instants, (ms) => {
        expect(serializeDateTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it.each<[string, unknown]>([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an instant past what Date holds', 8.64e15 + 1],
    ['an invalid Date', new Date(Number.NaN)],
    ['an object', {}],
    ['a non-date string', 'yesterday'],
  ])('refuses to serialize %s', (_name, value) => {
    expect(() => serializeDateTime(value)).toThrow(/DateTime: expected/);
  });

  it.each([
    ['2024-01-31T12:00:00Z', '2024-01-31T12:00:00.000Z'],
    ['2024-01-31T12:00:00.123Z', '2024-01-31T12:00:00.123Z'],
    ['2024-01-31T12:00Z', '2024-01-31T12:00:00.000Z'],
    ['2024-01-31T14:00:00+02:00', '2024-01-31T12:00:00.000Z'],
  ])('parses %s', (input, expected) => {
    expect(parseDateTime(input).toISOString()).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['no zone', '2024-01-31T12:00:00'],
    ['a date only', '2024-01-31'],
    ['a number', 1_700_000_000_000],
    ['an impossible date', '2024-13-45T12:00:00Z'],
    ['words', 'tomorrow at noon'],
  ])('rejects %s with BAD_USER_INPUT and says what is allowed', (_name, input) => {
    let caught: unknown;
    try {
      parseDateTime(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GraphQLError);
    expect((caught as GraphQLError).message).toMatch(/DateTime: expected .* but got/);
    expect((caught as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
  });
});
