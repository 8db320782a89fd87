import { describe, expect, it } from 'vitest';
import {
  lookupInConnectionParams,
  lookupInHeaders,
  readPassthroughCredentials,
} from './credential-headers.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.payload.signature';
const valid: Record<string, string> = {
  authorization: `Bearer ${TOKEN}`,
  'x-api-key': 'my-client-id',
  'x-gw-ims-org-id': 'E95186D65A28ABF00A495D82@AdobeOrg',
  'x-sandbox-name': 'prod',
};

function problemsFor(headers: Record<string, string | undefined>): string[] {
  const read = readPassthroughCredentials(lookupInHeaders(headers));
  return read.ok ? [] : read.problems;
}

describe('readPassthroughCredentials', () => {
  it('accepts the four headers and normalises the Bearer spelling', () => {
    const read = readPassthroughCredentials(
      lookupInHeaders({ ...valid, authorization: `bearer ${TOKEN}` }),
    );
    expect(read).toEqual({
      ok: true,
      credentials: {
        authorization: `Bearer ${TOKEN}`,
        accessToken: TOKEN,
        apiKey: 'my-client-id',
        orgId: 'E95186D65A28ABF00A495D82@AdobeOrg',
        sandboxName: 'prod',
      },
    });
  });

  it.each([
    ['authorization', 'authorization: missing, expected "Bearer <access token>"'],
    ['x-api-key', 'x-api-key: missing'],
    ['x-gw-ims-org-id', 'x-gw-ims-org-id: missing'],
    ['x-sandbox-name', 'x-sandbox-name: missing'],
  ])('names a missing %s', (name, problem) => {
    const problems = problemsFor({ ...valid, [name]: undefined });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it.each<[string, string, string, string]>([
    ['authorization', 'Basic dXNlcjpwYXNz', 'expected "Bearer <access token>"', 'dXNlcjpwYXNz'],
    ['authorization', 'Bearer', 'expected "Bearer <access token>"', ''],
    ['authorization', `Bearer ${TOKEN}\r\nx-evil: 1`, 'a line break at position', TOKEN],
    ['authorization', `Bearer ${TOKEN}\u0007`, 'a control character', TOKEN],
    [
      'authorization',
      `Bearer ${'a'.repeat(8_200)}`,
      'at most 8192 characters, but got 8207',
      'aaaa',
    ],
    ['authorization', `Bearer tok\u00e9n`, 'printable ASCII only', 'tok'],
    ['x-api-key', 'key with spaces', 'printable ASCII without spaces', 'with spaces'],
    ['x-api-key', 'k'.repeat(257), 'at most 256 characters, but got 257', 'kkkk'],
    ['x-api-key', 'key\nnext', 'a line break at position 4', 'next'],
    ['x-gw-ims-org-id', 'E95186D65A28ABF00A495D82', 'like 1234ABCD@AdobeOrg', 'E95186'],
    ['x-gw-ims-org-id', 'x@example.com', 'like 1234ABCD@AdobeOrg', 'example'],
    ['x-sandbox-name', 'Prod', 'lower-case sandbox name', 'Prod'],
    ['x-sandbox-name', 'my_sandbox', 'a-z, 0-9 and -', 'my_sandbox'],
    ['x-sandbox-name', `prod${'x'.repeat(300)}`, 'at most 256 characters', 'prodx'],
  ])('rejects %s = %j: says "%s" and does not echo the value', (name, value, problem, secret) => {
    const problems = problemsFor({ ...valid, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
    expect(problems[0]).toContain(problem);
    if (secret !== '') expect(problems[0]).not.toContain(secret);
  });

  it('reports every wrong header at once', () => {
    expect(problemsFor({ authorization: 'Basic x', 'x-sandbox-name': 'PROD' })).toHaveLength(4);
  });

  it('refuses a repeated header', () => {
    const read = readPassthroughCredentials(lookupInHeaders({ ...valid, 'x-api-key': ['a', 'b'] }));
    expect(read.ok ? [] : read.problems).toEqual([
      'x-api-key: expected exactly one value, but got 2',
    ]);
  });
});

describe('header lookups', () => {
  it('reads a Fetch Headers object case-insensitively', () => {
    const headers = new Headers({ 'X-Sandbox-Name': 'prod' });
    expect(lookupInHeaders(headers)('x-sandbox-name')).toBe('prod');
  });

  it('reads a record with any header case', () => {
    expect(lookupInHeaders({ 'X-API-Key': 'k' })('x-api-key')).toBe('k');
  });

  it.each<[string, unknown]>([
    ['top level', { ...valid }],
    [
      'top level, other case',
      {
        Authorization: valid.authorization,
        'X-Api-Key': 'my-client-id',
        'x-gw-ims-org-id': valid['x-gw-ims-org-id'],
        'x-sandbox-name': 'prod',
      },
    ],
    ['nested headers', { headers: { ...valid } }],
    [
      'split between both',
      { authorization: valid.authorization, headers: { ...valid, authorization: undefined } },
    ],
  ])('reads connectionParams: %s', (_name, params) => {
    expect(readPassthroughCredentials(lookupInConnectionParams(params)).ok).toBe(true);
  });

  it.each([undefined, null, 'Bearer x', 42, []])(
    'treats connectionParams %j as no headers',
    (params) => {
      const read = readPassthroughCredentials(lookupInConnectionParams(params));
      expect(read.ok ? 0 : read.problems.length).toBe(4);
    },
  );

  it('refuses a non-string value in connectionParams', () => {
    const read = readPassthroughCredentials(
      lookupInConnectionParams({ ...valid, 'x-sandbox-name': { name: 'prod' } }),
    );
    expect(read.ok ? [] : read.problems).toEqual([
      'x-sandbox-name: expected a string, but got an object',
    ]);
  });
});
