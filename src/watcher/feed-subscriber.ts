// One `watchTenant` subscriber: filters and orders the tenant's job events for itself, and while
// resuming from a cursor holds live events back until the replay is done. It never polls and
// never touches the bus or Redis; it ends only when closed, failed or returned.
import { canTransition, type SegmentJobStatus } from '../domain/index.ts';
import type { JobStatusEvent } from '../pubsub/index.ts';
import { createEventQueue, type EventQueue } from './event-queue.ts';
import { liveAfterReplay } from './feed-replay.ts';
import { COALESCE_BY_JOB } from './job-subscriber.ts';

/** What the tenant poller calls on a feed subscriber. */
export interface FeedSubscriber {
  readonly iterator: AsyncIterableIterator<JobStatusEvent>;
  /** A job event of the tenant: delivered when it moves forward and passes the filter. */
  receive(event: JobStatusEvent): void;
  /** While replaying: an event read back from the stream, delivered like a live one. */
  replay(event: JobStatusEvent): void;
  /**
   * Ends the replay: the live events held back meanwhile that are news after `replayedThroughId`
   * are delivered, and later ones go straight through.
   */
  endReplay(replayedThroughId: string): void;
  readonly isEnded: boolean;
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
  /**
   * Start by replaying a stream: live events are held back until `endReplay`, at most
   * `maxHeld` of them (past it the stream fails with `heldOverflow()`). @default undefined
   */
  replay?: { maxHeld: number; heldOverflow: () => Error } | undefined;
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
  /** Live events received during a replay; undefined once live. */
  held: JobStatusEvent[] | undefined;
}

export function createFeedSubscriber(options: FeedSubscriberOptions): FeedSubscriber {
  const state: FeedState = {
    options,
    statuses: options.statuses === undefined ? undefined : new Set(options.statuses),
    memory: options.memory ?? 10_000,
    seen: new Map(),
    hasEnded: false,
    queue: createEventQueue<JobStatusEvent>(() => end(state), COALESCE_BY_JOB),
    held: options.replay === undefined ? undefined : [],
  };
  return {
    iterator: state.queue.iterator,
    receive(event) {
      const { held } = state;
      if (held === undefined) {
        receive(state, event);
        return;
      }
      if (state.queue.isEnded) return;
      held.push(event);
      if (held.length > (options.replay?.maxHeld ?? 0)) {
        state.held = undefined;
        state.queue.fail(options.replay?.heldOverflow());
        end(state);
      }
    },
    replay(event) {
      // Every replayed event is delivered as it was: none merges into a later one of its job.
      receive(state, event, false);
    },
    endReplay(replayedThroughId) {
      const held = state.held ?? [];
      state.held = undefined;
      for (const event of liveAfterReplay(held, replayedThroughId)) receive(state, event);
    },
    get isEnded() {
      return state.queue.isEnded;
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

function receive(state: FeedState, event: JobStatusEvent, isCoalescable = true): void {
  if (state.queue.isEnded) return;
  const last = state.seen.get(event.jobId);
  if (last !== undefined && !canTransition(last, event.status)) return;
  remember(state, event.jobId, event.status);
  if (state.statuses !== undefined && !state.statuses.has(event.status)) return;
  const previousStatus = last ?? event.previousStatus;
  const isAsPublished = event.previousStatus === previousStatus && !event.initial;
  state.queue.push(
    isAsPublished ? event : { ...event, previousStatus, initial: false },
    isCoalescable,
  );
}
