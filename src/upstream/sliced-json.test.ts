// The sliced parser against native JSON.parse: the same value (key order, duplicate keys,
// `__proto__`, -0) and the same acceptance on random texts valid and not, with a tiny chunk so
// that every path is walked; edge cases by table; and proof that the event loop turns.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseJsonSliced,
  parseLongBody,
  type SlicedJsonOptions,
  stringEnd,
} from './sliced-json.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

function native(text: string): Outcome {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

// Resolved at once: the property runs check the result, not the turns.
const noTurn = () => Promise.resolve();

async function sliced(text: string, options: SlicedJsonOptions): Promise<Outcome> {
  try {
    return { ok: true, value: await parseJsonSliced(text, { yieldToLoop: noTurn, ...options }) };
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return { ok: false, message: error.message };
  }
}

/** Same acceptance; when accepted, deep-equal with the same prototypes, key order and -0. */
function expectSame(actual: Outcome, expected: Outcome, text: string): void {
  expect(actual.ok, `acceptance of ${JSON.stringify(text)}`).toBe(expected.ok);
  if (!actual.ok || !expected.ok) return;
  // Not toStrictEqual: it takes an own `constructor` key for the object's class.
  expect(isDeepStrictEqual(actual.value, expected.value), text).toBe(true);
  expect(JSON.stringify(actual.value)).toBe(JSON.stringify(expected.value));
  expect(ownKeysDeep(actual.value)).toStrictEqual(ownKeysDeep(expected.value));
}

// Every own key, depth first, with `Object.is` for numbers: -0 and 0 differ, order counts.
function ownKeysDeep(value: unknown): unknown {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : value;
  if (value === null || typeof value !== 'object') return value;
  return Reflect.ownKeys(value).map((key) => [
    String(key),
    ownKeysDeep((value as Record<string, unknown>)[key as string]),
  ]);
}

const TINY: SlicedJsonOptions = { chunkChars: 4, sliceChars: 8 };
const SMALL: SlicedJsonOptions = { chunkChars: 24, sliceChars: 64 };

const whitespace = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ');
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.constantFrom('-0', '0.5e-3', '1E+2', '1e400', '-1.5E-400', '123456789012345678901234567890'),
);
const stringText = fc
  .oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\u2028', 'é'))
  .map((s) => JSON.stringify(s));
const keyText = fc.oneof(
  stringText,
  fc.constantFrom('"a"', '"b"', '"__proto__"', '"constructor"', '"0"', '"1"', '""', '"\\u0061"'),
);

/** Valid JSON texts, with whitespace everywhere JSON allows it and keys repeated. */
const { json: jsonText } = fc.letrec((tie) => ({
  json: fc.tuple(whitespace, tie('value'), whitespace).map((parts) => parts.join('')),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null'),
    fc
      .array(fc.tuple(whitespace, tie('value'), whitespace), { maxLength: 6 })
      .map((items) => `[${items.map((parts) => parts.join('')).join(',')}]`),
    fc
      .array(fc.tuple(whitespace, keyText, whitespace, whitespace, tie('value'), whitespace), {
        maxLength: 6,
      })
      .map(
        (members) =>
          `{${members.map(([a, key, b, c, value, d]) => `${a}${key}${b}:${c}${value}${d}`).join(',')}}`,
      ),
    fc.constant('[]'),
    fc.constant('{ }'),
  ),
})) as { json: fc.Arbitrary<string> };

/** A valid text with one character deleted, replaced or inserted: mostly invalid. */
const mutatedText = fc
  .tuple(
    jsonText,
    fc.nat(),
    fc.constantFrom('delete', 'replace', 'insert'),
    fc.constantFrom(...',:[]{}"\\ 0-.eEtfnu\u00a0\ufeff\u0000x'),
  )
  .map(([text, at, how, char]) => {
    const index = text.length === 0 ? 0 : at % text.length;
    if (how === 'delete') return text.slice(0, index) + text.slice(index + 1);
    if (how === 'replace') return text.slice(0, index) + char + text.slice(index + 1);
    return text.slice(0, index) + char + text.slice(index);
  });

