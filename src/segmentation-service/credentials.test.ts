import { describe, expect, it } from 'vitest';
import { readCredentials } from './credentials.ts';
import { GatewayError } from './service-errors.ts';

const complete = {
  authorization: 'Bearer token',
  'x-api-key': 'key',
  'x-gw-ims-org-id': 'ORG@AdobeOrg',
  'x-sandbox-name': 'dev',
};

describe('readCredentials', () => {
  it('derives the tenant from org and sandbox', () => {
    expect(readCredentials(complete)).toEqual({ orgId: 'ORG@AdobeOrg', sandboxName: 'dev' });
  });

  it.each([
    ['no Authorization', { authorization: undefined }, 401, '401013'],
    ['a Basic Authorization', { authorization: 'Basic abc' }, 401, '401013'],
    ['an empty bearer token', { authorization: 'Bearer  ' }, 401, '401013'],
    ['no API key', { 'x-api-key': '' }, 403, '403000'],
    ['no org', { 'x-gw-ims-org-id': undefined }, 400, '400003'],
    ['no sandbox', { 'x-sandbox-name': ' ' }, 400, '400003'],
    ['an overlong sandbox', { 'x-sandbox-name': 'x'.repeat(300) }, 400, '400003'],
  ])('answers %s with %i %s', (_, override, status, errorCode) => {
    let caught: unknown;
    try {
      readCredentials({ ...complete, ...override });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect(caught).toMatchObject({ status, errorCode });
  });
});
