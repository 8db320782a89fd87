// Compiles the `matches` pattern subset (literals, ., classes, anchors, groups, |, quantifiers)
// to a Thompson NFA run as a Pike VM: cost linear in the value, counted on a WorkMeter. Anything
// that needs backtracking (backreferences, lookaround, possessive or atomic groups) is refused.
import { createWorkMeter, type WorkMeter } from './work-meter.ts';

/** Whether a value holds a match of a compiled `matches` pattern anywhere. */
export type RegexMatcher = (value: string) => boolean;

/** A pattern outside the subset or not well formed; `offset` is in code points. */
export class RegexRefusal extends Error {
  readonly expected: string;
  readonly got: string;
  readonly offset: number;

  constructor(expected: string, got: string, offset: number) {
    super(`expected ${expected}, but got ${got} at pattern offset ${offset}`);
    this.name = 'RegexRefusal';
    this.expected = expected;
    this.got = got;
    this.offset = offset;
  }
}

export interface RegexOptions {
  /** Most NFA instructions (counted repetition is expanded); bounds the work per character. */
  maxProgramSize: number;
  /** Deepest nesting of groups. */
  maxDepth: number;
}

const SUBSET = 'literals, ., classes, ^, $, groups, | and quantifiers only';
const MAX_CODE_POINT = 0x10ffff;

/** A set of code points as sorted, disjoint, inclusive [from, to] pairs. */
type Ranges = number[];

interface CharSet {
  ranges: Ranges;
  isNegated: boolean;
}

type Node =
  | { kind: 'empty' }
  | { kind: 'set'; set: CharSet }
  | { kind: 'concat'; items: Node[] }
  | { kind: 'alternation'; items: Node[] }
  | { kind: 'repeat'; item: Node; min: number; max: number }
  | { kind: 'start' }
  | { kind: 'end' };

const DIGITS: Ranges = [48, 57];
const WORD: Ranges = [48, 57, 65, 90, 95, 95, 97, 122];
// Java's \s: space, \t, \n, \x0B, \f, \r.
const SPACE: Ranges = [9, 13, 32, 32];
// What `.` does not match (Java): \n, \r, \u0085, \u2028, \u2029.
const LINE_TERMINATORS: Ranges = [10, 10, 13, 13, 0x85, 0x85, 0x2028, 0x2029];

function normalize(ranges: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let index = 0; index < ranges.length; index += 2) {
    pairs.push([ranges[index] as number, ranges[index + 1] as number]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: Ranges = [];
  for (const [from, to] of pairs) {
    const last = merged.length - 1;
    if (last > 0 && from <= (merged[last] as number) + 1) {
      merged[last] = Math.max(merged[last] as number, to);
    } else {
      merged.push(from, to);
    }
  }
  return merged;
}

function complement(ranges: Ranges): Ranges {
  const sorted = normalize(ranges);
  const result: Ranges = [];
  let next = 0;
  for (let index = 0; index < sorted.length; index += 2) {
    const from = sorted[index] as number;
    if (from > next) result.push(next, from - 1);
    next = (sorted[index + 1] as number) + 1;
  }
  if (next <= MAX_CODE_POINT) result.push(next, MAX_CODE_POINT);
  return result;
}

function hasCodePoint(ranges: Ranges, codePoint: number): boolean {
  // Binary search over the pairs.
  let low = 0;
  let high = ranges.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < (ranges[middle * 2] as number)) high = middle - 1;
    else if (codePoint > (ranges[middle * 2 + 1] as number)) low = middle + 1;
    else return true;
  }
  return false;
}

function describeChar(codePoint: number | undefined): string {
  return codePoint === undefined
    ? 'end of pattern'
    : JSON.stringify(String.fromCodePoint(codePoint));
}

