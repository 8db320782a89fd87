import { describe, expect, it } from 'vitest';
import { isPreflighted } from './csrf-prevention.ts';

describe('isPreflighted', () => {
  it.each<[string, Record<string, string>, boolean]>([
    ['a JSON body', { 'content-type': 'application/json' }, true],
    ['a JSON body with a charset', { 'content-type': 'Application/JSON; charset=utf-8' }, true],
    ['a GraphQL response body type', { 'content-type': 'application/graphql-response+json' }, true],
    ['a text/plain body', { 'content-type': 'text/plain' }, false],
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, false],
    ['a multipart body', { 'content-type': 'multipart/form-data; boundary=x' }, false],
    ['no content type', {}, false],
    ['no content type but the yoga header', { 'x-graphql-yoga-csrf': '1' }, true],
    ['no content type but the generic header', { 'graphql-require-preflight': '' }, true],
    [
      'a text/plain body with the Apollo header',
      { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' },
      true,
    ],
  ])('%s → %s', (_name, headers, expected) => {
    expect(isPreflighted(new Headers(headers))).toBe(expected);
  });
});
