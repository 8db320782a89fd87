// Turns the shared AST into one closure tree that evaluates a profile: paths pre-split, literals
// and patterns prepared once. It checks arguments and types, and never parses at evaluation time.

import {
  type CallNode,
  describeNode,
  type LiteralNode,
  type PathNode,
  type PqlFunctionName,
  type PqlNode,
  type PqlScalar,
} from './ast.ts';
import { expectedError } from './errors.ts';
import { createLikeMatcher } from './like-pattern.ts';
import {
  MAX_DEPTH,
  MAX_LIKE_PATTERN_LENGTH,
  MAX_MATCHES_PATTERN_LENGTH,
  MAX_REGEX_PROGRAM_SIZE,
} from './limits.ts';
import { createRegexMatcher, RegexRefusal } from './regex-matcher.ts';
import { createWorkMeter, type WorkMeter } from './work-meter.ts';

/** Whether a profile qualifies; may throw on hostile input, which the caller catches. */
export type Predicate = (profile: unknown) => boolean;

type Getter = (profile: unknown) => unknown;
type Comparison = '=' | '!=' | '<' | '<=' | '>' | '>=';
/** The positive test behind each string function; the `doesNot…` ones negate it. */
type StringTest = 'contains' | 'startsWith' | 'endsWith' | 'equals';
type StringFunction = StringTest | 'doesNotStartWith' | 'doesNotContain';

const STRING_TESTS: Readonly<Record<StringFunction, { test: StringTest; isNegated: boolean }>> = {
  contains: { test: 'contains', isNegated: false },
  startsWith: { test: 'startsWith', isNegated: false },
  endsWith: { test: 'endsWith', isNegated: false },
  equals: { test: 'equals', isNegated: false },
  doesNotStartWith: { test: 'startsWith', isNegated: true },
  doesNotContain: { test: 'contains', isNegated: true },
};

export interface CompiledTree {
  predicate: Predicate;
  /** Dotted paths the expression reads, in order of first use. */
  fields: string[];
}

// Names that a plain object or array inherits (`constructor`, `length`, `__proto__`, ...):
// looking them up must only ever see a profile's own data.
const INHERITED_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Array.prototype),
]);

const FLIPPED: Readonly<Record<Comparison, Comparison>> = {
  '=': '=',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};

const ALWAYS_TRUE: Predicate = () => true;
const ALWAYS_FALSE: Predicate = () => false;