/** Parses the pattern (without a leading `(?i)`) into a tree; throws RegexRefusal. */
function parse(pattern: readonly number[], maxDepth: number): Node {
  let index = 0;
  let depth = 0;
  const peek = (): number | undefined => pattern[index];
  const is = (char: string): boolean => pattern[index] === char.codePointAt(0);
  const refuse = (construct: string, at = index): never => {
    throw new RegexRefusal(SUBSET, construct, at);
  };
  const fail = (expected: string, at = index): never => {
    throw new RegexRefusal(expected, describeChar(pattern[at]), at);
  };

  function parseAlternation(): Node {
    const items = [parseConcat()];
    while (is('|')) {
      index++;
      items.push(parseConcat());
    }
    return items.length === 1 ? (items[0] as Node) : { kind: 'alternation', items };
  }

  function parseConcat(): Node {
    const items: Node[] = [];
    while (index < pattern.length && !is('|') && !is(')')) items.push(parseRepeat());
    if (items.length === 0) return { kind: 'empty' };
    return items.length === 1 ? (items[0] as Node) : { kind: 'concat', items };
  }

  function readCount(): number | undefined {
    const start = index;
    while (index < pattern.length && (peek() as number) >= 48 && (peek() as number) <= 57) index++;
    if (index === start) return undefined;
    if (index - start > 4) fail('a repetition count of at most 4 digits', start);
    return Number(String.fromCodePoint(...pattern.slice(start, index)));
  }

  function parseRepeat(): Node {
    const atomStart = index;
    const atom = parseAtom();
    const quantifierStart = index;
    // A bare anchor cannot be repeated (a grouped one can, as in JavaScript and Java).
    const isBareAnchor =
      (atom.kind === 'start' || atom.kind === 'end') && pattern[atomStart] !== 40 /* ( */;
    let min: number;
    let max: number;
    if (is('*')) [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (is('+')) [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (is('?')) [min, max] = [0, 1];
    else if (is('{')) {
      index++;
      const low = readCount();
      if (low === undefined) return fail('a count such as {2}, {2,} or {1,3}');
      let high = low;
      if (is(',')) {
        index++;
        high = readCount() ?? Number.POSITIVE_INFINITY;
      }
      if (!is('}')) return fail('a "}" closing the count');
      if (high < low) return fail(`a count range with ${low} at most ${high}`, quantifierStart);
      [min, max] = [low, high];
    } else {
      return atom;
    }
    index++;
    if (isBareAnchor) refuse('a quantifier after an anchor', quantifierStart);
    // A lazy quantifier finds the same matches (only which one differs); possessive ones do not.
    if (is('?')) index++;
    else if (is('+')) refuse('a possessive quantifier (e.g. a*+)', index);
    if (is('*') || is('+') || is('?') || is('{')) fail('an atom before the quantifier', index);
    return { kind: 'repeat', item: atom, min, max };
  }

  function parseGroup(): Node {
    const open = index;
    index++;
    if (is('?')) {
      index++;
      const kind = peek();
      const next = pattern[index + 1];
      if (kind === 58 /* : */) {
        index++;
      } else if (kind === 61 /* = */ || kind === 33 /* ! */) {
        refuse(`a lookahead (?${String.fromCodePoint(kind)}`, open);
      } else if (kind === 60 /* < */ && (next === 61 || next === 33)) {
        refuse(`a lookbehind (?<${String.fromCodePoint(next)}`, open);
      } else if (kind === 60) {
        index++;
        const nameStart = index;
        while (index < pattern.length && !is('>')) {
          const code = peek() as number;
          const isNamePart =
            (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
          if (!isNamePart || (index === nameStart && code <= 57))
            fail('a group name of letters and digits');
          index++;
        }
        if (!is('>') || index === nameStart) fail('a group name and ">"');
        index++;
      } else if (kind === 62 /* > */) {
        refuse('an atomic group (?>', open);
      } else {
        refuse('an inline flag or (? construct other than a leading (?i)', open);
      }
    }
    depth++;
    if (depth > maxDepth) refuse(`groups nested deeper than ${maxDepth}`, open);
    const inner = parseAlternation();
    depth--;
    if (!is(')')) fail('a closing ")"');
    index++;
    return inner;
  }

  /** An escape after `\`; `isInClass` leaves out anchors. Answers a set or a single code point. */
  function parseEscape(isInClass: boolean): CharSet | number | 'start' | 'end' {
    const at = index;
    index++;
    const code = peek();
    if (code === undefined) return fail('a character after "\\"');
    index++;
    const char = String.fromCodePoint(code);
    switch (char) {
      case 'd':
        return { ranges: DIGITS, isNegated: false };
      case 'D':
        return { ranges: DIGITS, isNegated: true };
      case 'w':
        return { ranges: WORD, isNegated: false };
      case 'W':
        return { ranges: WORD, isNegated: true };
      case 's':
        return { ranges: SPACE, isNegated: false };
      case 'S':
        return { ranges: SPACE, isNegated: true };
      case 't':
        return 9;
      case 'n':
        return 10;
      case 'r':
        return 13;
      case 'f':
        return 12;
      case 'x':
      case 'u': {
        const length = char === 'x' ? 2 : 4;
        const hex = String.fromCodePoint(...pattern.slice(index, index + length));
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) {
          return fail(`${length} hex digits after \\${char}`);
        }
        index += length;
        return Number.parseInt(hex, 16);
      }
      case 'A':
      case 'z':
        if (isInClass) return refuse(`the anchor \\${char} inside a class`, at);
        return char === 'A' ? 'start' : 'end';
      case 'b':
      case 'B':
        return refuse(`a word boundary \\${char}`, at);
      case 'p':
      case 'P':
        return refuse(`a Unicode property class \\${char}{…}`, at);
      case 'k':
        return refuse('a named backreference \\k<…>', at);
      case 'Q':
      case 'E':
        return refuse('quoting with \\Q…\\E', at);
    }
    if (code >= 49 && code <= 57) return refuse(`a backreference \\${char}`, at);
    if ((code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)) {
      return refuse(`the escape \\${char}`, at);
    }
    return code;
  }

  function parseClass(): Node {
    const open = index;
    index++;
    const isNegated = is('^');
    if (isNegated) index++;
    const ranges: Ranges = [];
    let isFirst = true;
    while (!is(']') || isFirst) {
      if (index >= pattern.length) return fail('a closing "]"');
      if (is(']')) return refuse('an empty class []', open);
      isFirst = false;
      if (is('[')) return refuse('a nested class or intersection inside [ ]', index);
      if (is('&') && pattern[index + 1] === 38) return refuse('a class intersection &&', index);
      const from = readClassMember();
      if (typeof from !== 'number') {
        ranges.push(...(from.isNegated ? complement(from.ranges) : from.ranges));
        continue;
      }
      if (is('-') && pattern[index + 1] !== undefined && pattern[index + 1] !== 93 /* ] */) {
        const dash = index;
        index++;
        const to = readClassMember();
        if (typeof to !== 'number') return refuse('a range ending in a class escape', dash);
        if (to < from) return fail(`a range whose end is not before its start`, dash);
        ranges.push(from, to);
      } else {
        ranges.push(from, from);
      }
    }
    index++;
    return { kind: 'set', set: { ranges: normalize(ranges), isNegated } };
  }

  function readClassMember(): CharSet | number {
    if (is('\\')) {
      const escaped = parseEscape(true);
      // Anchors were refused inside classes.
      return escaped as CharSet | number;
    }
    const code = peek() as number;
    index++;
    return code;
  }

  function parseAtom(): Node {
    const code = peek() as number;
    switch (String.fromCodePoint(code)) {
      case '(':
        return parseGroup();
      case '[':
        return parseClass();
      case '.':
        index++;
        return { kind: 'set', set: { ranges: LINE_TERMINATORS, isNegated: true } };
      case '^':
        index++;
        return { kind: 'start' };
      case '$':
        index++;
        return { kind: 'end' };
      case '*':
      case '+':
      case '?':
      case '{':
        return fail('an atom before the quantifier');
      case '\\': {
        const escaped = parseEscape(false);
        if (escaped === 'start' || escaped === 'end') return { kind: escaped };
        if (typeof escaped === 'number') {
          return { kind: 'set', set: { ranges: [escaped, escaped], isNegated: false } };
        }
        return { kind: 'set', set: escaped };
      }
      default:
        index++;
        return { kind: 'set', set: { ranges: [code, code], isNegated: false } };
    }
  }

  const root = parseAlternation();
  if (index < pattern.length) fail('"|", an atom or end of pattern (an unbalanced ")")');
  return root;
}

const OP_SET = 0;
const OP_SPLIT = 1;
const OP_JUMP = 2;
const OP_START = 3;
const OP_END = 4;
const OP_MATCH = 5;

interface Program {
  ops: number[];
  /** OP_SET: index into sets; OP_SPLIT/OP_JUMP: first target. */
  first: number[];
  /** OP_SPLIT: second target. */
  second: number[];
  sets: CharSet[];
}

function compileProgram(root: Node, maxSize: number): Program {
  const program: Program = { ops: [], first: [], second: [], sets: [] };
  const emit = (op: number, first = 0, second = 0): number => {
    if (program.ops.length >= maxSize) {
      throw new RegexRefusal(
        `a pattern of at most ${maxSize} NFA steps`,
        'more (counted repetition such as {100} copies its atom)',
        0,
      );
    }
    program.ops.push(op);
    program.first.push(first);
    program.second.push(second);
    return program.ops.length - 1;
  };

  function walk(node: Node): void {
    switch (node.kind) {
      case 'empty':
        return;
      case 'set':
        program.sets.push(node.set);
        emit(OP_SET, program.sets.length - 1);
        return;
      case 'start':
        emit(OP_START);
        return;
      case 'end':
        emit(OP_END);
        return;
      case 'concat':
        for (const item of node.items) walk(item);
        return;
      case 'alternation': {
        const jumps: number[] = [];
        node.items.forEach((item, position) => {
          if (position === node.items.length - 1) {
            walk(item);
            return;
          }
          const split = emit(OP_SPLIT);
          program.first[split] = split + 1;
          walk(item);
          jumps.push(emit(OP_JUMP));
          program.second[split] = program.ops.length;
        });
        for (const jump of jumps) program.first[jump] = program.ops.length;
        return;
      }
      case 'repeat': {
        for (let count = 0; count < node.min; count++) walk(node.item);
        if (node.max === Number.POSITIVE_INFINITY) {
          const split = emit(OP_SPLIT);
          program.first[split] = split + 1;
          walk(node.item);
          emit(OP_JUMP, split);
          program.second[split] = program.ops.length;
          return;
        }
        const splits: number[] = [];
        for (let count = node.min; count < node.max; count++) {
          const split = emit(OP_SPLIT);
          program.first[split] = split + 1;
          splits.push(split);
          walk(node.item);
        }
        for (const split of splits) program.second[split] = program.ops.length;
        return;
      }
    }
  }

  walk(root);
  emit(OP_MATCH);
  return program;
}

function caseVariants(codePoint: number): [number, number] {
  const char = String.fromCodePoint(codePoint);
  const lower = char.toLowerCase();
  const upper = char.toUpperCase();
  // Only one-to-one mappings count (as in simple case folding).
  const lowerCode = [...lower].length === 1 ? (lower.codePointAt(0) as number) : codePoint;
  const upperCode = [...upper].length === 1 ? (upper.codePointAt(0) as number) : codePoint;
  return [lowerCode, upperCode];
}

/**
 * Compiles a `matches` pattern. A value matches when the pattern matches anywhere in it (anchor
 * with ^ and $). A leading `(?i)` makes it case-insensitive. Each value character costs at most
 * two work units per NFA instruction, added to `meter`; throws RegexRefusal outside the subset.
 */
export function createRegexMatcher(
  pattern: string,
  meter: WorkMeter = createWorkMeter(),
  options: RegexOptions = { maxProgramSize: 1_000, maxDepth: 200 },
): RegexMatcher {
  const codePoints = Array.from(pattern, (char) => char.codePointAt(0) as number);
  const isCaseInsensitive = pattern.startsWith('(?i)');
  const body = isCaseInsensitive ? codePoints.slice(4) : codePoints;
  let tree: Node;
  try {
    tree = parse(body, options.maxDepth);
  } catch (error) {
    // Offsets count from the start of the whole pattern.
    if (error instanceof RegexRefusal && isCaseInsensitive) {
      throw new RegexRefusal(error.expected, error.got, error.offset + 4);
    }
    throw error;
  }
  const { ops, first, second, sets } = compileProgram(tree, options.maxProgramSize);
  const size = ops.length;
  const marks = new Float64Array(size);
  let generation = 0;
  let current = new Int32Array(size);
  let next = new Int32Array(size);
  const stack = new Int32Array(2 * size + 2);

  return (value) => {
    let units = 0;
    let isMatched = false;
    let length = 0;

    /** Adds the threads reachable from `pc` without reading input; answers the new length. */
    function addThread(list: Int32Array, count: number, pc: number, position: number): number {
      let top = 0;
      let listLength = count;
      stack[top++] = pc;
      while (top > 0) {
        const at = stack[--top] as number;
        if (marks[at] === generation) continue;
        marks[at] = generation;
        units++;
        switch (ops[at]) {
          case OP_SET:
            list[listLength++] = at;
            break;
          case OP_JUMP:
            stack[top++] = first[at] as number;
            break;
          case OP_SPLIT:
            stack[top++] = second[at] as number;
            stack[top++] = first[at] as number;
            break;
          case OP_START:
            if (position === 0) stack[top++] = at + 1;
            break;
          case OP_END:
            if (position === value.length) stack[top++] = at + 1;
            break;
          case OP_MATCH:
            isMatched = true;
            break;
        }
      }
      return listLength;
    }

    generation++;
    length = addThread(current, 0, 0, 0);
    let position = 0;
    while (!isMatched && position < value.length) {
      const codePoint = value.codePointAt(position) as number;
      const after = position + (codePoint > 0xffff ? 2 : 1);
      const [lower, upper] = isCaseInsensitive ? caseVariants(codePoint) : [codePoint, codePoint];
      generation++;
      let nextLength = 0;
      for (let k = 0; k < length && !isMatched; k++) {
        const pc = current[k] as number;
        const set = sets[first[pc] as number] as CharSet;
        const isIn =
          hasCodePoint(set.ranges, codePoint) ||
          (isCaseInsensitive &&
            (hasCodePoint(set.ranges, lower) || hasCodePoint(set.ranges, upper)));
        if (isIn !== set.isNegated) nextLength = addThread(next, nextLength, pc + 1, after);
      }
      units += length;
      // A match may also start at the next character.
      if (!isMatched) nextLength = addThread(next, nextLength, 0, after);
      [current, next] = [next, current];
      length = nextLength;
      position = after;
    }
    meter.units += units;
    return isMatched;
  };
}
