import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProfileUpload, UploadSyntaxError } from './profile-upload-parser.ts';

/** What JSON.parse makes of the body, in the parser's shape; or 'invalid' when it is no object. */
function reference(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid';
  const { profiles, ...members } = parsed as Record<string, unknown>;
  return { members, profiles };
}

async function parsed(text: string, sliceBytes = 7): Promise<unknown> {
  try {
    const result = await parseProfileUpload(text, { sliceBytes });
    return { members: { ...result.members }, profiles: result.profiles };
  } catch (error) {
    if (error instanceof UploadSyntaxError) return 'invalid';
    throw error;
  }
}

describe('parseProfileUpload', () => {
  it.each([
    ['{"profiles":[{"a":1},{"b":[2,"]"]}],"replace":true}'],
    [' { "replace" : false , "profiles" : [ ] } '],
    ['{"profiles":"nope"}'],
    ['{"profiles":[1,2],"profiles":[3]}'],
    ['{}'],
    ['{"profiles":[{"s":"\\"}{"}]}'],
    ['{"profiles":[1,]}'],
    ['{"profiles":[{"a":1}{"b":2}]}'],
    ['{"profiles":[{"a":[}]}]}'],
    ['{"profiles":[1] "x":2}'],
    ['{"profiles":[1]}x'],
    ['[{"profiles":[]}]'],
    ['{"profiles":[tru e]}'],
    ['{"profiles":[1'],
    ['{"profiles":["abc'],
  ])('reads %s as JSON.parse does', async (text) => {
    expect(await parsed(text)).toEqual(reference(text));
  });

  it('agrees with JSON.parse on arbitrary bodies and their truncations', async () => {
    const body = fc.record(
      {
        profiles: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 }),
        replace: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.nat(), fc.boolean(), async (value, cut, spaced) => {
        const text = JSON.stringify(value, null, spaced ? 1 : undefined);
        expect(await parsed(text)).toEqual(reference(text));
        const truncated = text.slice(0, cut % (text.length + 1));
        expect(await parsed(truncated)).toEqual(reference(truncated));
      }),
      { numRuns: 500 },
    );
  });

  it('yields once per slice of bytes', async () => {
    let yields = 0;
    const text = JSON.stringify({ profiles: Array.from({ length: 100 }, (_, n) => ({ n })) });
    await parseProfileUpload(text, {
      sliceBytes: 100,
      yieldNow: async () => {
        yields += 1;
      },
    });
    expect(yields).toBeGreaterThanOrEqual(Math.floor(text.length / 110));
  });
});
