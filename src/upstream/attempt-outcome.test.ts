import { describe, expect, it, vi } from 'vitest';
import {
  type AttemptOutcome,
  answerStep,
  breakerVerdict,
  httpError,
  MAX_ERROR_BODY_CHARS,
  networkOutcome,
} from './attempt-outcome.ts';

describe('answerStep', () => {
  it.each([
    [200, true, false, false, 'read'],
    [207, true, false, false, 'read'],
    [204, false, false, false, 'read'],
    [401, true, true, false, 'renew-token'],
    [401, false, true, false, 'renew-token'],
    [401, true, true, true, 'fail'],
    [401, true, false, false, 'fail'],
    [404, true, false, false, 'fail'],
    [429, true, false, false, 'maybe-retry'],
    [503, true, false, false, 'maybe-retry'],
    [503, false, false, false, 'fail'],
    [429, false, false, false, 'fail'],
  ] as const)(
    'status %i, idempotent %s, canRenew %s, renewed %s → %s',
    (status, isIdempotent, canRenew, hasRenewed, step) => {
      expect(
        answerStep({
          status,
          isIdempotent,
          canRenew,
          hasRenewed,
          isRetryableStatus: status === 429 || status >= 500,
        }),
      ).toBe(step);
    },
  );
});

describe('breakerVerdict', () => {
  const response = (status: number): AttemptOutcome => ({
    kind: 'response',
    status,
    headers: {},
    text: '',
  });
  it.each<[string, AttemptOutcome, string]>([
    ['a 200', response(200), 'success'],
    ['a 404', response(404), 'success'],
    ['a 500', response(500), 'failure'],
    ['a timeout', { kind: 'timeout' }, 'failure'],
    ['a caller abort', { kind: 'aborted' }, 'neutral'],
    [
      'a refused connection',
      networkOutcome(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })),
      'failure',
    ],
    [
      'an unsendable header',
      networkOutcome(Object.assign(new Error('x'), { code: 'UND_ERR_INVALID_ARG' })),
      'neutral',
    ],
  ])('%s → %s', (_name, outcome, verdict) => {
    expect(breakerVerdict(outcome)).toBe(verdict);
  });

  it('finds a network code in the cause chain and knows connect failures', () => {
    const outcome = networkOutcome(new Error('wrapped', { cause: { code: 'ECONNREFUSED' } }));
    expect(outcome).toMatchObject({
      kind: 'network',
      code: 'ECONNREFUSED',
      isConnectFailure: true,
    });
    expect(networkOutcome(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toMatchObject({
      isConnectFailure: false,
    });
  });
});

describe('httpError', () => {
  const context = { method: 'GET', path: '/segment/jobs', isIdempotent: true, secrets: [] };
  const answer = (body: unknown) => ({
    status: 400,
    headers: {},
    text: JSON.stringify(body),
    sentRequestId: 'sent-1',
  });

  it('keeps the explanation of an error body of ordinary size', () => {
    const error = httpError(context, answer({ title: 'Bad sort', status: 400 }), undefined);
    expect(error.message).toContain('Bad sort');
  });

  it('does not parse an error body longer than the limit, and keeps only its status', () => {
    const body = { title: 'Bad sort', padding: 'x'.repeat(MAX_ERROR_BODY_CHARS) };
    const parse = vi.spyOn(JSON, 'parse');
    const error = httpError(context, answer(body), undefined);
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    expect(error.message).not.toContain('Bad sort');
    expect(error.message).toContain('400');
  });
});
