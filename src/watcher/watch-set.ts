// One tenant's watch set on this replica: which subscribers watch which job ids (reference
// counted) and who follows the feed. It owns the bus listener of each watched id; it never polls.
import type { FeedSubscriber } from './feed-subscriber.ts';
import type { JobsSubscriber } from './job-subscriber.ts';

export interface JobWatch {
  readonly subscribers: Set<JobsSubscriber>;
  /**
   * True once the job was observed while watched. Until then its subscribers await their
   * initial event: what the feed remembers of a job nobody watched may be a poll or more old.
   */
  isObserved: boolean;
}

export interface WatchSetOptions {
  /** Starts listening for a newly watched id's events; returns the stopper. */
  listenJob: (id: string) => () => void;
}

export interface WatchSet {
  get(id: string): JobWatch | undefined;
  has(id: string): boolean;
  ids(): IterableIterator<string>;
  /** Watched ids. */
  readonly size: number;
  /** Adds the subscriber to every id (creating the watches it needs). */
  add(subscriber: JobsSubscriber, ids: readonly string[]): void;
  /** Removes one reference; true when nobody watches the id any more. */
  release(subscriber: JobsSubscriber, id: string): boolean;
  /** Marks a watched id observed; its subscribers when that is news, otherwise undefined. */
  markObserved(id: string): readonly JobsSubscriber[] | undefined;
  /** Distinct `watchJobs` subscribers. */
  readonly jobSubscriberCount: number;
  /** True when the subscriber is the feed's first. */
  addFeed(subscriber: FeedSubscriber): boolean;
  /** True when the subscriber was the feed's last. */
  releaseFeed(subscriber: FeedSubscriber): boolean;
  feedSubscribers(): readonly FeedSubscriber[];
  readonly hasFeed: boolean;
  /** Every subscriber, of jobs and of the feed. */
  allSubscribers(): readonly (JobsSubscriber | FeedSubscriber)[];
  isEmpty(): boolean;
  /** Stops every listener. */
  clear(): void;
}

interface Entry extends JobWatch {
  stopListening: () => void;
}

export function createWatchSet(options: WatchSetOptions): WatchSet {
  const jobs = new Map<string, Entry>();
  const heldBy = new Map<JobsSubscriber, number>();
  const feed = new Set<FeedSubscriber>();
  return {
    get: (id) => jobs.get(id),
    has: (id) => jobs.has(id),
    ids: () => jobs.keys(),
    get size() {
      return jobs.size;
    },
    add(subscriber, ids) {
      for (const id of ids) {
        let entry = jobs.get(id);
        if (entry === undefined) {
          entry = { subscribers: new Set(), isObserved: false, stopListening: () => {} };
          jobs.set(id, entry);
          entry.stopListening = options.listenJob(id);
        }
        entry.subscribers.add(subscriber);
      }
      heldBy.set(subscriber, (heldBy.get(subscriber) ?? 0) + ids.length);
    },
    release(subscriber, id) {
      const entry = jobs.get(id);
      if (entry === undefined || !entry.subscribers.delete(subscriber)) return false;
      const held = (heldBy.get(subscriber) ?? 1) - 1;
      if (held > 0) heldBy.set(subscriber, held);
      else heldBy.delete(subscriber);
      if (entry.subscribers.size > 0) return false;
      entry.stopListening();
      jobs.delete(id);
      return true;
    },
    markObserved(id) {
      const entry = jobs.get(id);
      if (entry === undefined || entry.isObserved) return undefined;
      entry.isObserved = true;
      return [...entry.subscribers];
    },
    get jobSubscriberCount() {
      return heldBy.size;
    },
    addFeed(subscriber) {
      feed.add(subscriber);
      return feed.size === 1;
    },
    releaseFeed(subscriber) {
      return feed.delete(subscriber) && feed.size === 0;
    },
    feedSubscribers: () => [...feed],
    get hasFeed() {
      return feed.size > 0;
    },
    allSubscribers: () => [...heldBy.keys(), ...feed],
    isEmpty: () => jobs.size === 0 && feed.size === 0,
    clear() {
      for (const entry of jobs.values()) entry.stopListening();
    },
  };
}
