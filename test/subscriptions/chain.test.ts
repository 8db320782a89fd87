// The chain checks the subscription tests rely on: they must accept sound streams and name what
// is wrong with unsound ones, or every assertion built on them proves nothing.
import { describe, expect, it } from 'vitest';
import { type StatusEventLike, streamProblems } from '../support/subscription-chain.ts';

function event(
  status: string,
  previousStatus: string | null,
  initial = false,
  jobId = 'j1',
): StatusEventLike {
  return { jobId, status, previousStatus, initial };
}

describe('streamProblems', () => {
  it.each([
    [
      'a full chain',
      [
        event('NEW', null, true),
        event('QUEUED', 'NEW'),
        event('PROCESSING', 'QUEUED'),
        event('SUCCEEDED', 'PROCESSING'),
      ],
    ],
    ['a skipped status', [event('NEW', null, true), event('SUCCEEDED', 'NEW')]],
    [
      'a cancel',
      [
        event('PROCESSING', null, true),
        event('CANCELLING', 'PROCESSING'),
        event('CANCELLED', 'CANCELLING'),
      ],
    ],
    [
      'two jobs interleaved',
      [
        event('NEW', null, true, 'a'),
        event('NEW', null, true, 'b'),
        event('SUCCEEDED', 'NEW', false, 'b'),
        event('SUCCEEDED', 'NEW', false, 'a'),
      ],
    ],
  ])('accepts %s', (_name, events) => {
    expect(streamProblems(events, { expectInitial: true })).toEqual([]);
  });

  it.each([
    [
      'a missing initial event',
      [event('NEW', null), event('QUEUED', 'NEW')],
      /expected initial true/,
    ],
    [
      'a second initial event',
      [event('NEW', null, true), event('QUEUED', 'NEW', true)],
      /expected initial false/,
    ],
    [
      'an initial event with a previous status',
      [event('QUEUED', 'NEW', true)],
      /previousStatus null/,
    ],
    [
      'a broken chain',
      [event('NEW', null, true), event('PROCESSING', 'QUEUED')],
      /expected previousStatus NEW/,
    ],
    ['a repeat', [event('QUEUED', null, true), event('QUEUED', 'QUEUED')], /forward move/],
    [
      'a move back',
      [event('PROCESSING', null, true), event('QUEUED', 'PROCESSING')],
      /forward move/,
    ],
    [
      'an event after the end',
      [event('NEW', null, true), event('SUCCEEDED', 'NEW'), event('FAILED', 'SUCCEEDED')],
      /after a final status/,
    ],
    ['an unknown status', [event('DONE', null, true)], /unknown status/],
  ])('reports %s', (_name, events, problem) => {
    const problems = streamProblems(events, { expectInitial: true });
    expect(
      problems.some((text) => problem.test(text)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('reports an initial event on the feed, where there are none', () => {
    expect(streamProblems([event('NEW', null, true)], { expectInitial: false })).toHaveLength(1);
  });
});