describe('parseJsonSliced: the same as JSON.parse', () => {
  it.each([
    ['tiny chunks', TINY],
    ['small chunks', SMALL],
  ])('valid random texts (%s) give the same value', async (_, options) => {
    await fc.assert(
      fc.asyncProperty(jsonText, async (text) => {
        expectSame(await sliced(text, options), native(text), text);
      }),
      { numRuns: 400 },
    );
  });

  it('random JSON values, serialized and pretty-printed, give the same value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.constantFrom(0, 1, 2, '\t'), async (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expectSame(await sliced(text, TINY), native(text), text);
      }),
      { numRuns: 300 },
    );
  });

  it('texts with one character changed are refused exactly when JSON.parse refuses them', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedText, async (text) => {
        expectSame(await sliced(text, TINY), native(text), text);
      }),
      { numRuns: 1_000 },
    );
  });

  it('random strings over JSON punctuation, and random bytes decoded as UTF-8, agree too', async () => {
    const punctuation = fc.string({
      unit: fc.constantFrom(...'[]{}",:\\ 01-e.truefalsn\n'),
      maxLength: 40,
    });
    const bytes = fc.uint8Array({ maxLength: 64 }).map((array) => new TextDecoder().decode(array));
    await fc.assert(
      fc.asyncProperty(fc.oneof(punctuation, bytes), async (text) => {
        expectSame(await sliced(text, TINY), native(text), text);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('parseJsonSliced: edge cases', () => {
  it.each([
    ['empty containers', ' { "a" : [ ] , "b" : { } , "c" : [ [ ] , { } ] } '],
    ['duplicate keys: the last wins, in the first place', '{"a":1,"b":2,"a":[3,4,5,6,7]}'],
    ['a long member repeated after a short one', '{"a":1,"a":[1,2,3,4,5,6],"b":0}'],
    ['__proto__ is an own property', '{"__proto__":{"polluted":[1,2,3,4]},"x":1}'],
    ['__proto__ in a later run', '{"a":[1,2,3,4,5,6],"__proto__":1,"b":{"c":[1,2,3,4]}}'],
    ['integer keys come first', '{"b":1,"2":2,"a":[1,2,3,4,5],"1":3}'],
    ['-0, exponents, big numbers', '[-0,0.5e-3,1E+2,1e400,-1e-400,12345678901234567890123]'],
    ['escapes and brackets in strings', '["]\\"[{",{"}\\\\":"\\\\"},"\\u005d\\ud83d\\ude00"]'],
    ['lone surrogates', '["\\ud800","\\udc00x",{"\\ud800":1}]'],
    ['a top-level long string', JSON.stringify('x'.repeat(100))],
    ['a top-level number', '  -12.5e3  '],
    ['a key escaped as __proto__', '{"\\u005f_proto__":[1,2,3,4,5,6]}'],
    ['whitespace of every kind', '\t\r\n [\t1\r,\n2 ] \n'],
  ])('%s', async (_, text) => {
    expectSame(await sliced(text, TINY), native(text), text);
  });

  it.each([
    ['a trailing comma in an array', '[1,2,]', 'position 5'],
    ['a trailing comma in an object', '{"a":[1,2,3,4,5],}', 'position 17'],
    ['two values without a comma', '[[1,2,3,4,5] 6]', 'position 13'],
    ['a key without quotes', '{a:[1,2,3,4,5]}', 'position 1'],
    ['a missing colon', '{"a" [1,2,3,4,5]}', 'position 5'],
    ['an unclosed array', '[[1,2,3,4,5],', 'position 13'],
    ['an unclosed string', '[[1,2,3,4,5],"abc', 'position 17'],
    ['text after the value', '[[1,2,3,4,5]] x', 'position 14'],
    ['a BOM before the value', '\ufeff[[1,2,3,4,5]]', 'position'],
    ['a non-JSON space', '[\u00a0[1,2,3,4,5]]', 'position'],
    ['a bad literal in a run', '[[1,2,3,4,5],tru]', 'position'],
    ['a raw control character in a string', '[[1,2,3,4,5],"a\u0001"]', 'position'],
    ['a bad escape in a long member key', '{"\\x":[1,2,3,4,5]}', 'position'],
    ['mismatched brackets', '[[1,2,3,4,5}]', 'position'],
  ])('%s is refused, saying where', async (_, text, where) => {
    expect(native(text).ok).toBe(false);
    const result = await sliced(text, TINY);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(where);
  });

  it('nesting 100,000 deep parses without recursion, open or closed', async () => {
    const depth = 100_000;
    const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const result = await sliced(deep, { chunkChars: 16, sliceChars: 4_096 });
    expect(result.ok).toBe(true);
    let level: unknown = result.ok ? result.value : undefined;
    let count = 0;
    while (Array.isArray(level)) {
      level = level[0];
      count++;
    }
    expect([count, level]).toStrictEqual([depth, 1]);
    expect((await sliced(`${'{"a":['.repeat(depth)}]`, TINY)).ok).toBe(false);
  });

  it('stringEnd skips escaped quotes and stops at an even run of backslashes', () => {
    expect(stringEnd('"a\\"b"x', 0)).toBe(6);
    expect(stringEnd('"a\\\\"x', 0)).toBe(5);
    expect(stringEnd('"abc', 0)).toBe(-1);
  });
});

/** A job-like document of about `bytes` characters: one metric map with many keys. */
function bigDocument(bytes: number): string {
  const counter: Record<string, number> = {};
  for (let index = 0; index * 24 < bytes; index++) counter[`segment-${index}`] = index;
  return JSON.stringify({ id: 'job-1', metrics: { segmentedProfileCounter: counter }, tail: [1] });
}

describe('parseJsonSliced: the event loop turns', () => {
  it('a 5 MB body lets a setImmediate probe run many times, and the value is right', async () => {
    const text = bigDocument(5_000_000);
    let turns = 0;
    let isParsing = true;
    const probe = () => {
      if (!isParsing) return;
      turns++;
      setImmediate(probe);
    };
    setImmediate(probe);
    const value = await parseJsonSliced(text);
    isParsing = false;
    expect(isDeepStrictEqual(value, JSON.parse(text))).toBe(true);
    // 5 MB in slices of 64 KiB of work (the scan in slices four times as long): about 90.
    expect(turns).toBeGreaterThanOrEqual(50);
  });

  it('an abort between slices stops the parse with the signal reason', async () => {
    const controller = new AbortController();
    let turns = 0;
    const yieldToLoop = async () => {
      turns++;
      if (turns === 3) controller.abort(new Error('caller went away'));
    };
    await expect(
      parseJsonSliced(bigDocument(1_000_000), {
        signal: controller.signal,
        sliceChars: 16_384,
        yieldToLoop,
      }),
    ).rejects.toThrow('caller went away');
    expect(turns).toBe(3);
  });
});

describe('parseLongBody', () => {
  it('reads a body in slices, says when it is not JSON, and reports an abort as no value', async () => {
    const text = JSON.stringify({ a: Array.from({ length: 30_000 }, (_, index) => index) });
    expect(await parseLongBody(text, undefined)).toStrictEqual({
      isJson: true,
      value: JSON.parse(text),
    });
    expect((await parseLongBody(`${text.slice(0, -1)},}`, undefined)).isJson).toBe(false);
    expect((await parseLongBody(text, AbortSignal.abort())).isJson).toBe(false);
  });
});
