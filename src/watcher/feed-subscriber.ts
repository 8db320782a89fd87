// One `watchTenant` subscriber: filters and orders the tenant's job events for itself. It never
// polls and never touches the bus; it ends only when closed, failed or returned.
import { canTransition, type SegmentJobStatus } from '../domain/index.ts';
import type { JobStatusEvent } from '../pubsub/index.ts';
import { createEventQueue } from './event-queue.ts';

/** What the tenant poller calls on a feed subscriber. */
export interface FeedSubscriber {
  readonly iterator: AsyncIterableIterator<JobStatusEvent>;
  /** A job event of the tenant: delivered when it moves forward and passes the filter. */
  receive(event: JobStatusEvent): void;
  fail(error: unknown): void;
  close(): void;
}

export interface FeedSubscriberOptions {
  /** Deliver only events into these statuses. @default every status */
  statuses?: readonly SegmentJobStatus[] | undefined;
  /** Called once when the subscriber no longer needs the feed. */
  release: () => void;
  /** Called once when the stream ends, for any reason. */
  onEnded?: (() => void) | undefined;
  /** Jobs whose last seen status is remembered for ordering and de-duplication. @default 10000 */
  memory?: number | undefined;
}

export function createFeedSubscriber(options: FeedSubscriberOptions): FeedSubscriber {
  const statuses = options.statuses === undefined ? undefined : new Set(options.statuses);
  const memory = options.memory ?? 10_000;
  // Last status seen per job, including statuses the filter hid: previousStatus reports the
  // move the job made, not the last event that happened to pass the filter.
  const seen = new Map<string, SegmentJobStatus>();
  let hasEnded = false;

  const end = (): void => {
    if (hasEnded) return;
    hasEnded = true;
    options.release();
    options.onEnded?.();
  };
  const queue = createEventQueue<JobStatusEvent>(end);

  const remember = (jobId: string, status: SegmentJobStatus): void => {
    seen.delete(jobId);
    seen.set(jobId, status);
    if (seen.size > memory) {
      const oldest = seen.keys().next();
      if (oldest.done !== true) seen.delete(oldest.value);
    }
  };

  return {
    iterator: queue.iterator,
    receive(event) {
      if (queue.isEnded) return;
      const last = seen.get(event.jobId);
      if (last !== undefined && !canTransition(last, event.status)) return;
      remember(event.jobId, event.status);
      if (statuses !== undefined && !statuses.has(event.status)) return;
      const previousStatus = last ?? event.previousStatus;
      const isAsPublished = event.previousStatus === previousStatus && !event.initial;
      queue.push(isAsPublished ? event : { ...event, previousStatus, initial: false });
    },
    fail(error) {
      if (queue.isEnded) return;
      queue.fail(error);
      end();
    },
    close() {
      if (queue.isEnded) return;
      queue.end();
      end();
    },
  };
}
