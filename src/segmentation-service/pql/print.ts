// Writes the shared AST back out as pql/text or pql/json, so an expression can be shown or
// converted between formats. Output only: it never evaluates or validates arguments.

import type { PqlNode, PqlScalar } from './ast.ts';
import { PqlError } from './errors.ts';

const PLAIN_WORD = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'not',
  'in',
  'notIn',
  'like',
  'true',
  'false',
  'null',
]);

const METHOD_NAMES: Readonly<Record<string, string>> = {
  contains: 'contains',
  startsWith: 'startsWith',
  endsWith: 'endsWith',
  doesNotStartWith: 'doesNotStartWith',
  doesNotContain: 'doesNotContain',
  equals: 'equals',
  matches: 'matches',
  exists: 'exists',
  isNull: 'isNull',
  isNotNull: 'isNotNull',
};

function printSegment(segment: string, isFirst: boolean): string {
  if (PLAIN_WORD.test(segment) && !(isFirst && KEYWORDS.has(segment))) return segment;
  if (segment.includes('`') || segment === '') {
    throw new PqlError(
      `expected a field name that pql/text can spell, but got ${JSON.stringify(segment)}`,
    );
  }
  return `\`${segment}\``;
}

function printScalar(value: PqlScalar): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Prints an AST as `pql/text`, parenthesizing every operation so precedence never matters. */
export function printPqlText(node: PqlNode): string {
  switch (node.kind) {
    case 'path':
      if (node.segments.length === 0) {
        throw new PqlError(
          'expected a field path, but got the profile itself (pql/text cannot spell it)',
        );
      }
      return node.segments.map((segment, index) => printSegment(segment, index === 0)).join('.');
    case 'literal':
      return printScalar(node.value);
    case 'list':
      return `[${node.items.map(printScalar).join(', ')}]`;
    case 'call': {
      const args = node.args.map(printPqlText);
      const method = METHOD_NAMES[node.fn];
      if (method !== undefined) {
        const receiver = node.args[0];
        if (receiver?.kind !== 'path') {
          throw new PqlError(
            `expected a field before .${method}(), but got ${receiver?.kind ?? 'nothing'}`,
          );
        }
        return `${args[0]}.${method}(${args.slice(1).join(', ')})`;
      }
      if (node.fn === 'not') return `not(${args.join(', ')})`;
      // Comparisons, and, or, in, notIn and like are all infix.
      return `(${args.join(` ${node.fn} `)})`;
    }
  }
}

type JsonNode = Record<string, unknown>;

function profileReference(): JsonNode {
  return { nodeType: 'parameterReference', position: 1 };
}

function literalType(value: PqlScalar): string {
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  return Number.isInteger(value) ? 'Integer' : 'Double';
}

/** Converts an AST to the `pql/json` node tree (an object; `JSON.stringify` it to send). */
export function toPqlJson(node: PqlNode): JsonNode {
  switch (node.kind) {
    case 'path':
      return node.segments.reduce<JsonNode>(
        (object, fieldName) => ({ nodeType: 'fieldLookup', fieldName, object }),
        profileReference(),
      );
    case 'literal':
      return { nodeType: 'literal', literalType: literalType(node.value), value: node.value };
    case 'list':
      return { nodeType: 'literal', literalType: 'List', value: node.items };
    case 'call':
      return { nodeType: 'fnApply', fnName: node.fn, params: node.args.map(toPqlJson) };
  }
}
