import { describe, expect, it } from 'vitest';
import { corsForOrigins } from './cors.ts';

describe('corsForOrigins', () => {
  const request = (origin?: string) =>
    new Request('http://gateway/graphql', origin === undefined ? {} : { headers: { origin } });

  it('leaves CORS to yoga’s default when no origin is configured', () => {
    expect(corsForOrigins([])).toBeUndefined();
  });

  it.each<[string, string | undefined, unknown]>([
    [
      'a listed origin',
      'https://app.example',
      { origin: ['https://app.example'], credentials: false },
    ],
    [
      'another listed origin',
      'https://admin.example',
      { origin: ['https://admin.example'], credentials: false },
    ],
    ['an unlisted origin', 'https://evil.example', false],
    ['no origin', undefined, false],
  ])('answers %s with %j', (_name, origin, expected) => {
    const decide = corsForOrigins(['https://app.example', 'https://admin.example']);
    expect(decide?.(request(origin))).toEqual(expected);
  });
});
