import { describe, expect, it } from 'vitest';
import type { SegmentJobModel, SegmentJobStatus } from '../domain/index.ts';
import {
  isFeedUpdate,
  type JobState,
  type ObservationSource,
  observeJob,
} from './job-observation.ts';

function job(status: SegmentJobStatus, updateTime = 1): SegmentJobModel {
  return { id: 'j1', status, updateTime } as unknown as SegmentJobModel;
}

function state(status: SegmentJobStatus, isFeedSeen = false): JobState {
  return { job: job(status), observedAt: 1, isFeedSeen };
}

type Row = {
  name: string;
  previous: JobState | undefined;
  status: SegmentJobStatus;
  source: ObservationSource;
  isFeedActive: boolean;
  isWatched: boolean;
  announcesFirstSight?: boolean;
  expected: string;
};

// expected: kind, then for 'seen': publish target / previousStatus / isFeedSeen of the next state.
const rows: Row[] = [
  {
    name: 'an unwatched job outside the feed',
    previous: undefined,
    status: 'NEW',
    source: 'poll',
    isFeedActive: false,
    isWatched: false,
    expected: 'ignored',
  },
  {
    name: 'a first look at a watched job',
    previous: undefined,
    status: 'QUEUED',
    source: 'poll',
    isFeedActive: false,
    isWatched: true,
    expected: 'seen none - false',
  },
  {
    name: 'a first look announced for other replicas',
    previous: undefined,
    status: 'QUEUED',
    source: 'poll',
    isFeedActive: false,
    isWatched: true,
    announcesFirstSight: true,
    expected: 'seen job - false',
  },
  {
    name: 'a job first listed by the baseline',
    previous: undefined,
    status: 'NEW',
    source: 'baseline',
    isFeedActive: true,
    isWatched: false,
    expected: 'seen none - true',
  },
  {
    name: 'a job first listed by the feed',
    previous: undefined,
    status: 'NEW',
    source: 'feed',
    isFeedActive: true,
    isWatched: false,
    expected: 'seen job-and-feed - true',
  },
  {
    name: 'a created job nudged in while the feed runs',
    previous: undefined,
    status: 'NEW',
    source: 'nudge',
    isFeedActive: true,
    isWatched: false,
    expected: 'seen job-and-feed - true',
  },
  {
    name: 'a nudge with no feed and nobody watching',
    previous: undefined,
    status: 'NEW',
    source: 'nudge',
    isFeedActive: false,
    isWatched: false,
    expected: 'ignored',
  },
  {
    name: 'the same status polled again',
    previous: state('QUEUED'),
    status: 'QUEUED',
    source: 'poll',
    isFeedActive: false,
    isWatched: true,
    expected: 'seen none - false',
  },
  {
    name: 'a watched job the feed lists for the first time',
    previous: state('QUEUED'),
    status: 'QUEUED',
    source: 'feed',
    isFeedActive: true,
    isWatched: true,
    expected: 'seen feed - true',
  },
  {
    name: 'a job the feed already announced',
    previous: state('QUEUED', true),
    status: 'QUEUED',
    source: 'feed',
    isFeedActive: true,
    isWatched: true,
    expected: 'seen none - true',
  },
  {
    name: 'a forward move',
    previous: state('QUEUED'),
    status: 'PROCESSING',
    source: 'poll',
    isFeedActive: false,
    isWatched: true,
    expected: 'seen job-and-feed QUEUED false',
  },
  {
    name: 'a skipped status',
    previous: state('NEW', true),
    status: 'SUCCEEDED',
    source: 'feed',
    isFeedActive: true,
    isWatched: false,
    expected: 'seen job-and-feed NEW true',
  },
  {
    name: 'a backward move',
    previous: state('PROCESSING'),
    status: 'QUEUED',
    source: 'poll',
    isFeedActive: false,
    isWatched: true,
    expected: 'stale PROCESSING>QUEUED',
  },
  {
    name: 'a move out of a final status',
    previous: state('SUCCEEDED'),
    status: 'FAILED',
    source: 'poll',
    isFeedActive: false,
    isWatched: true,
    expected: 'stale SUCCEEDED>FAILED',
  },
];

describe('observeJob', () => {
  it.each(rows)('$name → $expected', (row) => {
    const observation = observeJob({
      previous: row.previous,
      job: job(row.status, 2),
      observedAt: 2,
      source: row.source,
      isFeedActive: row.isFeedActive,
      isWatched: row.isWatched,
      announcesFirstSight: row.announcesFirstSight,
    });
    const summary =
      observation.kind === 'ignored'
        ? 'ignored'
        : observation.kind === 'stale'
          ? `stale ${observation.from}>${observation.to}`
          : `seen ${observation.publish} ${observation.previousStatus ?? '-'} ${observation.next.isFeedSeen}`;
    expect(summary).toBe(row.expected);
    if (observation.kind === 'seen') expect(observation.next.job.status).toBe(row.status);
  });
});

describe('isFeedUpdate', () => {
  it.each([
    { name: 'an unknown job', previous: undefined, listed: job('NEW'), expected: true },
    { name: 'a job not yet feed-seen', previous: state('NEW'), listed: job('NEW'), expected: true },
    {
      name: 'an unchanged feed-seen job',
      previous: state('NEW', true),
      listed: job('NEW'),
      expected: false,
    },
    {
      name: 'a new update time',
      previous: state('NEW', true),
      listed: job('NEW', 5),
      expected: true,
    },
    { name: 'a new status', previous: state('NEW', true), listed: job('QUEUED'), expected: true },
  ])('$name → $expected', ({ previous, listed, expected }) => {
    expect(isFeedUpdate(previous, listed)).toBe(expected);
  });
});
