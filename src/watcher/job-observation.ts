// The observation of one job: given the last state seen and a freshly read document, the next
// state and what to publish. Pure: no clock, no bus, no upstream; the tenant poller applies it.
import { canTransition, type SegmentJobModel, type SegmentJobStatus } from '../domain/index.ts';

/** Where a document came from; decides what a job never seen before means. */
export type ObservationSource = 'poll' | 'baseline' | 'feed' | 'nudge';

/** The last state seen of one job. */
export interface JobState {
  job: SegmentJobModel;
  observedAt: number;
  /** True once the feed has announced the job (or listed it in its baseline). */
  isFeedSeen: boolean;
}

export interface ObservationInput {
  previous: JobState | undefined;
  job: SegmentJobModel;
  observedAt: number;
  source: ObservationSource;
  /** True while the tenant feed is polled (here, or for another replica). */
  isFeedActive: boolean;
  /** True while someone watches this job id. */
  isWatched: boolean;
  /**
   * Publish a job seen for the first time on its job topic. A lease holder polling ids that
   * other replicas watch sets it: their subscribers fetched an initial state of their own, and
   * a move before this first look would otherwise never reach them (a repeat is dropped).
   * @default false
   */
  announcesFirstSight?: boolean | undefined;
}

/** Which topics an observation is published on. */
export type PublishTarget = 'none' | 'job' | 'feed' | 'job-and-feed';

export type Observation =
  /** Neither watched nor part of the feed: nothing to remember. */
  | { kind: 'ignored' }
  /** A status that does not move forward (an older answer overtaking a newer one). */
  | { kind: 'stale'; from: SegmentJobStatus; to: SegmentJobStatus }
  | {
      kind: 'seen';
      next: JobState;
      publish: PublishTarget;
      /** The status published as `previousStatus`: the one seen before, null when new. */
      previousStatus: SegmentJobStatus | null;
    };

/** Compares a document with the last state seen of its job. */
export function observeJob(input: ObservationInput): Observation {
  const { previous, job, observedAt, source } = input;
  const isFeedSource = input.isFeedActive && source !== 'poll';
  if (previous === undefined) {
    if (!input.isWatched && !isFeedSource) return { kind: 'ignored' };
    // A job the feed lists for the first time, or one created through the gateway, is news
    // to feed subscribers; the baseline and a look at a watched id are not.
    const isNews = isFeedSource && source !== 'baseline';
    const publish: PublishTarget = isNews
      ? 'job-and-feed'
      : input.announcesFirstSight === true
        ? 'job'
        : 'none';
    return {
      kind: 'seen',
      next: { job, observedAt, isFeedSeen: isFeedSource },
      publish,
      previousStatus: null,
    };
  }
  const isFeedSeen = previous.isFeedSeen || isFeedSource;
  if (previous.job.status === job.status) {
    const isNewToFeed = isFeedSource && !previous.isFeedSeen && source !== 'baseline';
    return {
      kind: 'seen',
      next: { job, observedAt, isFeedSeen },
      publish: isNewToFeed ? 'feed' : 'none',
      previousStatus: null,
    };
  }
  if (!canTransition(previous.job.status, job.status)) {
    return { kind: 'stale', from: previous.job.status, to: job.status };
  }
  return {
    kind: 'seen',
    next: { job, observedAt, isFeedSeen },
    publish: 'job-and-feed',
    previousStatus: previous.job.status,
  };
}

/** Whether the feed should count a listed job as an update (it pages on while all are). */
export function isFeedUpdate(previous: JobState | undefined, job: SegmentJobModel): boolean {
  return (
    previous === undefined ||
    !previous.isFeedSeen ||
    previous.job.status !== job.status ||
    previous.job.updateTime !== job.updateTime
  );
}
