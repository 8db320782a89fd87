// The PQL engine's public face: compile a segment definition's expression once, then evaluate
// it over many profiles. It never reads storage or the network; callers bring the profiles.

import type { PqlNode } from './ast.ts';
import { compileTree } from './compiler.ts';
import { PqlError } from './errors.ts';
import { parsePqlJson } from './json-parser.ts';
import { parsePqlText } from './text-parser.ts';

import type { WorkMeter } from './work-meter.ts';

export { PqlError } from './errors.ts';
export { createWorkMeter, type WorkMeter } from './work-meter.ts';

/** The formats a segment definition's `expression.format` may name. */
export const PQL_FORMATS = ['pql/text', 'pql/json'] as const;

export type PqlFormat = (typeof PQL_FORMATS)[number];

/** A segment definition's expression, as the Segmentation API carries it. */
export interface PqlExpression {
  /** Must be `PQL` when present. */
  type?: string;
  format: string;
  value: string;
}

export interface CompiledPql {
  /** True when the profile qualifies. Never throws for any profile value (unknown input). */
  evaluate(profile: unknown): boolean;
  /** Dotted field paths the expression reads, for diagnostics. */
  readonly fields: readonly string[];
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value;
}

function parse(expression: PqlExpression): PqlNode {
  // Callers pass request bodies through, so the shape is checked here rather than trusted.
  const candidate = expression as unknown;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new PqlError(`expected an expression object, but got ${describe(candidate)}`);
  }
  const { type, format, value } = expression;
  if (type !== undefined && type !== 'PQL') {
    throw new PqlError(`expected type PQL, but got ${describe(type)}`);
  }
  if (typeof value !== 'string') {
    throw new PqlError(`expected the expression value to be a string, but got ${describe(value)}`);
  }
  if (format === 'pql/text') return parsePqlText(value);
  if (format === 'pql/json') return parsePqlJson(value);
  throw new PqlError(`expected format pql/text or pql/json, but got ${describe(format)}`);
}

/**
 * Compiles a PQL expression once into a reusable evaluator.
 *
 * Semantics: a comparison or function with a missing or null side is false (so `x != "US"` is
 * false when `x` is missing), values of different types never compare, `not` is plain negation,
 * and a bare path tests that the field is present (a boolean field stands for its own value).
 *
 * @throws {PqlError} naming what was expected and where: `position` for `pql/text`,
 * `path` for `pql/json`.
 * @param meter counts the work of matchers whose cost grows with the data (`like`), so a caller
 * can yield to the event loop by work done.
 */
export function compilePql(expression: PqlExpression, meter?: WorkMeter): CompiledPql {
  const { predicate, fields } = compileTree(parse(expression), meter);
  return {
    evaluate(profile: unknown): boolean {
      try {
        return predicate(profile);
      } catch {
        // Only hostile input (a throwing getter or proxy) gets here; such a profile does not qualify.
        return false;
      }
    },
    fields: Object.freeze(fields),
  };
}
