// One tenant's feed publishing with a stream: each feed event is appended to the tenant's Redis
// stream first and published with its stream id after, in the order given. Owns that order and
// the gap left by a failed append; it never decides what is published.
import type { JobStatusEvent } from '../pubsub/index.ts';
import type { FeedAppend, FeedStream } from './feed-stream.ts';

export interface FeedAppender {
  /** Appends the event, then publishes it with its stream id (without one when Redis failed). */
  append(event: JobStatusEvent): void;
  /**
   * The feed may have missed changes (it starts from a new baseline): a gap entry goes into the
   * stream now, so a resume from before it is refused instead of silently incomplete.
   */
  markGap(): void;
}

export interface FeedAppenderOptions {
  stream: FeedStream;
  tenantKey: string;
  /** Publishes on the feed topic. */
  publish: (event: JobStatusEvent) => void;
  /** Told when an append fails (the events are published without a stream id). */
  onFailure: (error: unknown) => void;
}

export function createFeedAppender(options: FeedAppenderOptions): FeedAppender {
  let batch: FeedAppend[] | undefined;
  /** Publishes wait for the appends before them: events leave in stream order. */
  let published: Promise<void> = Promise.resolve();
  /** An append failed: what it held is missing from the stream, so the next append says so. */
  let owesGap = false;

  const flush = (): void => {
    const entries = batch ?? [];
    batch = undefined;
    if (owesGap) {
      owesGap = false;
      entries.unshift({ kind: 'gap' });
    }
    // Sent at once (Redis answers in order); only the publishing is chained.
    const appended = options.stream.append(options.tenantKey, entries).then(
      (ids) => ({ ids }),
      (error: unknown) => ({ error }),
    );
    published = published.then(async () => {
      const outcome = await appended;
      if ('error' in outcome) {
        owesGap = true;
        options.onFailure(outcome.error);
      }
      for (const [index, entry] of entries.entries()) {
        if (entry.kind !== 'event') continue;
        const streamId = 'ids' in outcome ? outcome.ids[index] : undefined;
        options.publish(streamId === undefined ? entry.event : { ...entry.event, streamId });
      }
    });
  };

  const add = (entry: FeedAppend): void => {
    if (batch === undefined) {
      batch = [];
      // Everything observed in this turn (one page of a poll) goes in one round trip.
      queueMicrotask(flush);
    }
    batch.push(entry);
  };

  return {
    append(event) {
      add({ kind: 'event', event });
    },
    markGap() {
      add({ kind: 'gap' });
    },
  };
}
