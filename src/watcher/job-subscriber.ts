// One `watchJobs` subscriber: turns observations and bus events into its own unbroken chain of
// events per job and ends when every job is final. It never polls and never touches the bus.
import { canTransition, isFinal, type SegmentJobStatus } from '../domain/index.ts';
import type { JobStatusEvent } from '../pubsub/index.ts';
import { createEventQueue } from './event-queue.ts';

/** Bus events kept per job while its initial event is still on its way. */
const MAX_EARLY_EVENTS = 16;

/** What the tenant poller calls on a subscriber of some of its jobs. */
export interface JobsSubscriber {
  readonly iterator: AsyncIterableIterator<JobStatusEvent>;
  /** The job's state when the subscription began; ignored after the first one per job. */
  deliverInitial(event: JobStatusEvent): void;
  /** A change from the bus: delivered only when it moves forward from what was delivered. */
  receive(event: JobStatusEvent): void;
  /** Ends the stream with `error` after what is queued, releasing every job. */
  fail(error: unknown): void;
  /** Ends the stream after what is queued, releasing every job. */
  close(): void;
}

export interface JobsSubscriberOptions {
  /** Distinct job ids. */
  ids: readonly string[];
  /** Called once per job when this subscriber stops needing it (final, ended or returned). */
  release: (jobId: string) => void;
  /** Called once when the stream ends, for any reason. */
  onEnded?: (() => void) | undefined;
}

/**
 * Creates the subscriber. Its events for a job start with one `initial: true` event, then only
 * forward moves, each with `previousStatus` set to the status it last delivered for that job.
 */
export function createJobsSubscriber(options: JobsSubscriberOptions): JobsSubscriber {
  const pending = new Set(options.ids);
  const delivered = new Map<string, SegmentJobStatus>();
  const early = new Map<string, JobStatusEvent[]>();
  let hasEnded = false;

  const markEnded = (): void => {
    if (hasEnded) return;
    hasEnded = true;
    options.onEnded?.();
  };
  const releaseAll = (): void => {
    for (const id of [...pending]) {
      pending.delete(id);
      options.release(id);
    }
    early.clear();
  };
  const queue = createEventQueue<JobStatusEvent>(() => {
    releaseAll();
    markEnded();
  });

  const finish = (id: string): void => {
    pending.delete(id);
    early.delete(id);
    options.release(id);
    if (pending.size === 0) {
      queue.end();
      markEnded();
    }
  };

  const receive = (event: JobStatusEvent): void => {
    const id = event.jobId;
    if (!pending.has(id)) return;
    const last = delivered.get(id);
    if (last === undefined) {
      const buffered = early.get(id) ?? [];
      if (buffered.length < MAX_EARLY_EVENTS) buffered.push(event);
      early.set(id, buffered);
      return;
    }
    // Drops repeats (the same change from two replicas) and anything stale or backwards.
    if (!canTransition(last, event.status)) return;
    const isAsPublished = event.previousStatus === last && !event.initial;
    queue.push(isAsPublished ? event : { ...event, previousStatus: last, initial: false });
    delivered.set(id, event.status);
    if (isFinal(event.status)) finish(id);
  };

  if (pending.size === 0) {
    queue.end();
    markEnded();
  }

  return {
    iterator: queue.iterator,
    deliverInitial(event) {
      const id = event.jobId;
      if (!pending.has(id) || delivered.has(id)) return;
      queue.push(event);
      delivered.set(id, event.status);
      if (isFinal(event.status)) {
        finish(id);
        return;
      }
      const buffered = early.get(id) ?? [];
      early.delete(id);
      for (const later of buffered) receive(later);
    },
    receive,
    fail(error) {
      if (queue.isEnded) return;
      releaseAll();
      queue.fail(error);
      markEnded();
    },
    close() {
      if (queue.isEnded) return;
      releaseAll();
      queue.end();
      markEnded();
    },
  };
}
