// Compiles a PQL `like` pattern (`%` any run, `_` exactly one character) to a string matcher.
// No regular expressions: matching stays linear per segment, so no pattern can backtrack badly.

/** Whether a string matches a compiled `like` pattern. */
export type LikeMatcher = (value: string) => boolean;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Width in UTF-16 units of the character at `index`, so `_` consumes whole code points. */
function charWidth(value: string, index: number): number {
  return isHighSurrogate(value.charCodeAt(index)) && index + 1 < value.length ? 2 : 1;
}

/**
 * Matches a `%`-free part (which may hold `_`) at `start`; returns the index after the match,
 * or -1 when it does not match there.
 */
function matchPartAt(value: string, start: number, part: string): number {
  let index = start;
  for (let partIndex = 0; partIndex < part.length; partIndex++) {
    if (index >= value.length) return -1;
    if (part.charCodeAt(partIndex) === 95) {
      index += charWidth(value, index);
    } else if (part.charCodeAt(partIndex) === value.charCodeAt(index)) {
      index++;
    } else {
      return -1;
    }
  }
  return index;
}

/** Leftmost match of `part` at or after `from`, on character boundaries; -1 when none. */
function findPart(value: string, from: number, part: string): { start: number; end: number } {
  for (let start = from; start <= value.length; start += charWidth(value, start)) {
    const end = matchPartAt(value, start, part);
    if (end !== -1) return { start, end };
    if (start === value.length) break;
  }
  return { start: -1, end: -1 };
}

/** Counts characters (code points) without allocating. */
function countChars(value: string): number {
  let count = 0;
  for (let index = 0; index < value.length; index += charWidth(value, index)) count++;
  return count;
}

function createGeneralMatcher(parts: readonly string[]): LikeMatcher {
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1);
  const lastLength = countChars(last);
  return (value) => {
    let index = matchPartAt(value, 0, first);
    if (index === -1) return false;
    // Leftmost placement of each middle part leaves the most room for the rest, so no backtracking.
    for (const part of middle) {
      index = findPart(value, index, part).end;
      if (index === -1) return false;
    }
    // The last part is anchored at the end: step back its character count (never into what the
    // earlier parts consumed) and match there.
    let tailStart = value.length;
    for (let count = 0; count < lastLength; count++) {
      if (tailStart <= index) return false;
      tailStart -= tailStart >= 2 && isLowSurrogateAt(value, tailStart - 1) ? 2 : 1;
    }
    return matchPartAt(value, tailStart, last) === value.length;
  };
}

function isLowSurrogateAt(value: string, index: number): boolean {
  const code = value.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff && isHighSurrogate(value.charCodeAt(index - 1));
}

/** Compiles a `like` pattern; common shapes become plain string tests. */
export function createLikeMatcher(pattern: string): LikeMatcher {
  const parts = pattern.split('%');
  const hasAny = pattern.includes('_');
  if (parts.length === 1) {
    if (!hasAny) return (value) => value === pattern;
    return (value) => matchPartAt(value, 0, pattern) === value.length;
  }
  const [first = '', last = ''] = [parts[0], parts[parts.length - 1]];
  if (!hasAny && parts.length === 2) {
    if (last === '') return (value) => value.startsWith(first);
    if (first === '') return (value) => value.endsWith(last);
  }
  if (!hasAny && parts.length === 3 && first === '' && last === '') {
    const inner = parts[1] ?? '';
    return (value) => value.includes(inner);
  }
  return createGeneralMatcher(parts);
}
