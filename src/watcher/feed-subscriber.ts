// One `watchTenant` subscriber: filters and orders the tenant's job events for itself. It never
// polls and never touches the bus; it ends only when closed, failed or returned.
import { canTransition, type SegmentJobStatus } from '../domain/index.ts';
import type { JobStatusEvent } from '../pubsub/index.ts';
import { createEventQueue, type EventQueue } from './event-queue.ts';
import { COALESCE_BY_JOB } from './job-subscriber.ts';

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

// One subscriber lives per subscription, thousands at once: its state is one plain object and
// the functions below are shared, rather than a set of closures per subscriber.
interface FeedState {
  readonly options: FeedSubscriberOptions;
  readonly statuses: ReadonlySet<SegmentJobStatus> | undefined;
  readonly memory: number;
  /**
   * Last status seen per job, including statuses the filter hid: previousStatus reports the
   * move the job made, not the last event that happened to pass the filter.
   */
  readonly seen: Map<string, SegmentJobStatus>;
  hasEnded: boolean;
  readonly queue: EventQueue<JobStatusEvent>;
}

export function createFeedSubscriber(options: FeedSubscriberOptions): FeedSubscriber {
  const state: FeedState = {
    options,
    statuses: options.statuses === undefined ? undefined : new Set(options.statuses),
    memory: options.memory ?? 10_000,
    seen: new Map(),
    hasEnded: false,
    queue: createEventQueue<JobStatusEvent>(() => end(state), COALESCE_BY_JOB),
  };
  return {
    iterator: state.queue.iterator,
    receive(event) {
      receive(state, event);
    },
    fail(error) {
      if (state.queue.isEnded) return;
      state.queue.fail(error);
      end(state);
    },
    close() {
      if (state.queue.isEnded) return;
      state.queue.end();
      end(state);
    },
  };
}

function end(state: FeedState): void {
  if (state.hasEnded) return;
  state.hasEnded = true;
  state.options.release();
  state.options.onEnded?.();
}

function remember(state: FeedState, jobId: string, status: SegmentJobStatus): void {
  const { seen } = state;
  seen.delete(jobId);
  seen.set(jobId, status);
  if (seen.size > state.memory) {
    const oldest = seen.keys().next();
    if (oldest.done !== true) seen.delete(oldest.value);
  }
}

function receive(state: FeedState, event: JobStatusEvent): void {
  if (state.queue.isEnded) return;
  const last = state.seen.get(event.jobId);
  if (last !== undefined && !canTransition(last, event.status)) return;
  remember(state, event.jobId, event.status);
  if (state.statuses !== undefined && !state.statuses.has(event.status)) return;
  const previousStatus = last ?? event.previousStatus;
  const isAsPublished = event.previousStatus === previousStatus && !event.initial;
  state.queue.push(isAsPublished ? event : { ...event, previousStatus, initial: false });
}
