import { describe, expect, it } from 'vitest';
import type { PqlNode } from './ast.ts';
import { PqlError } from './errors.ts';
import { printPqlText, toPqlJson } from './print.ts';
import { parsePqlText } from './text-parser.ts';

describe('printPqlText', () => {
  it.each([
    ['a.b = "x"', '(a.b = "x")'],
    ['a = 1 and b or not c', '(((a = 1) and b) or not(c))'],
    ['x in ["US", 1, true]', '(x in ["US", 1, true])'],
    ['x.contains("a\\"b", false)', 'x.contains("a\\"b", false)'],
    ['x like "%a_"', '(x like "%a_")'],
    ['x.like("%a_")', '(x like "%a_")'],
    [
      'x.exists() and x.isNull() or x.isNotNull()',
      '((x.exists() and x.isNull()) or x.isNotNull())',
    ],
    ['`in`.and = -1.5', '(`in`.and = -1.5)'],
    ['`a b`.c', '`a b`.c'],
  ])('prints %s as %s, which parses back to the same tree', (source, printed) => {
    expect(printPqlText(parsePqlText(source))).toBe(printed);
    expect(printPqlText(parsePqlText(printed))).toBe(printed);
  });

  it.each([
    [{ kind: 'path', segments: [], at: {} }],
    [{ kind: 'path', segments: ['a`b'], at: {} }],
    [{ kind: 'call', fn: 'contains', args: [{ kind: 'literal', value: 'x', at: {} }], at: {} }],
  ] satisfies [PqlNode][])('refuses a tree pql/text cannot spell: %j', (node) => {
    expect(() => printPqlText(node)).toThrow(PqlError);
  });
});

describe('toPqlJson', () => {
  it('spells paths as fieldLookup chains ending at the profile, and types literals', () => {
    expect(toPqlJson(parsePqlText('a.b in [1, 2.5]'))).toEqual({
      nodeType: 'fnApply',
      fnName: 'in',
      params: [
        {
          nodeType: 'fieldLookup',
          fieldName: 'b',
          object: {
            nodeType: 'fieldLookup',
            fieldName: 'a',
            object: { nodeType: 'parameterReference', position: 1 },
          },
        },
        { nodeType: 'literal', literalType: 'List', value: [1, 2.5] },
      ],
    });
  });

  it.each([
    ['"x"', 'String'],
    ['3', 'Integer'],
    ['-3', 'Integer'],
    ['3.5', 'Double'],
    ['true', 'Boolean'],
  ])('gives the literal %s the type %s', (source, literalType) => {
    expect(toPqlJson(parsePqlText(`a = ${source}`))).toMatchObject({
      params: [{}, { literalType }],
    });
  });
});
