// Parses a `POST /emulator/profiles` body without one long JSON.parse: it scans the top-level
// object itself and parses the `profiles` array one element at a time, yielding to the event loop
// every `sliceChars` characters. It validates nothing but JSON syntax; the loader checks the rest.

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
  /** The parsed `profiles` array, or its value when it is not an array; undefined when absent. */
  profiles: unknown;
}

export interface ParseUploadOptions {
  /** Characters scanned between yields. @default 200_000 */
  sliceChars?: number | undefined;
  /** @default a setImmediate turn */
  yieldNow?: (() => Promise<void>) | undefined;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipWhitespace(text: string, index: number): number {
  let at = index;
  while (at < text.length && isWhitespace(text.charCodeAt(at))) at++;
  return at;
}

function describeAt(text: string, index: number): string {
  return index >= text.length
    ? 'the end of the body'
    : `${JSON.stringify(text.slice(index, index + 10))} at offset ${index}`;
}

function expectChar(text: string, index: number, char: string, what: string): void {
  if (text[index] !== char) {
    throw new UploadSyntaxError(`expected ${what}, but got ${describeAt(text, index)}`);
  }
}

/** Index after the string that opens at `index`. */
function skipString(text: string, index: number): number {
  for (let at = index + 1; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 0x5c) at++;
    else if (code === 0x22) return at + 1;
  }
  throw new UploadSyntaxError(`expected the string at offset ${index} to end, but the body ended`);
}

/**
 * Index after the value that starts at `index`, found by bracket depth alone; the value's own
 * syntax is left to JSON.parse, which refuses anything this lets through.
 */
function skipValue(text: string, index: number): number {
  const first = text.charCodeAt(index);
  if (first === 0x22) return skipString(text, index);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let at = index; at < text.length; at++) {
      const code = text.charCodeAt(at);
      if (code === 0x22) at = skipString(text, at) - 1;
      else if (code === 0x7b || code === 0x5b) depth++;
      else if (code === 0x7d || code === 0x5d) {
        depth--;
        if (depth === 0) return at + 1;
      }
    }
    throw new UploadSyntaxError(`expected the value at offset ${index} to end, but the body ended`);
  }
  let at = index;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code === 0x2c || code === 0x7d || code === 0x5d || isWhitespace(code)) break;
    at++;
  }
  if (at === index)
    throw new UploadSyntaxError(`expected a value, but got ${describeAt(text, index)}`);
  return at;
}

function parseSlice(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UploadSyntaxError(`${what}: ${reason}`);
  }
}

/** Parses the body in slices; throws UploadSyntaxError when it is not one JSON object. */
export async function parseProfileUpload(
  text: string,
  options: ParseUploadOptions = {},
): Promise<ParsedUpload> {
  const sliceChars = options.sliceChars ?? 200_000;
  const yieldNow = options.yieldNow ?? yieldToEventLoop;
  const members: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let profiles: unknown;
  let scannedAtYield = 0;

  let at = skipWhitespace(text, 0);
  expectChar(text, at, '{', 'a JSON object');
  at = skipWhitespace(text, at + 1);
  if (text[at] === '}') at += 1;
  else {
    for (;;) {
      expectChar(text, at, '"', 'a member name');
      const keyEnd = skipString(text, at);
      const key = parseSlice(text.slice(at, keyEnd), `the member name at offset ${at}`) as string;
      at = skipWhitespace(text, keyEnd);
      expectChar(text, at, ':', `: after "${key}"`);
      at = skipWhitespace(text, at + 1);
      if (key === 'profiles' && text[at] === '[') {
        const parsed: unknown[] = [];
        at = skipWhitespace(text, at + 1);
        if (text[at] === ']') at += 1;
        else {
          for (;;) {
            const end = skipValue(text, at);
            parsed.push(parseSlice(text.slice(at, end), `profiles[${parsed.length}]`));
            at = skipWhitespace(text, end);
            if (text[at] === ']') {
              at += 1;
              break;
            }
            expectChar(text, at, ',', `, or ] after profiles[${parsed.length - 1}]`);
            at = skipWhitespace(text, at + 1);
            if (at - scannedAtYield >= sliceChars) {
              scannedAtYield = at;
              await yieldNow();
            }
          }
        }
        profiles = parsed;
      } else {
        const end = skipValue(text, at);
        const value = parseSlice(text.slice(at, end), `"${key}"`);
        if (key === 'profiles') profiles = value;
        else members[key] = value;
        at = end;
      }
      at = skipWhitespace(text, at);
      if (text[at] === '}') {
        at += 1;
        break;
      }
      expectChar(text, at, ',', `, or } after "${key}"`);
      at = skipWhitespace(text, at + 1);
    }
  }
  at = skipWhitespace(text, at);
  if (at !== text.length) {
    throw new UploadSyntaxError(`expected the end of the body, but got ${describeAt(text, at)}`);
  }
  return { members, profiles };
}
