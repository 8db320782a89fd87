import { describe, expect, it } from 'vitest';
import { compilePql, PqlError } from './index.ts';
import { parsePqlJson } from './json-parser.ts';
import { MAX_DEPTH, MAX_JSON_LENGTH } from './limits.ts';

const PROFILE = { parameterReference: 1 };

function field(...names: string[]): unknown {
  return names.reduce<unknown>(
    (object, fieldName) => ({ nodeType: 'fieldLookup', fieldName, object }),
    { nodeType: 'parameterReference', position: 1 },
  );
}

function literal(literalType: string, value: unknown): unknown {
  return { nodeType: 'literal', literalType, value };
}

function apply(fnName: string, ...params: unknown[]): unknown {
  return { nodeType: 'fnApply', fnName, params };
}

function compileError(tree: unknown): PqlError {
  const value = typeof tree === 'string' ? tree : JSON.stringify(tree);
  try {
    compilePql({ format: 'pql/json', value });
  } catch (error) {
    if (error instanceof PqlError) return error;
    throw error;
  }
  throw new Error(`expected ${value.slice(0, 200)} to be rejected`);
}

function qualifies(tree: unknown, profile: unknown): boolean {
  return compilePql({ format: 'pql/json', value: JSON.stringify(tree) }).evaluate(profile);
}

describe('parsePqlJson', () => {
  it('reads a fieldLookup chain outermost-last into a dotted path', () => {
    expect(parsePqlJson(JSON.stringify(field('person', 'name', 'firstName')))).toEqual({
      kind: 'path',
      segments: ['person', 'name', 'firstName'],
      at: { path: '' },
    });
  });

  it.each([
    [literal('String', 'US'), 'US'],
    [literal('Integer', 42), 42],
    [literal('Integer', -3), -3],
    [literal('Double', 2.5), 2.5],
    [literal('Double', 3), 3],
    [literal('Boolean', false), false],
  ])('reads the literal %j', (tree, value) => {
    expect(parsePqlJson(JSON.stringify(tree))).toMatchObject({ kind: 'literal', value });
  });

  it('reads List items given as bare values or as literal nodes', () => {
    const tree = literal('List', ['US', 1, true, literal('String', 'CA'), literal('Integer', 7)]);
    expect(parsePqlJson(JSON.stringify(tree))).toMatchObject({
      kind: 'list',
      items: ['US', 1, true, 'CA', 7],
    });
  });

  it('reads the profile itself from a lone parameterReference', () => {
    expect(parsePqlJson('{"nodeType":"parameterReference","position":1}')).toMatchObject({
      kind: 'path',
      segments: [],
    });
    expect(qualifies({ nodeType: 'parameterReference', position: 1 }, PROFILE)).toBe(true);
  });
});

describe('evaluation', () => {
  it.each([
    [apply('=', field('a'), literal('String', 'x')), { a: 'x' }, true],
    [apply('!=', field('a'), literal('String', 'x')), {}, false],
    [apply('not', apply('=', field('a'), literal('String', 'x'))), {}, true],
    [apply('>', field('n'), literal('Integer', 2)), { n: 3 }, true],
    [apply('<=', literal('Double', 2.5), field('n')), { n: 3 }, true],
    [apply('and', apply('exists', field('a')), apply('exists', field('b'))), { a: 1 }, false],
    [apply('or', apply('exists', field('a')), apply('exists', field('b'))), { a: 1 }, true],
    [apply('and', apply('exists', field('a'))), { a: 1 }, true],
    [apply('exists', field('a')), { a: false }, true],
    [apply('and', field('a')), { a: false }, false],
    [apply('in', field('c'), literal('List', ['US', 'CA'])), { c: 'CA' }, true],
    [apply('notIn', field('c'), literal('List', ['US', 'CA'])), { c: 'FR' }, true],
    [
      apply('contains', field('s'), literal('String', 'BC'), literal('Boolean', false)),
      { s: 'abcd' },
      true,
    ],
    [apply('startsWith', field('s'), literal('String', 'ab')), { s: 'abcd' }, true],
    [
      apply('endsWith', field('s'), literal('String', 'CD'), literal('Boolean', true)),
      { s: 'abcd' },
      false,
    ],
    [apply('like', field('s'), literal('String', 'a_c%')), { s: 'abcd' }, true],
    [apply('isNull', field('s')), { s: null }, true],
    [apply('isNotNull', field('s')), { s: 'x' }, true],
  ])('%j on %j is %s', (tree, profile, expected) => {
    expect(qualifies(tree, profile)).toBe(expected);
  });
});

