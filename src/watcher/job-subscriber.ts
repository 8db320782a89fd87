// One `watchJobs` subscriber: turns observations and bus events into its own unbroken chain of
// events per job and ends when every job is final. It never polls and never touches the bus.
import { canTransition, isFinal, type SegmentJobStatus } from '../domain/index.ts';
import type { JobStatusEvent } from '../pubsub/index.ts';
import { type Coalescing, createEventQueue, type EventQueue } from './event-queue.ts';

// Process-wide, like the heap: a count for metrics, read by `coalescedEventCount()`.
let coalescedEvents = 0;

/**
 * While a consumer lags, a job's unread event absorbs the newer ones: one event carries the
 * latest state, from the status before the first unread one (an initial event stays initial).
 * What waits for a slow consumer is then one event per job, and each job's chain stays unbroken.
 */
export const COALESCE_BY_JOB: Coalescing<JobStatusEvent> = {
  keyOf: (event) => event.jobId,
  merge: (unread, pushed) => {
    coalescedEvents += 1;
    return { ...pushed, previousStatus: unread.previousStatus, initial: unread.initial };
  },
};

/** Events merged into an unread one of the same job so far, by every subscriber in the process. */
export function coalescedEventCount(): number {
  return coalescedEvents;
}

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
  /** Merge a job's unread events while the consumer lags (see `COALESCE_BY_JOB`). @default true */
  coalesce?: boolean | undefined;
}

// One subscriber lives per subscription, thousands at once: its state is one plain object and
// the functions below are shared, rather than a set of closures per subscriber.
interface JobsState {
  readonly options: JobsSubscriberOptions;
  /** Jobs not yet final nor released. */
  readonly pending: Set<string>;
  /** The status last delivered per job. */
  readonly delivered: Map<string, SegmentJobStatus>;
  /** Bus events per job that arrived before its initial event; made on first need. */
  early: Map<string, JobStatusEvent[]> | undefined;
  hasEnded: boolean;
  readonly queue: EventQueue<JobStatusEvent>;
}

/**
 * Creates the subscriber. Its events for a job start with one `initial: true` event, then only
 * forward moves, each with `previousStatus` set to the status it last delivered for that job.
 */
export function createJobsSubscriber(options: JobsSubscriberOptions): JobsSubscriber {
  const state: JobsState = {
    options,
    pending: new Set(options.ids),
    delivered: new Map(),
    early: undefined,
    hasEnded: false,
    queue: createEventQueue<JobStatusEvent>(
      () => {
        releaseAll(state);
        markEnded(state);
      },
      options.coalesce === false ? undefined : COALESCE_BY_JOB,
    ),
  };
  if (state.pending.size === 0) {
    state.queue.end();
    markEnded(state);
  }
  return {
    iterator: state.queue.iterator,
    deliverInitial(event) {
      deliverInitial(state, event);
    },
    receive(event) {
      receive(state, event);
    },
    fail(error) {
      if (state.queue.isEnded) return;
      releaseAll(state);
      state.queue.fail(error);
      markEnded(state);
    },
    close() {
      if (state.queue.isEnded) return;
      releaseAll(state);
      state.queue.end();
      markEnded(state);
    },
  };
}

function markEnded(state: JobsState): void {
  if (state.hasEnded) return;
  state.hasEnded = true;
  state.options.onEnded?.();
}

function releaseAll(state: JobsState): void {
  for (const id of [...state.pending]) {
    state.pending.delete(id);
    state.options.release(id);
  }
  state.early = undefined;
}

function finish(state: JobsState, id: string): void {
  state.pending.delete(id);
  state.early?.delete(id);
  state.options.release(id);
  if (state.pending.size === 0) {
    state.queue.end();
    markEnded(state);
  }
}

function receive(state: JobsState, event: JobStatusEvent): void {
  const id = event.jobId;
  if (!state.pending.has(id)) return;
  const last = state.delivered.get(id);
  if (last === undefined) {
    state.early ??= new Map();
    const buffered = state.early.get(id) ?? [];
    if (buffered.length < MAX_EARLY_EVENTS) buffered.push(event);
    state.early.set(id, buffered);
    return;
  }
  // Drops repeats (the same change from two replicas) and anything stale or backwards.
  if (!canTransition(last, event.status)) return;
  const isAsPublished = event.previousStatus === last && !event.initial;
  state.queue.push(isAsPublished ? event : { ...event, previousStatus: last, initial: false });
  state.delivered.set(id, event.status);
  if (isFinal(event.status)) finish(state, id);
}

function deliverInitial(state: JobsState, event: JobStatusEvent): void {
  const id = event.jobId;
  if (!state.pending.has(id) || state.delivered.has(id)) return;
  state.queue.push(event);
  state.delivered.set(id, event.status);
  if (isFinal(event.status)) {
    finish(state, id);
    return;
  }
  const buffered = state.early?.get(id) ?? [];
  state.early?.delete(id);
  for (const later of buffered) receive(state, later);
}
