import { describe, expect, it } from 'vitest';
import {
  type AttemptOutcome,
  answerStep,
  breakerVerdict,
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