describe('errors name the JSON path', () => {
  it.each([
    ['[1', '', /^expected valid JSON, but got a syntax error: /],
    ['', '', /^expected valid JSON, but got a syntax error: /],
    [
      [],
      '',
      /^expected a node object \(fnApply, fieldLookup, literal or parameterReference\) at the root, but got an array$/,
    ],
    [null, '', /^expected a node object .* at the root, but got null$/],
    [
      { nodeType: 'lambda' },
      'nodeType',
      /^expected nodeType fnApply, fieldLookup, literal or parameterReference at nodeType, but got string "lambda"$/,
    ],
    [{ fnName: '=' }, 'nodeType', /at nodeType, but got nothing$/],
    [
      { nodeType: 'fnApply', fnName: 'between', params: [] },
      'fnName',
      /^expected fnName = != < .* at fnName, but got string "between"$/,
    ],
    [
      { nodeType: 'fnApply', fnName: 'and', params: {} },
      'params',
      /^expected a params array at params, but got an object$/,
    ],
    [
      apply('=', literal('String', 'x'), { nodeType: 'fieldLookup', object: field() }),
      'params[1].fieldName',
      /^expected a non-empty string fieldName at params\[1\]\.fieldName, but got nothing$/,
    ],
    [
      apply(
        '=',
        {
          nodeType: 'fieldLookup',
          fieldName: 'a',
          object: { nodeType: 'fieldLookup', fieldName: 7, object: field() },
        },
        literal('Integer', 1),
      ),
      'params[0].object.fieldName',
      /at params\[0\]\.object\.fieldName, but got number 7$/,
    ],
    [
      apply('exists', { nodeType: 'fieldLookup', fieldName: 'a', object: { nodeType: 'literal' } }),
      'params[0].object.nodeType',
      /^expected nodeType fieldLookup or parameterReference at params\[0\]\.object\.nodeType, but got string "literal"$/,
    ],
    [
      apply('exists', { nodeType: 'fieldLookup', fieldName: 'a', object: 'profile' }),
      'params[0].object',
      /^expected a node object .* at params\[0\]\.object, but got string "profile"$/,
    ],
    [
      apply('exists', { nodeType: 'parameterReference', position: 2 }),
      'params[0].position',
      /^expected position 1 \(the profile\) at params\[0\]\.position, but got number 2$/,
    ],
    [
      apply('=', field('a'), literal('Integer', 1.5)),
      'params[1].value',
      /^expected an integer for a Integer literal at params\[1\]\.value, but got number 1.5$/,
    ],
    [
      apply('=', field('a'), literal('String', 5)),
      'params[1].value',
      /^expected a string for a String literal .* but got number 5$/,
    ],
    [
      apply('=', field('a'), literal('Boolean', 'true')),
      'params[1].value',
      /^expected a boolean for a Boolean literal/,
    ],
    [
      apply('=', field('a'), literal('Date', 'x')),
      'params[1].literalType',
      /^expected literalType String, Integer, Double, Boolean or List at params\[1\]\.literalType, but got string "Date"$/,
    ],
    [
      apply('in', field('a'), literal('List', 'US')),
      'params[1].value',
      /^expected an array for a List literal at params\[1\]\.value, but got string "US"$/,
    ],
    [
      apply('in', field('a'), literal('List', ['US', { x: 1 }])),
      'params[1].value[1]',
      /^expected a string, number or boolean list item at params\[1\]\.value\[1\], but got an object$/,
    ],
    [
      apply('in', field('a'), literal('List', [literal('String', 3)])),
      'params[1].value[0].value',
      /^expected a string for a String literal/,
    ],
  ])('%j fails at %j', (tree, path, message) => {
    const error = compileError(tree);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });

  it('gives the offset of a JSON syntax error when the JSON parser reports one', () => {
    const error = compileError('{"nodeType" "fnApply"}');
    expect(error.path).toBe('');
    expect(error.message).toMatch(/^expected valid JSON, but got a syntax error: .*position 12/);
    expect(error.position).toBe(12);
  });

  it.each([
    [apply('not'), '', /^expected 1 argument for not at the root, but got 0$/],
    [
      apply('and', apply('=', field('a'))),
      'params[0]',
      /^expected 2 arguments for = at params\[0\], but got 1$/,
    ],
    [apply('or'), '', /^expected at least 1 argument for or at the root, but got 0$/],
    [
      apply('in', field('a'), literal('String', 'US')),
      'params[1]',
      /^expected a list literal such as \["US", "CA"\] after in at params\[1\], but got string "US"$/,
    ],
    [
      apply('like', field('a'), field('b')),
      'params[1]',
      /^expected a string literal pattern for like at params\[1\]/,
    ],
    [
      apply('contains', field('a'), literal('String', 'x'), literal('String', 'no')),
      'params[2]',
      /case sensitivity/,
    ],
    [
      apply('contains', apply('exists', field('a')), literal('String', 'x')),
      'params[0]',
      /^expected a string to apply contains to at params\[0\], but got a condition \(exists\)$/,
    ],
    [literal('Integer', 1), '', /^expected a condition at the root, but got number 1$/],
    [
      apply('=', literal('List', [1]), literal('Integer', 1)),
      'params[0]',
      /lists only follow in or notIn/,
    ],
  ])('meaning error %j names %j', (tree, path, message) => {
    const error = compileError(tree);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });
});

