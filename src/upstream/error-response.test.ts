import { describe, expect, it } from 'vitest';
import { errorFromResponse, sanitizeText, summarizeErrorBody } from './error-response.ts';

describe('summarizeErrorBody reads the three documented shapes', () => {
  it.each<[string, unknown, Record<string, string | undefined>]>([
    [
      'gateway',
      { error_code: '401013', message: 'Oauth token is not valid' },
      { upstreamCode: '401013', title: 'Oauth token is not valid' },
    ],
    [
      'problem details',
      {
        type: 'https://ns.adobe.com/aep/errors/UPS-1234-400',
        title: 'Bad request',
        status: 400,
        detail: 'limit',
      },
      { upstreamCode: 'UPS-1234-400', title: 'Bad request' },
    ],
    [
      'segmentation service',
      {
        requestId: 'abc123',
        type: 'https://ns.adobe.com/aep/errors/UPAPI-113430-404',
        title: 'Job not found',
        status: 404,
        errors: { '404': [{ code: 404, message: 'Job not found' }] },
      },
      { upstreamCode: 'UPAPI-113430-404', requestId: 'abc123', title: 'Job not found' },
    ],
    [
      'segmentation service with a named code in errors',
      {
        type: 'x',
        errors: { '403': [{ code: 'UPAPI-113752-403', message: 'Permission denied' }] },
      },
      { upstreamCode: 'UPAPI-113752-403', title: 'Permission denied' },
    ],
    ['not an object', 'oops', {}],
  ])('%s', (_name, body, expected) => {
    expect(summarizeErrorBody(body)).toEqual(expect.objectContaining(expected));
  });
});

describe('sanitizeText', () => {
  it.each([
    ['Bearer abc.def.ghi rejected', 'Bearer [redacted] rejected'],
    ['token eyJhbGciOi.eyJzdWIi.c2ln expired', 'token [redacted] expired'],
    ['client_secret=p8e-123 wrong', 'client_secret=[redacted] wrong'],
    ['"access_token": "zzz"', '"access_token": "[redacted]"'],
    [`key ${'a'.repeat(48)} bad`, 'key [redacted] bad'],
    ['line\r\nbreak\u0000', 'line break'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeText(input)).toBe(expected);
  });

  it('removes listed secrets and caps the length', () => {
    expect(sanitizeText('the value s3cr3t leaked', ['s3cr3t'])).toBe('the value [redacted] leaked');
    expect(sanitizeText('word '.repeat(100), [], 20)).toHaveLength(20);
  });
});

describe('errorFromResponse', () => {
  it.each([
    [400, 'BAD_USER_INPUT'],
    [422, 'BAD_USER_INPUT'],
    [409, 'BAD_USER_INPUT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [429, 'RATE_LIMITED'],
    [500, 'UPSTREAM_UNAVAILABLE'],
    [503, 'UPSTREAM_UNAVAILABLE'],
  ])('%i → %s', (status, code) => {
    const error = errorFromResponse({
      method: 'GET',
      path: '/segment/jobs',
      status,
      body: undefined,
    });
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
  });

  it('prefers the x-request-id header, then the body, then the id sent', () => {
    const body = { requestId: 'from-body' };
    const base = { method: 'GET', path: '/p', status: 404, body, sentRequestId: 'sent' };
    expect(errorFromResponse({ ...base, headerRequestId: 'from-header' }).requestId).toBe(
      'from-header',
    );
    expect(errorFromResponse(base).requestId).toBe('from-body');
    expect(errorFromResponse({ ...base, body: undefined }).requestId).toBe('sent');
  });

  it.each([
    [400, 'unknown segment ids: seg-9'],
    [422, 'unknown segment ids: seg-9'],
    [500, 'Bad request'],
  ])('a %i says %s', (status, expected) => {
    const body = {
      title: 'Bad request',
      status,
      errors: { [String(status)]: [{ code: 'UPAPI-1', message: 'unknown segment ids: seg-9' }] },
    };
    const error = errorFromResponse({ method: 'POST', path: '/segment/jobs', status, body });
    expect(error.message).toContain(expected);
    if (status >= 500) expect(error.message).not.toContain('seg-9');
  });
});
