// Compiles a PQL `like` pattern (`%` any run, `_` exactly one character) to a string matcher whose
// cost is linear in the value's length: no regular expressions and no backtracking. It counts its
// work on a WorkMeter so evaluation can yield by work done; it sets no limits (the compiler does).
import { createWorkMeter, type WorkMeter } from './work-meter.ts';

/** Whether a string matches a compiled `like` pattern. */
export type LikeMatcher = (value: string) => boolean;

/** A `%`-free part of a pattern as code points; `_` is ANY. */
const ANY = -1;

/**
 * Finds the leftmost occurrence of a part in `value` at or after a UTF-16 index, reading each
 * value character once; answers the index just after it, or -1.
 */
type PartSearch = (value: string, from: number) => number;

function toCodePoints(part: string): number[] {
  return Array.from(part, (char) => (char === '_' ? ANY : (char.codePointAt(0) as number)));
}

function widthOf(codePoint: number): number {
  return codePoint > 0xffff ? 2 : 1;
}

function isLowSurrogatePairEnd(value: string, index: number): boolean {
  const low = value.charCodeAt(index);
  const high = value.charCodeAt(index - 1);
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
}

/** Matches `part` at exactly `start`; the index after it, or -1. Costs at most `part.length`. */
function matchAt(value: string, start: number, part: readonly number[], meter: WorkMeter): number {
  let index = start;
  for (const expected of part) {
    if (index >= value.length) return -1;
    meter.units++;
    const actual = value.codePointAt(index) as number;
    if (expected !== ANY && expected !== actual) return -1;
    index += widthOf(actual);
  }
  return index;
}

/**
 * Knuth–Morris–Pratt over code points, for parts without `_`: at most two comparisons per value
 * character, whatever the part.
 */
function createLiteralSearch(part: readonly number[], meter: WorkMeter): PartSearch {
  // failure[i]: length of the longest proper border of part[0..i].
  const failure = new Int32Array(part.length);
  for (let i = 1, k = 0; i < part.length; i++) {
    while (k > 0 && part[i] !== part[k]) k = failure[k - 1] as number;
    if (part[i] === part[k]) k++;
    failure[i] = k;
  }
  const last = part.length;
  return (value, from) => {
    let matched = 0;
    for (let index = from; index < value.length; ) {
      const actual = value.codePointAt(index) as number;
      index += widthOf(actual);
      for (;;) {
        meter.units++;
        if (part[matched] === actual) {
          matched++;
          break;
        }
        if (matched === 0) break;
        matched = failure[matched - 1] as number;
      }
      if (matched === last) return index;
    }
    return -1;
  };
}

/**
 * Shift-And (bit-parallel) over code points, for parts with `_`: one step per 32 part characters
 * per value character. Bit j of the state says "part[0..j] ends here".
 */
function createWildcardSearch(part: readonly number[], meter: WorkMeter): PartSearch {
  const words = Math.ceil(part.length / 32);
  const anyMask = new Uint32Array(words);
  part.forEach((codePoint, j) => {
    if (codePoint === ANY) anyMask[j >> 5] = ((anyMask[j >> 5] as number) | (1 << (j & 31))) >>> 0;
  });
  const masks = new Map<number, Uint32Array>();
  part.forEach((codePoint, j) => {
    if (codePoint === ANY) return;
    let mask = masks.get(codePoint);
    if (mask === undefined) {
      mask = Uint32Array.from(anyMask);
      masks.set(codePoint, mask);
    }
    mask[j >> 5] = ((mask[j >> 5] as number) | (1 << (j & 31))) >>> 0;
  });
  const lastWord = (part.length - 1) >> 5;
  const lastBit = (1 << ((part.length - 1) & 31)) >>> 0;
  return (value, from) => {
    const state = new Uint32Array(words);
    for (let index = from; index < value.length; ) {
      const actual = value.codePointAt(index) as number;
      index += widthOf(actual);
      const mask = masks.get(actual) ?? anyMask;
      meter.units += words;
      let carry = 1;
      for (let w = 0; w < words; w++) {
        const current = state[w] as number;
        state[w] = ((current << 1) | carry) & (mask[w] as number);
        carry = current >>> 31;
      }
      if (((state[lastWord] as number) & lastBit) !== 0) return index;
    }
    return -1;
  };
}

function createGeneralMatcher(parts: readonly string[], meter: WorkMeter): LikeMatcher {
  const first = toCodePoints(parts[0] ?? '');
  const last = toCodePoints(parts[parts.length - 1] ?? '');
  const middle = parts
    .slice(1, -1)
    .filter((part) => part !== '')
    .map((part) => {
      const codePoints = toCodePoints(part);
      return codePoints.includes(ANY)
        ? createWildcardSearch(codePoints, meter)
        : createLiteralSearch(codePoints, meter);
    });
  return (value) => {
    let index = matchAt(value, 0, first, meter);
    if (index === -1) return false;
    // Leftmost placement of each middle part leaves the most room for the rest, so no
    // backtracking; each search resumes where the previous one ended, so the value is read once.
    for (const search of middle) {
      index = search(value, index);
      if (index === -1) return false;
    }
    // The last part is anchored at the end: step back its character count (never into what the
    // earlier parts consumed) and match there.
    let tailStart = value.length;
    for (let count = 0; count < last.length; count++) {
      if (tailStart <= index) return false;
      tailStart -= tailStart >= 2 && isLowSurrogatePairEnd(value, tailStart - 1) ? 2 : 1;
    }
    if (tailStart < index) return false;
    return matchAt(value, tailStart, last, meter) === value.length;
  };
}

/**
 * Compiles a `like` pattern; common shapes become plain string tests. Matching costs O(n + m)
 * for a value of n characters and a pattern of m, except that a part holding `_` costs
 * ⌈part length / 32⌉ steps per value character. Work is added to `meter`.
 */
export function createLikeMatcher(
  pattern: string,
  meter: WorkMeter = createWorkMeter(),
): LikeMatcher {
  const parts = pattern.split('%');
  const hasAny = pattern.includes('_');
  if (!hasAny && parts.length === 1) {
    return (value) => {
      meter.units += pattern.length;
      return value === pattern;
    };
  }
  if (parts.length === 1) {
    const whole = toCodePoints(pattern);
    return (value) => matchAt(value, 0, whole, meter) === value.length;
  }
  const [first = '', last = ''] = [parts[0], parts[parts.length - 1]];
  if (!hasAny && parts.length === 2 && (first === '' || last === '')) {
    const isPrefix = last === '';
    return (value) => {
      meter.units += pattern.length;
      return isPrefix ? value.startsWith(first) : value.endsWith(last);
    };
  }
  if (!hasAny && parts.length === 3 && first === '' && last === '') {
    // V8's substring search is linear in the value's length; charge it as such.
    const inner = parts[1] ?? '';
    return (value) => {
      meter.units += value.length + inner.length;
      return value.includes(inner);
    };
  }
  return createGeneralMatcher(parts, meter);
}
