// The parsed form shared by pql/text and pql/json, so one compiler serves both formats.
// Plain data only: parsing builds it, the compiler reads it, nothing evaluates it directly.

import type { PqlLocation } from './errors.ts';

/** Every function the engine knows, named as `fnName` in `pql/json`. */
export const PQL_FUNCTION_NAMES = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'and',
  'or',
  'not',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
  'doesNotStartWith',
  'doesNotContain',
  'equals',
  'matches',
  'like',
  'exists',
  'isNull',
  'isNotNull',
] as const;

export type PqlFunctionName = (typeof PQL_FUNCTION_NAMES)[number];

const FUNCTION_NAME_SET: ReadonlySet<string> = new Set(PQL_FUNCTION_NAMES);

export function isPqlFunctionName(value: unknown): value is PqlFunctionName {
  return typeof value === 'string' && FUNCTION_NAME_SET.has(value);
}

export type PqlScalar = string | number | boolean;

/** A dotted field lookup on the profile; no segments means the profile itself. */
export interface PathNode {
  kind: 'path';
  segments: string[];
  at: PqlLocation;
}

export interface LiteralNode {
  kind: 'literal';
  value: PqlScalar;
  at: PqlLocation;
}

/** A list literal; lists only appear on the right of `in` and `notIn`. */
export interface ListNode {
  kind: 'list';
  items: PqlScalar[];
  at: PqlLocation;
}

export interface CallNode {
  kind: 'call';
  fn: PqlFunctionName;
  args: PqlNode[];
  at: PqlLocation;
}

export type PqlNode = PathNode | LiteralNode | ListNode | CallNode;

/** Reads a node back for messages: `string "US"`, `number 5`, `field loyalty.tier`. */
export function describeNode(node: PqlNode): string {
  switch (node.kind) {
    case 'path':
      return node.segments.length === 0 ? 'the profile' : `field ${node.segments.join('.')}`;
    case 'literal':
      return `${typeof node.value} ${JSON.stringify(node.value)}`;
    case 'list':
      return 'a list';
    case 'call':
      return `a condition (${node.fn})`;
  }
}
