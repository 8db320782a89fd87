// Parses a `POST /emulator/profiles` body without one long JSON.parse and without decoding it into
// one large string: it scans the UTF-8 bytes of the top-level object itself and parses the
// `profiles` array one element at a time, yielding to the event loop every `sliceBytes` bytes,
// keeping the elements or handing each to a visitor. It validates nothing but JSON syntax.

/** Thrown for a body that is not JSON; the message says where and what arrived. */
export class UploadSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadSyntaxError';
  }
}

export interface ParsedUpload {
  /** Every top-level member but `profiles`, parsed; the last of duplicate keys wins, as in JSON.parse. */
  members: Record<string, unknown>;
  /**
   * The parsed `profiles` array, or its value when it is not an array; undefined when absent.
   * With `onProfile`, an array is handed over element by element and this is an empty array.
   */
  profiles: unknown;
  /** `profiles` arrays scanned: more than one when the key is repeated (the last one counts). */
  profileArrays: number;
  /** Elements of the last `profiles` array scanned (0 when the last `profiles` is no array). */
  profileCount: number;
}

/**
 * Receives each element of a `profiles` array, in order, with its index and the array's number
 * (0 for the first `profiles` array, 1 for a repeated key's, …). A returned promise is awaited.
 */
export type ProfileVisitor = (
  profile: unknown,
  index: number,
  array: number,
) => undefined | Promise<void>;

export interface ParseUploadOptions {
  /** Bytes scanned between yields. @default 200_000 */
  sliceBytes?: number | undefined;
  /** @default a setImmediate turn */
  yieldNow?: (() => Promise<void>) | undefined;
  /** When set, elements of `profiles` go to it and are not kept. */
  onProfile?: ProfileVisitor | undefined;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(code: number | undefined): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** True when the body holds nothing but JSON whitespace. */
export function isBlankBody(body: Uint8Array): boolean {
  return skipWhitespace(body, 0) === body.length;
}

function skipWhitespace(bytes: Uint8Array, index: number): number {
  let at = index;
  while (at < bytes.length && isWhitespace(bytes[at])) at++;
  return at;
}

function decode(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

function describeAt(bytes: Uint8Array, index: number): string {
  return index >= bytes.length
    ? 'the end of the body'
    : `${JSON.stringify(decode(bytes, index, Math.min(bytes.length, index + 10)))} at byte ${index}`;
}

function expectByte(bytes: Uint8Array, index: number, byte: number, what: string): void {
  if (bytes[index] !== byte) {
    throw new UploadSyntaxError(`expected ${what}, but got ${describeAt(bytes, index)}`);
  }
}

/**
 * Index after the string that opens at `index`. Structural characters are ASCII and no byte of a
 * multi-byte UTF-8 sequence is below 0x80, so scanning bytes finds the same boundaries.
 */
function skipString(bytes: Uint8Array, index: number): number {
  for (let at = index + 1; at < bytes.length; at++) {
    const code = bytes[at];
    if (code === BACKSLASH) at++;
    else if (code === QUOTE) return at + 1;
  }
  throw new UploadSyntaxError(`expected the string at byte ${index} to end, but the body ended`);
}

/**
 * Index after the value that starts at `index`, found by bracket depth alone; the value's own
 * syntax is left to JSON.parse, which refuses anything this lets through.
 */
function skipValue(bytes: Uint8Array, index: number): number {
  const first = bytes[index];
  if (first === QUOTE) return skipString(bytes, index);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let at = index; at < bytes.length; at++) {
      const code = bytes[at];
      if (code === QUOTE) at = skipString(bytes, at) - 1;
      else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return at + 1;
      }
    }
    throw new UploadSyntaxError(`expected the value at byte ${index} to end, but the body ended`);
  }
  let at = index;
  while (at < bytes.length) {
    const code = bytes[at];
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isWhitespace(code)) {
      break;
    }
    at++;
  }
  if (at === index)
    throw new UploadSyntaxError(`expected a value, but got ${describeAt(bytes, index)}`);
  return at;
}

function parseSlice(bytes: Uint8Array, start: number, end: number, what: string): unknown {
  try {
    return JSON.parse(decode(bytes, start, end));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UploadSyntaxError(`${what}: ${reason}`);
  }
}

/**
 * Parses the body (UTF-8 bytes, or a string for convenience) in slices; throws
 * UploadSyntaxError when it is not one JSON object.
 */
export async function parseProfileUpload(
  body: Uint8Array | string,
  options: ParseUploadOptions = {},
): Promise<ParsedUpload> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const sliceBytes = options.sliceBytes ?? 200_000;
  const yieldNow = options.yieldNow ?? yieldToEventLoop;
  const { onProfile } = options;
  const members: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let profiles: unknown;
  let profileArrays = 0;
  let profileCount = 0;
  let scannedAtYield = 0;

  let at = skipWhitespace(bytes, 0);
  expectByte(bytes, at, OPEN_BRACE, 'a JSON object');
  at = skipWhitespace(bytes, at + 1);
  if (bytes[at] === CLOSE_BRACE) at += 1;
  else {
    for (;;) {
      expectByte(bytes, at, QUOTE, 'a member name');
      const keyEnd = skipString(bytes, at);
      const key = parseSlice(bytes, at, keyEnd, `the member name at byte ${at}`) as string;
      at = skipWhitespace(bytes, keyEnd);
      expectByte(bytes, at, COLON, `: after "${key}"`);
      at = skipWhitespace(bytes, at + 1);
      if (key === 'profiles' && bytes[at] === OPEN_BRACKET) {
        const parsed: unknown[] = [];
        const array = profileArrays++;
        let count = 0;
        at = skipWhitespace(bytes, at + 1);
        if (bytes[at] === CLOSE_BRACKET) at += 1;
        else {
          for (;;) {
            const end = skipValue(bytes, at);
            const value = parseSlice(bytes, at, end, `profiles[${count}]`);
            if (onProfile === undefined) parsed.push(value);
            else {
              const visited = onProfile(value, count, array);
              if (visited !== undefined) await visited;
            }
            count += 1;
            at = skipWhitespace(bytes, end);
            if (bytes[at] === CLOSE_BRACKET) {
              at += 1;
              break;
            }
            expectByte(bytes, at, COMMA, `, or ] after profiles[${count - 1}]`);
            at = skipWhitespace(bytes, at + 1);
            if (at - scannedAtYield >= sliceBytes) {
              scannedAtYield = at;
              await yieldNow();
            }
          }
        }
        profiles = parsed;
        profileCount = count;
      } else {
        const end = skipValue(bytes, at);
        const value = parseSlice(bytes, at, end, `"${key}"`);
        if (key === 'profiles') {
          profiles = value;
          profileCount = 0;
        } else members[key] = value;
        at = end;
      }
      at = skipWhitespace(bytes, at);
      if (bytes[at] === CLOSE_BRACE) {
        at += 1;
        break;
      }
      expectByte(bytes, at, COMMA, `, or } after "${key}"`);
      at = skipWhitespace(bytes, at + 1);
    }
  }
  at = skipWhitespace(bytes, at);
  if (at !== bytes.length) {
    throw new UploadSyntaxError(`expected the end of the body, but got ${describeAt(bytes, at)}`);
  }
  return { members, profiles, profileArrays, profileCount };
}
