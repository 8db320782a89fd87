import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parseWithTokenLimit, withoutSuggestions } from './graphql-limits.ts';

describe('parseWithTokenLimit', () => {
  it('parses a document within the cap', () => {
    expect(parseWithTokenLimit('{ a b c }', undefined, 10).definitions).toHaveLength(1);
  });

  it('refuses a document over the cap with BAD_USER_INPUT, naming the limit', () => {
    const error = (() => {
      try {
        parseWithTokenLimit('{ a b c d e f g h i j k }', undefined, 10);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).message).toBe(
      'Query has more than 10 tokens; the limit is 10. Send a smaller document.',
    );
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
  });

  it('keeps other syntax errors as they are', () => {
    expect(() => parseWithTokenLimit('{ a', undefined, 10)).toThrow(/Syntax Error: Expected Name/);
  });
});

describe('withoutSuggestions', () => {
  it.each([
    [
      'one name',
      'Cannot query field "idd" on type "Job". Did you mean "id"?',
      'Cannot query field "idd" on type "Job".',
    ],
    [
      'two names',
      'Unknown argument "frist". Did you mean "first" or "after"?',
      'Unknown argument "frist".',
    ],
    [
      'an enum value inside a variable error',
      'Variable "$s" got invalid value "X"; Value "X" does not exist in "S" enum. Did you mean the enum value "Y"?',
      'Variable "$s" got invalid value "X"; Value "X" does not exist in "S" enum.',
    ],
    ['no hint', 'Syntax Error: Unexpected "}".', 'Syntax Error: Unexpected "}".'],
  ])('takes the hint off a message with %s', (_name, message, expected) => {
    const original = new GraphQLError(message, { extensions: { code: 'X' } });
    const [error] = withoutSuggestions({ errors: [original] }).errors ?? [];
    expect(error?.message).toBe(expected);
    expect(error?.extensions).toEqual({ code: 'X' });
  });

  it('returns a result without errors as it is', () => {
    const result = { data: { a: 1 } };
    expect(withoutSuggestions(result)).toBe(result);
  });
});
