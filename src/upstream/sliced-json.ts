// Parses a large JSON text without holding the event loop: containers longer than a chunk are
// walked member by member, runs of smaller members go to native JSON.parse whole, and the loop
// turns between slices of bounded work. Same result and acceptance as JSON.parse; no I/O.

/** Options of {@link parseJsonSliced}. */
export interface SlicedJsonOptions {
  /**
   * Containers of at most this many characters (and runs of members about this long) are parsed
   * by native JSON.parse in one call; only longer containers are walked member by member.
   * @default 65536
   */
  chunkChars?: number | undefined;
  /**
   * Characters of work between two turns of the event loop: a few ms, even for keys going into
   * an object of 100,000 keys (about 1 µs each). @default 65536
   */
  sliceChars?: number | undefined;
  /** Stops the parse between two slices; it then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Lets the event loop turn. @default a setImmediate */
  yieldToLoop?: (() => Promise<void>) | undefined;
}

export const DEFAULT_CHUNK_CHARS = 64 * 1024;
export const DEFAULT_SLICE_CHARS = 64 * 1024;
// The structural scan is a few times cheaper per character than parsing.
const SCAN_SLICE_FACTOR = 4;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(code: number): boolean {
  // JSON's four: space, tab, line feed, carriage return (not a BOM, not U+00A0).
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function isOpen(code: number): boolean {
  return code === OPEN_BRACE || code === OPEN_BRACKET;
}

function isClose(code: number): boolean {
  return code === CLOSE_BRACE || code === CLOSE_BRACKET;
}

function setImmediateTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Parses `text` as JSON.parse would — the same value, key order, duplicate keys (the last wins),
 * `__proto__` as an own property; the same inputs refused, with a `SyntaxError` saying at which
 * position — but lets the event loop turn every `sliceChars` characters of work. A text of at
 * most `chunkChars` characters is parsed natively at once.
 */
export async function parseJsonSliced(
  text: string,
  options: SlicedJsonOptions = {},
): Promise<unknown> {
  const chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const sliceChars = options.sliceChars ?? DEFAULT_SLICE_CHARS;
  const yieldToLoop = options.yieldToLoop ?? setImmediateTurn;
  const { signal } = options;
  if (text.length <= chunkChars) return parseNative(text, 0, 0);

  const turn = async () => {
    await yieldToLoop();
    signal?.throwIfAborted();
  };
  signal?.throwIfAborted();

  const scan = createStructureScan(text, chunkChars);
  while (!scan.step(sliceChars * SCAN_SLICE_FACTOR)) await turn();
  const large = scan.largeContainers();

  const first = skipWhitespace(text, 0);
  // A top-level scalar, or a container the scan did not find long: native at once.
  if (!large.has(first)) return parseNative(text, 0, 0);
  await turn();
  const walk = createWalk(text, large, first, chunkChars);
  while (!walk.step(sliceChars)) await turn();
  return walk.result();
}

function skipWhitespace(text: string, from: number): number {
  let pos = from;
  while (pos < text.length && isWhitespace(text.charCodeAt(pos))) pos++;
  return pos;
}

/** The index after the string opening at `pos`, or -1 when it is not closed. */
export function stringEnd(text: string, pos: number): number {
  let from = pos + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    // An even run of backslashes escapes only itself: the quote closes the string.
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/**
 * The structural pass: pairs brackets (skipping strings) and records the start of every container
 * longer than `chunkChars`, and of every container left open (the walk then reports the error).
 * It checks nothing else: the walk and native JSON.parse do.
 */
function createStructureScan(text: string, chunkChars: number) {
  const large = new Set<number>();
  const open: number[] = [];
  let pos = 0;
  return {
    /** Scans about `budget` characters; true when the text is done. */
    step(budget: number): boolean {
      const until = Math.min(text.length, pos + budget);
      while (pos < until) {
        const code = text.charCodeAt(pos);
        if (code === QUOTE) {
          const end = stringEnd(text, pos);
          pos = end < 0 ? text.length : end;
          continue;
        }
        if (isOpen(code)) open.push(pos);
        else if (isClose(code)) {
          const start = open.pop();
          if (start !== undefined && pos + 1 - start > chunkChars) large.add(start);
        }
        pos++;
      }
      return pos >= text.length;
    },
    largeContainers(): Set<number> {
      for (const start of open) large.add(start);
      return large;
    },
  };
}

type JsonObject = Record<string, unknown>;

interface Frame {
  isArray: boolean;
  /** Where the container opens. */
  start: number;
  /** Built lazily: the first run's native result becomes the container. */
  target: unknown[] | JsonObject | undefined;
  /** The start of the members not parsed yet; -1: none (right after a long member). */
  runStart: number;
  /** The comma before the current member; `start` for the first member. */
  lastComma: number;
  /** Before a member (after the bracket or a comma), or after one. */
  isBeforeMember: boolean;
  /** Its key in the parent object. */
  key: string | undefined;
}

function describeAt(text: string, pos: number): string {
  if (pos >= text.length) return 'the end of the text';
  return JSON.stringify(text.slice(pos, pos + 1));
}

function syntaxError(text: string, pos: number, expected: string): SyntaxError {
  return new SyntaxError(
    `expected ${expected} at position ${pos} of the JSON text, but got ${describeAt(text, pos)}`,
  );
}

/** Native JSON.parse of `wrapped`, whose character `offset` is position `base` of the text. */
function parseNative(wrapped: string, base: number, offset: number): unknown {
  try {
    return JSON.parse(wrapped);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const match = /at position (\d+)/.exec(message);
    if (match?.[1] === undefined) {
      // Such messages quote the input; say only where the value that failed starts.
      throw new SyntaxError(`invalid JSON in the value at position ${base}`);
    }
    const position = Math.max(base, base + Number(match[1]) - offset);
    const head = message.slice(0, match.index).replace(/\s*in JSON\s*$/, '');
    throw new SyntaxError(`${head} at position ${position} of the JSON text`);
  }
}

/** Sets `key` as JSON.parse does: an own data property, even `__proto__`. */
function setMember(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else target[key] = value;
}

/**
 * The walk over long containers, with an explicit stack (no recursion, so no depth limit).
 * Inside one, each member is delimited (strings by their quotes, small containers by bracket
 * pairing, other tokens by the next delimiter) and the separators are checked; runs of members
 * are parsed natively, a long member is walked in turn.
 */
function createWalk(text: string, large: Set<number>, first: number, chunkChars: number) {
  const stack: Frame[] = [];
  let pos = first;
  let isDone = false;
  let value: unknown;

  function open(start: number, key: string | undefined): void {
    stack.push({
      isArray: text.charCodeAt(start) === OPEN_BRACKET,
      start,
      target: undefined,
      runStart: start + 1,
      lastComma: start,
      isBeforeMember: true,
      key,
    });
    pos = start + 1;
  }

  /** Parses the members in `[frame.runStart, end)` natively and adds them to the container. */
  function flush(frame: Frame, end: number): void {
    const start = frame.runStart;
    const runText = text.slice(start, end);
    if (frame.isArray) {
      const items = parseNative(`[${runText}]`, start, 1) as unknown[];
      if (frame.target === undefined) frame.target = items;
      else {
        const target = frame.target as unknown[];
        for (const item of items) target.push(item);
      }
      return;
    }
    const members = parseNative(`{${runText}}`, start, 1) as JsonObject;
    if (frame.target === undefined) frame.target = members;
    else {
      const target = frame.target as JsonObject;
      for (const key of Object.keys(members)) setMember(target, key, members[key]);
    }
  }

  /** Closes the top container (`pos` is past its bracket) and adds it to its parent. */
  function close(frame: Frame): void {
    stack.pop();
    const container = frame.target ?? (frame.isArray ? [] : {});
    const parent = stack.at(-1);
    if (parent === undefined) {
      value = container;
      pos = skipWhitespace(text, pos);
      if (pos < text.length) throw syntaxError(text, pos, 'nothing but whitespace after the JSON');
      isDone = true;
      return;
    }
    if (parent.isArray) {
      parent.target ??= [];
      (parent.target as unknown[]).push(container);
    } else {
      parent.target ??= {};
      setMember(parent.target as JsonObject, frame.key ?? '', container);
    }
  }

  /** The end of the value starting at `start`, which is not a long container. */
  function valueEnd(start: number): number {
    const code = text.charCodeAt(start);
    if (code === QUOTE) {
      const end = stringEnd(text, start);
      if (end < 0) throw syntaxError(text, text.length, 'the closing quote of the string');
      return end;
    }
    if (isOpen(code)) {
      let depth = 0;
      let at = start;
      while (at < text.length) {
        const c = text.charCodeAt(at);
        if (c === QUOTE) {
          const end = stringEnd(text, at);
          if (end < 0) break;
          at = end;
          continue;
        }
        if (isOpen(c)) depth++;
        else if (isClose(c) && --depth === 0) return at + 1;
        at++;
      }
      // The scan marks an unclosed container long; kept for safety: native parse refuses it.
      return text.length;
    }
    let end = start;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (isWhitespace(c) || c === COMMA || c === COLON || c === QUOTE || isOpen(c) || isClose(c)) {
        break;
      }
      end++;
    }
    if (end === start) throw syntaxError(text, start, 'a value');
    return end;
  }

  /** At the start of a member (after the bracket or a comma); a long value opens a new frame. */
  function beforeMember(frame: Frame): void {
    pos = skipWhitespace(text, pos);
    const isFirst = frame.lastComma === frame.start;
    if (isFirst && text.charCodeAt(pos) === (frame.isArray ? CLOSE_BRACKET : CLOSE_BRACE)) {
      pos++;
      close(frame);
      return;
    }
    frame.isBeforeMember = false;
    let keyStart = -1;
    let keyEnd = -1;
    if (!frame.isArray) {
      if (text.charCodeAt(pos) !== QUOTE) throw syntaxError(text, pos, 'a double-quoted key');
      keyStart = pos;
      keyEnd = stringEnd(text, pos);
      if (keyEnd < 0) throw syntaxError(text, text.length, 'the closing quote of the key');
      pos = skipWhitespace(text, keyEnd);
      if (text.charCodeAt(pos) !== COLON) throw syntaxError(text, pos, "':' after the key");
      pos = skipWhitespace(text, pos + 1);
    }
    if (!large.has(pos)) {
      pos = valueEnd(pos);
      return;
    }
    // The members before the long one are parsed first, so that the order is kept.
    if (frame.runStart >= 0 && frame.lastComma > frame.runStart) flush(frame, frame.lastComma);
    frame.runStart = -1;
    const key = frame.isArray
      ? undefined
      : (parseNative(text.slice(keyStart, keyEnd), keyStart, 0) as string);
    open(pos, key);
  }

  /** After a member: a comma (then the next member) or the closing bracket. */
  function afterMember(frame: Frame): void {
    pos = skipWhitespace(text, pos);
    const code = text.charCodeAt(pos);
    if (code === (frame.isArray ? CLOSE_BRACKET : CLOSE_BRACE)) {
      if (frame.runStart >= 0) flush(frame, pos);
      pos++;
      close(frame);
      return;
    }
    if (code !== COMMA) {
      throw syntaxError(
        text,
        pos,
        frame.isArray ? "',' or ']' after an array element" : "',' or '}' after a property value",
      );
    }
    if (frame.runStart < 0) frame.runStart = pos + 1;
    else if (pos - frame.runStart >= chunkChars) {
      flush(frame, pos);
      frame.runStart = pos + 1;
    }
    frame.lastComma = pos;
    frame.isBeforeMember = true;
    pos++;
  }

  return {
    /** Works through about `budget` characters; true when the value is complete. */
    step(budget: number): boolean {
      if (stack.length === 0 && !isDone) open(first, undefined);
      const until = pos + budget;
      while (!isDone && pos < until) {
        const frame = stack.at(-1);
        if (frame === undefined) break;
        if (frame.isBeforeMember) beforeMember(frame);
        else afterMember(frame);
      }
      return isDone;
    },
    result(): unknown {
      return value;
    },
  };
}

/** A response body read as JSON ahead of its reader: the value, or why it is not JSON. */
export type JsonBody = { isJson: true; value: unknown } | { isJson: false; error: SyntaxError };

/**
 * Bodies longer than this (in UTF-16 characters, about bytes for JSON) are parsed in slices;
 * native JSON.parse of a shorter one holds the loop for a few ms at most (bench/upstream-parse).
 */
export const SLICED_BODY_MIN_CHARS = 256 * 1024;

/**
 * Parses a body in slices, for its reader (call-executor.ts: bodies over
 * {@link SLICED_BODY_MIN_CHARS}). A body that is not JSON is a value, not a throw; after `signal`
 * aborts, the caller must not use the result.
 */
export async function parseLongBody(
  text: string,
  signal: AbortSignal | undefined,
): Promise<JsonBody> {
  try {
    return { isJson: true, value: await parseJsonSliced(text, { signal }) };
  } catch (error) {
    if (error instanceof SyntaxError) return { isJson: false, error };
    if (signal?.aborted === true) return { isJson: false, error: new SyntaxError('aborted') };
    throw error;
  }
}