describe('limits', () => {
  function nestedNot(depth: number): unknown {
    let tree: unknown = apply('exists', field('a'));
    for (let level = 0; level < depth; level++) tree = apply('not', tree);
    return tree;
  }

  it('accepts nodes nested up to the limit and rejects one level more', () => {
    expect(qualifies(nestedNot(MAX_DEPTH - 1), { a: 1 })).toBe(MAX_DEPTH % 2 === 1);
    const error = compileError(nestedNot(MAX_DEPTH + 1));
    expect(error.message).toMatch(`expected nodes nested at most ${MAX_DEPTH} deep`);
    expect(error.path).toMatch(/^(params\[0\]\.){200}params\[0\]$/);
  });

  it('rejects hostile nesting with a PqlError, not a stack overflow', () => {
    // Deep enough to overflow a recursive walk, small enough to stay under the size limit.
    const depth = 15_000;
    const open = '{"nodeType":"fnApply","fnName":"not","params":['.repeat(depth);
    const hostile = `${open}${JSON.stringify(field('a'))}${']}'.repeat(depth)}`;
    expect(compileError(hostile).message).toMatch(/nested at most/);
    expect(compileError('['.repeat(200_000) + ']'.repeat(200_000)).message).toMatch(/node object/);
  });

  it('rejects an expression over the size limit', () => {
    const value = JSON.stringify(
      apply('=', field('a'), literal('String', 'x'.repeat(MAX_JSON_LENGTH))),
    );
    expect(compileError(value).message).toBe(
      `expected a pql/json expression of at most ${MAX_JSON_LENGTH} characters, but got ${value.length}`,
    );
  });

  it('walks a long fieldLookup chain without recursion and limits its length', () => {
    const names = Array.from({ length: 33 }, (_, index) => `f${index}`);
    expect(compileError(apply('exists', field(...names))).message).toMatch(
      /^expected a path of at most 32 fields/,
    );
    expect(qualifies(apply('exists', field(...names.slice(0, 32))), {})).toBe(false);
  });
});