function lookup(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function ownLookup(value: unknown, key: string): unknown {
  return typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Builds a getter for a pre-split path; short paths are unrolled because they dominate. */
export function createPathGetter(segments: readonly string[]): Getter {
  if (segments.some((segment) => INHERITED_NAMES.has(segment))) {
    return (profile) => {
      let value = profile;
      for (const segment of segments) value = ownLookup(value, segment);
      return value;
    };
  }
  const [first = '', second = '', third = ''] = segments;
  switch (segments.length) {
    case 0:
      return (profile) => profile;
    case 1:
      return (profile) => lookup(profile, first);
    case 2:
      return (profile) => lookup(lookup(profile, first), second);
    case 3:
      return (profile) => lookup(lookup(lookup(profile, first), second), third);
    default:
      return (profile) => {
        let value = profile;
        for (let index = 0; index < segments.length && value !== undefined; index++) {
          value = lookup(value, segments[index] as string);
        }
        return value;
      };
  }
}

function isScalar(value: unknown): value is PqlScalar {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

/** The PQL comparison: false when either side is missing, null, or of another type. */
export function compareValues(operator: Comparison, left: unknown, right: unknown): boolean {
  if (!isScalar(left) || !isScalar(right) || typeof left !== typeof right) return false;
  if (operator === '=') return left === right;
  if (operator === '!=') return left !== right;
  if (typeof left === 'boolean') return false;
  const a = left as string | number;
  const b = right as string | number;
  switch (operator) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** Case-insensitive test by Unicode case folding, built once per needle. */
function foldedTest(test: StringTest, needle: string): RegExp {
  const escaped = escapeRegExp(needle);
  const source =
    test === 'startsWith'
      ? `^${escaped}`
      : test === 'endsWith'
        ? `${escaped}$`
        : test === 'equals'
          ? `^${escaped}$`
          : escaped;
  return new RegExp(source, 'iu');
}

function plainTest(test: StringTest, value: string, needle: string): boolean {
  switch (test) {
    case 'contains':
      return value.includes(needle);
    case 'startsWith':
      return value.startsWith(needle);
    case 'endsWith':
      return value.endsWith(needle);
    case 'equals':
      return value === needle;
  }
}

/**
 * Compiles a checked AST; throws PqlError naming the node that does not fit. Matchers whose cost
 * grows with the data (`like`) add their work to `meter`.
 */
export function compileTree(root: PqlNode, meter: WorkMeter = createWorkMeter()): CompiledTree {
  const fields = new Set<string>();

  function expectArity(node: CallNode, min: number, max: number): void {
    const count = node.args.length;
    if (count >= min && count <= max) return;
    const wanted =
      min === max
        ? `${min}`
        : max === Number.POSITIVE_INFINITY
          ? `at least ${min}`
          : `${min} or ${max}`;
    // "1 argument", "at least 1 argument", but "2 or 3 arguments".
    const noun = min === 1 && max !== 2 ? 'argument' : 'arguments';
    throw expectedError(`${wanted} ${noun} for ${node.fn}`, node.at, `${count}`);
  }

  function arg(node: CallNode, index: number): PqlNode {
    // Only called after expectArity has proven the argument exists.
    return node.args[index] as PqlNode;
  }

  function compilePath(node: PathNode): Getter {
    if (node.segments.length > 0) fields.add(node.segments.join('.'));
    return createPathGetter(node.segments);
  }

  function compileValue(node: PqlNode): Getter {
    switch (node.kind) {
      case 'path':
        return compilePath(node);
      case 'literal': {
        const value = node.value;
        return () => value;
      }
      case 'call':
        return compilePredicate(node);
      case 'list':
        throw expectedError('a value (lists only follow in or notIn)', node.at, 'a list');
    }
  }

  /** Rejects operands whose type is known at compile time to make the comparison meaningless. */
  function checkComparable(operator: Comparison, node: PqlNode): void {
    if (node.kind === 'list') {
      throw expectedError(
        `a value to compare with ${operator} (lists only follow in or notIn)`,
        node.at,
        'a list',
      );
    }
    const isBoolean =
      node.kind === 'call' || (node.kind === 'literal' && typeof node.value === 'boolean');
    if (isBoolean && operator !== '=' && operator !== '!=') {
      throw expectedError(
        `a number or string to compare with ${operator}`,
        node.at,
        describeNode(node),
      );
    }
  }

  function staticType(node: PqlNode): string | undefined {
    if (node.kind === 'literal') return typeof node.value;
    return node.kind === 'call' ? 'boolean' : undefined;
  }

  function compileComparison(node: CallNode, operator: Comparison): Predicate {
    expectArity(node, 2, 2);
    const left = arg(node, 0);
    const right = arg(node, 1);
    checkComparable(operator, left);
    checkComparable(operator, right);
    const leftType = staticType(left);
    const rightType = staticType(right);
    if (leftType !== undefined && rightType !== undefined && leftType !== rightType) {
      throw expectedError(
        `a ${leftType} to compare with ${describeNode(left)}`,
        right.at,
        describeNode(right),
      );
    }
    if (left.kind === 'literal' && right.kind === 'literal') {
      return compareValues(operator, left.value, right.value) ? ALWAYS_TRUE : ALWAYS_FALSE;
    }
    if (right.kind === 'literal') return compareWithLiteral(operator, compileValue(left), right);
    if (left.kind === 'literal')
      return compareWithLiteral(FLIPPED[operator], compileValue(right), left);
    const readLeft = compileValue(left);
    const readRight = compileValue(right);
    return (profile) => compareValues(operator, readLeft(profile), readRight(profile));
  }

  function compileList(node: CallNode): Predicate {
    expectArity(node, 2, 2);
    const subject = arg(node, 0);
    const list = arg(node, 1);
    if (list.kind !== 'list') {
      throw expectedError(
        `a list literal such as ["US", "CA"] after ${node.fn}`,
        list.at,
        describeNode(list),
      );
    }
    const read = compileValue(subject);
    const items: ReadonlySet<unknown> = new Set(list.items);
    if (node.fn === 'in') return (profile) => items.has(read(profile));
    return (profile) => {
      const value = read(profile);
      return isScalar(value) && !items.has(value);
    };
  }

  function compileStringSubject(node: CallNode): Getter {
    const subject = arg(node, 0);
    if (
      subject.kind === 'call' ||
      subject.kind === 'list' ||
      (subject.kind === 'literal' && typeof subject.value !== 'string')
    ) {
      throw expectedError(`a string to apply ${node.fn} to`, subject.at, describeNode(subject));
    }
    return compileValue(subject);
  }

  /**
   * `contains`, `startsWith`, `endsWith`, `equals` and their `doesNot…` negations. The negations
   * follow the PQL null rule too: false, not true, when either string is missing or null.
   */
  function compileStringTest(node: CallNode, fn: StringFunction): Predicate {
    const { test, isNegated } = STRING_TESTS[fn];
    const positive = compilePositiveStringTest(node, test);
    if (!isNegated) return positive.predicate;
    const { predicate, readSubject, readNeedle } = positive;
    return (profile) =>
      typeof readSubject(profile) === 'string' &&
      typeof readNeedle(profile) === 'string' &&
      !predicate(profile);
  }

  function compilePositiveStringTest(
    node: CallNode,
    test: StringTest,
  ): { predicate: Predicate; readSubject: Getter; readNeedle: Getter } {
    expectArity(node, 2, 3);
    const read = compileStringSubject(node);
    const needle = arg(node, 1);
    const flag = node.args[2];
    if (flag !== undefined && (flag.kind !== 'literal' || typeof flag.value !== 'boolean')) {
      throw expectedError(
        `true or false for the case sensitivity of ${node.fn}`,
        flag.at,
        describeNode(flag),
      );
    }
    const isCaseSensitive = flag === undefined || flag.value === true;
    if (needle.kind === 'literal') {
      if (typeof needle.value !== 'string') {
        throw expectedError(
          `a string to search for with ${node.fn}`,
          needle.at,
          describeNode(needle),
        );
      }
      const literalNeedle = needle.value;
      return {
        predicate: compileLiteralStringTest(test, read, literalNeedle, isCaseSensitive),
        readSubject: read,
        readNeedle: () => literalNeedle,
      };
    }
    if (needle.kind !== 'path') {
      throw expectedError(
        `a string to search for with ${node.fn}`,
        needle.at,
        describeNode(needle),
      );
    }
    const readNeedle = compilePath(needle);
    if (isCaseSensitive) {
      const predicate: Predicate = (profile) => {
        const value = read(profile);
        const text = readNeedle(profile);
        return (
          typeof value === 'string' && typeof text === 'string' && plainTest(test, value, text)
        );
      };
      return { predicate, readSubject: read, readNeedle };
    }
    // The needle comes from the profile, so its pattern is built on demand and the last one kept.
    let lastNeedle = '';
    let lastPattern = foldedTest(test, '');
    const predicate: Predicate = (profile) => {
      const value = read(profile);
      const text = readNeedle(profile);
      if (typeof value !== 'string' || typeof text !== 'string') return false;
      if (text !== lastNeedle) {
        lastPattern = foldedTest(test, text);
        lastNeedle = text;
      }
      return lastPattern.test(value);
    };
    return { predicate, readSubject: read, readNeedle };
  }

  /** `matches`: a regular expression of the linear-time subset, found anywhere in the value. */
  function compileMatches(node: CallNode): Predicate {
    expectArity(node, 2, 2);
    const read = compileStringSubject(node);
    const pattern = arg(node, 1);
    if (pattern.kind !== 'literal' || typeof pattern.value !== 'string') {
      throw expectedError(
        'a string literal pattern for matches',
        pattern.at,
        describeNode(pattern),
      );
    }
    if (pattern.value.length > MAX_MATCHES_PATTERN_LENGTH) {
      throw expectedError(
        `a matches pattern of at most ${MAX_MATCHES_PATTERN_LENGTH} characters`,
        pattern.at,
        `${pattern.value.length} characters`,
      );
    }
    let matches: (value: string) => boolean;
    try {
      matches = createRegexMatcher(pattern.value, meter, {
        maxProgramSize: MAX_REGEX_PROGRAM_SIZE,
        maxDepth: MAX_DEPTH,
      });
    } catch (error) {
      if (!(error instanceof RegexRefusal)) throw error;
      throw expectedError(
        `a matches pattern with ${error.expected}`,
        pattern.at,
        `${error.got} at pattern offset ${error.offset}`,
      );
    }
    return (profile) => {
      const value = read(profile);
      return typeof value === 'string' && matches(value);
    };
  }

  function compileLike(node: CallNode): Predicate {
    expectArity(node, 2, 2);
    const read = compileStringSubject(node);
    const pattern = arg(node, 1);
    if (pattern.kind !== 'literal' || typeof pattern.value !== 'string') {
      throw expectedError('a string literal pattern for like', pattern.at, describeNode(pattern));
    }
    if (pattern.value.length > MAX_LIKE_PATTERN_LENGTH) {
      throw expectedError(
        `a like pattern of at most ${MAX_LIKE_PATTERN_LENGTH} characters`,
        pattern.at,
        `${pattern.value.length} characters`,
      );
    }
    const matches = createLikeMatcher(pattern.value, meter);
    return (profile) => {
      const value = read(profile);
      return typeof value === 'string' && matches(value);
    };
  }

  function compileExistence(node: CallNode, isPresenceTest: boolean): Predicate {
    expectArity(node, 1, 1);
    const read = compileValue(arg(node, 0));
    return isPresenceTest ? (profile) => read(profile) != null : (profile) => read(profile) == null;
  }

  /** Collects the operands of nested and/or of the same kind, so long chains stay flat. */
  function flatten(node: CallNode, fn: 'and' | 'or'): PqlNode[] {
    const operands: PqlNode[] = [];
    const pending: PqlNode[] = [...node.args].reverse();
    while (pending.length > 0) {
      const next = pending.pop() as PqlNode;
      if (next.kind === 'call' && next.fn === fn) {
        expectArity(next, 1, Number.POSITIVE_INFINITY);
        for (let index = next.args.length - 1; index >= 0; index--)
          pending.push(next.args[index] as PqlNode);
      } else {
        operands.push(next);
      }
    }
    return operands;
  }

  function compileLogic(node: CallNode, fn: 'and' | 'or'): Predicate {
    expectArity(node, 1, Number.POSITIVE_INFINITY);
    const parts = flatten(node, fn).map(compilePredicate);
    const [a = ALWAYS_TRUE, b = ALWAYS_TRUE, c = ALWAYS_TRUE] = parts;
    if (fn === 'and') {
      if (parts.length === 1) return a;
      if (parts.length === 2) return (profile) => a(profile) && b(profile);
      if (parts.length === 3) return (profile) => a(profile) && b(profile) && c(profile);
      return (profile) => {
        // A plain loop: no callback allocated per evaluation.
        for (let index = 0; index < parts.length; index++) {
          if (!(parts[index] as Predicate)(profile)) return false;
        }
        return true;
      };
    }
    if (parts.length === 1) return a;
    if (parts.length === 2) return (profile) => a(profile) || b(profile);
    if (parts.length === 3) return (profile) => a(profile) || b(profile) || c(profile);
    return (profile) => {
      for (let index = 0; index < parts.length; index++) {
        if ((parts[index] as Predicate)(profile)) return true;
      }
      return false;
    };
  }

  function compileCall(node: CallNode): Predicate {
    const fn: PqlFunctionName = node.fn;
    switch (fn) {
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return compileComparison(node, fn);
      case 'and':
      case 'or':
        return compileLogic(node, fn);
      case 'not': {
        expectArity(node, 1, 1);
        const inner = compilePredicate(arg(node, 0));
        return (profile) => !inner(profile);
      }
      case 'in':
      case 'notIn':
        return compileList(node);
      case 'contains':
      case 'startsWith':
      case 'endsWith':
      case 'equals':
      case 'doesNotStartWith':
      case 'doesNotContain':
        return compileStringTest(node, fn);
      case 'matches':
        return compileMatches(node);
      case 'like':
        return compileLike(node);
      case 'exists':
      case 'isNotNull':
        return compileExistence(node, true);
      case 'isNull':
        return compileExistence(node, false);
    }
  }

  function compilePredicate(node: PqlNode): Predicate {
    switch (node.kind) {
      case 'call':
        return compileCall(node);
      case 'path': {
        // A bare path is an existence test; a boolean field stands for its own value.
        const read = compilePath(node);
        return (profile) => {
          const value = read(profile);
          return typeof value === 'boolean' ? value : value != null;
        };
      }
      case 'literal':
        if (typeof node.value === 'boolean') return node.value ? ALWAYS_TRUE : ALWAYS_FALSE;
        throw expectedError('a condition', node.at, describeNode(node));
      case 'list':
        throw expectedError('a condition', node.at, describeNode(node));
    }
  }

  const predicate = compilePredicate(root);
  return { predicate, fields: [...fields] };
}

function compileLiteralStringTest(
  test: StringTest,
  read: Getter,
  needle: string,
  isCaseSensitive: boolean,
): Predicate {
  if (!isCaseSensitive) {
    const pattern = foldedTest(test, needle);
    return (profile) => {
      const value = read(profile);
      return typeof value === 'string' && pattern.test(value);
    };
  }
  switch (test) {
    case 'contains':
      return (profile) => {
        const value = read(profile);
        return typeof value === 'string' && value.includes(needle);
      };
    case 'startsWith':
      return (profile) => {
        const value = read(profile);
        return typeof value === 'string' && value.startsWith(needle);
      };
    case 'endsWith':
      return (profile) => {
        const value = read(profile);
        return typeof value === 'string' && value.endsWith(needle);
      };
    case 'equals':
      return (profile) => read(profile) === needle;
  }
}

function compareWithLiteral(operator: Comparison, read: Getter, literal: LiteralNode): Predicate {
  const value = literal.value;
  if (operator === '=') return (profile) => read(profile) === value;
  if (typeof value === 'string') return compareWithString(operator, read, value);
  if (typeof value === 'number') return compareWithNumber(operator, read, value);
  // Booleans only reach here with != (ordering is rejected before).
  return (profile) => {
    const current = read(profile);
    return typeof current === 'boolean' && current !== value;
  };
}

// One closure per operator and literal type, so the hot test is a typeof and one comparison.
function compareWithString(operator: Comparison, read: Getter, literal: string): Predicate {
  const typed =
    (test: (value: string) => boolean): Predicate =>
    (profile) => {
      const value = read(profile);
      return typeof value === 'string' && test(value);
    };
  switch (operator) {
    case '=':
      return (profile) => read(profile) === literal;
    case '!=':
      return typed((value) => value !== literal);
    case '<':
      return typed((value) => value < literal);
    case '<=':
      return typed((value) => value <= literal);
    case '>':
      return typed((value) => value > literal);
    case '>=':
      return typed((value) => value >= literal);
  }
}

function compareWithNumber(operator: Comparison, read: Getter, literal: number): Predicate {
  const typed =
    (test: (value: number) => boolean): Predicate =>
    (profile) => {
      const value = read(profile);
      return typeof value === 'number' && test(value);
    };
  switch (operator) {
    case '=':
      return (profile) => read(profile) === literal;
    case '!=':
      return typed((value) => value !== literal);
    case '<':
      return typed((value) => value < literal);
    case '<=':
      return typed((value) => value <= literal);
    case '>':
      return typed((value) => value > literal);
    case '>=':
      return typed((value) => value >= literal);
  }
}
