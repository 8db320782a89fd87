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

  it.each<[string, unknown]>([
    ['NaN', Number.NaN],
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
