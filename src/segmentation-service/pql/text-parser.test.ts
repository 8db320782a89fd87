import { describe, expect, it } from 'vitest';
import { compilePql, PqlError } from './index.ts';
import { MAX_DEPTH, MAX_TEXT_LENGTH } from './limits.ts';
import { parsePqlText } from './text-parser.ts';

function compileError(value: string): PqlError {
  try {
    compilePql({ format: 'pql/text', value });
  } catch (error) {
    if (error instanceof PqlError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

describe('parsePqlText', () => {
  it('builds a flat and-chain and binds comparisons tighter than and/or', () => {
    expect(parsePqlText('a = 1 and b or not c')).toEqual({
      kind: 'call',
      fn: 'or',
      at: { position: 12 },
      args: [
        {
          kind: 'call',
          fn: 'and',
          at: { position: 6 },
          args: [
            {
              kind: 'call',
              fn: '=',
              at: { position: 2 },
              args: [
                { kind: 'path', segments: ['a'], at: { position: 0 } },
                { kind: 'literal', value: 1, at: { position: 4 } },
              ],
            },
            { kind: 'path', segments: ['b'], at: { position: 10 } },
          ],
        },
        {
          kind: 'call',
          fn: 'not',
          at: { position: 15 },
          args: [{ kind: 'path', segments: ['c'], at: { position: 19 } }],
        },
      ],
    });
  });

  it.each([
    ['"a\\"b"', 'a"b'],
    ['"back\\\\slash"', 'back\\slash'],
    ['"tab\\tnew\\nline"', 'tab\tnew\nline'],
    ['"\\u00e9t\\u00E9"', 'été'],
    ['"日本"', '日本'],
  ])('reads the string literal %s', (source, value) => {
    expect(parsePqlText(source)).toMatchObject({ kind: 'literal', value });
  });

  it.each([
    ['0', 0],
    ['42', 42],
    ['-7', -7],
    ['3.25', 3.25],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
  ])('reads the number literal %s', (source, value) => {
    expect(parsePqlText(source)).toMatchObject({ kind: 'literal', value });
  });

  it.each([
    ['x in [1, 2, 3]', [1, 2, 3]],
    ['x in ["US", "CA"]', ['US', 'CA']],
    ['x in [true, -1.5, "a"]', [true, -1.5, 'a']],
    ['x in []', []],
  ])('reads the list in %s', (source, items) => {
    expect(parsePqlText(source)).toMatchObject({ fn: 'in', args: [{}, { kind: 'list', items }] });
  });

  it('lets keywords name fields after a dot', () => {
    expect(parsePqlText('a.in.and.not')).toMatchObject({
      kind: 'path',
      segments: ['a', 'in', 'and', 'not'],
    });
  });
});

describe('syntax errors name the offset', () => {
  it.each([
    ['(homeAddress.country = "US"', 27, 'expected ")" at 27, but got end of input'],
    ['not(a = 1', 9, 'expected ")" at 9, but got end of input'],
    ['homeAddress.country = ', 22, 'expected a field, literal or "(" at 22, but got end of input'],
    ['a = "US" b', 9, 'expected "and", "or" or end of input at 9, but got "b"'],
    ['a == "US"', 3, 'expected a field, literal or "(" at 3, but got "="'],
    ['a = 1)', 5, 'expected "and", "or" or end of input at 5, but got ")"'],
    ['a in "US"', 5, 'expected a list such as ["US", "CA"] at 5, but got string "US"'],
    ['a in [1, b]', 9, 'expected a string, number or boolean in the list at 9, but got "b"'],
    ['a in [1 2]', 8, 'expected "," at 8, but got number 2'],
    ['a = "abc', 8, 'expected a closing " at 8, but got end of input'],
    ['a = "a\\qb"', 6, 'expected an escape such as \\" or \\\\ at 6, but got "\\\\q"'],
    ['a = "\\u12"', 5, 'expected four hex digits after \\u at 5, but got "12\\""'],
    ['a # 1', 2, 'expected a field, literal or operator at 2, but got "#"'],
    [
      'a.foo(1)',
      2,
      'expected a function (contains, startsWith, endsWith, doesNotStartWith, doesNotContain, equals, matches, like, exists, isNull or isNotNull) at 2, but got "foo"',
    ],
    ['a.', 2, 'expected a field or function name after "." at 2, but got end of input'],
    ['a.1 = 2', 2, 'expected a field or function name after "." at 2, but got number 1'],
    ['and = 1', 0, 'expected a field, literal or "(" at 0, but got "and"'],
    [
      'a = null',
      4,
      'expected a field, literal or "(" (test for missing values with x.isNull()) at 4, but got "null"',
    ],
    ['a = 1e999', 4, 'expected a finite number at 4, but got number 1e999'],
    ['a.contains("x"', 14, 'expected "," at 14, but got end of input'],
    ['a = `b', 6, 'expected a closing ` at 6, but got end of input'],
    ['', 0, 'expected a field, literal or "(" at 0, but got end of input'],
  ])('%j fails at %i', (source, position, message) => {
    const error = compileError(source);
    expect(error.message).toBe(message);
    expect(error.position).toBe(position);
    expect(error.path).toBeUndefined();
  });
});

describe('meaning errors name the offending operand', () => {
  it.each([
    ['"US"', 0, 'expected a condition at 0, but got string "US"'],
    ['42 and a', 0, 'expected a condition at 0, but got number 42'],
    ['not a = 1', 8, 'expected a boolean to compare with a condition (not) at 8, but got number 1'],
    ['a < true', 4, 'expected a number or string to compare with < at 4, but got boolean true'],
    ['1 = "1"', 4, 'expected a number to compare with number 1 at 4, but got string "1"'],
    [
      'a = [1]',
      4,
      'expected a value to compare with = (lists only follow in or notIn) at 4, but got a list',
    ],
    ['a.contains(1)', 11, 'expected a string to search for with contains at 11, but got number 1'],
    [
      'a.contains("x", "no")',
      16,
      'expected true or false for the case sensitivity of contains at 16, but got string "no"',
    ],
    ['a.startsWith()', 2, 'expected 2 or 3 arguments for startsWith at 2, but got 1'],
    ['a.endsWith("x", true, 1)', 2, 'expected 2 or 3 arguments for endsWith at 2, but got 4'],
    ['a like b', 7, 'expected a string literal pattern for like at 7, but got field b'],
    ['a.isNull(1)', 2, 'expected 1 argument for isNull at 2, but got 2'],
    ['[1, 2]', 0, 'expected a condition at 0, but got a list'],
  ])('%j fails at %i', (source, position, message) => {
    const error = compileError(source);
    expect(error.message).toBe(message);
    expect(error.position).toBe(position);
  });
});

describe('limits', () => {
  it('rejects a 1 MB expression with a PqlError', () => {
    const source = 'a = 1 and '.repeat(104_858);
    const error = compileError(source);
    expect(error.message).toBe(
      `expected a pql/text expression of at most ${MAX_TEXT_LENGTH} characters, but got ${source.length}`,
    );
  });

  it.each([
    ['parentheses', (depth: number) => `${'('.repeat(depth)}a${')'.repeat(depth)}`],
    ['not', (depth: number) => `${'not '.repeat(depth)}a`],
    [
      'function arguments',
      (depth: number) => `a.contains(${'('.repeat(depth - 1)}"x"${')'.repeat(depth - 1)})`,
    ],
  ])('accepts %s nested %i deep and rejects one level more', (_name, nest) => {
    expect(() => compilePql({ format: 'pql/text', value: nest(MAX_DEPTH) })).not.toThrow();
    expect(compileError(nest(MAX_DEPTH + 1)).message).toMatch(
      new RegExp(
        `^expected at most ${MAX_DEPTH} levels of nesting at \\d+, but got deeper nesting$`,
      ),
    );
  });

  it('rejects hostile nesting far past the limit with a PqlError, not a stack overflow', () => {
    expect(compileError('('.repeat(90_000)).message).toMatch(/levels of nesting/);
    expect(compileError('!'.repeat(90_000)).message).toMatch(/levels of nesting/);
  });

  it('compiles and evaluates a long flat chain without deep recursion', () => {
    const terms = Array.from({ length: 5_000 }, (_, index) => `n = ${index}`);
    const compiled = compilePql({ format: 'pql/text', value: terms.join(' or ') });
    expect(compiled.evaluate({ n: 4_999 })).toBe(true);
    expect(compiled.evaluate({ n: 5_000 })).toBe(false);
  });

  it('rejects a path longer than 32 fields', () => {
    const path = Array.from({ length: 33 }, (_, index) => `f${index}`).join('.');
    expect(compileError(path).message).toMatch(/^expected a path of at most 32 fields at \d+/);
  });
});
