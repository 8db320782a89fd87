// A tenant feed resumed from a cursor: reads the tenant's stream after it, page by page, into a
// subscriber that holds live events back meanwhile, then lets it go live. Owns the errors a
// resume ends with; what is expired and what is news after the replay are `feed-replay.ts`'s.
import type { JobEventBus } from '../pubsub/index.ts';
import { isCursorExpired } from './feed-replay.ts';
import type { FeedStream } from './feed-stream.ts';
import type { FeedSubscriber } from './feed-subscriber.ts';

/** The stream no longer holds everything after the cursor: the client must reload its list. */
export class FeedCursorExpiredError extends Error {
  override readonly name = 'FeedCursorExpiredError';
}

/** The feed cannot be resumed here: no Redis configured, or Redis did not answer. */
export class FeedResumeUnavailableError extends Error {
  override readonly name = 'FeedResumeUnavailableError';
}

/** Entries read per round trip while replaying. */
export const REPLAY_PAGE_SIZE = 200;

export const EXPIRED_MESSAGE =
  'expected a cursor within the retained feed, but events after it are no longer kept (trimmed, or the feed was not watched meanwhile); reload the list of jobs and subscribe again without `after`';

export interface ResumeOptions {
  stream: FeedStream;
  bus: JobEventBus;
  tenantKey: string;
  afterId: string;
  subscriber: FeedSubscriber;
}

/**
 * Replays every stream entry after `afterId` into the subscriber, then ends its replay. The
 * subscriber must already receive live events (held back) before this starts: an entry appended
 * after the last page read is published after it, so it is among those held.
 */
export async function resumeFeed(options: ResumeOptions): Promise<void> {
  const { stream, subscriber } = options;
  // Live events published by other replicas reach this one only once Redis confirmed the
  // subscription; reading the stream before that could miss one in between.
  await options.bus.ready();
  // The stream holds about maxLength entries; pages past that (plus what arrives meanwhile)
  // mean the replay cannot catch up.
  const maxPages = Math.ceil((stream.maxLength * 2) / REPLAY_PAGE_SIZE) + 2;
  let from = options.afterId;
  for (let page = 0; ; page += 1) {
    if (subscriber.isEnded) return;
    if (page >= maxPages) throw new FeedCursorExpiredError(EXPIRED_MESSAGE);
    let read: Awaited<ReturnType<FeedStream['read']>>;
    try {
      read = await stream.read(options.tenantKey, from, REPLAY_PAGE_SIZE);
    } catch (error) {
      throw new FeedResumeUnavailableError(
        `expected to read the feed after the cursor from Redis, but it failed (${error instanceof Error ? error.message : String(error)}); retry later, or reload the list of jobs`,
      );
    }
    if (isCursorExpired(from, read.window)) throw new FeedCursorExpiredError(EXPIRED_MESSAGE);
    for (const record of read.records) {
      if (record.kind === 'gap') throw new FeedCursorExpiredError(EXPIRED_MESSAGE);
      subscriber.replay({ ...record.event, initial: false, streamId: record.id });
      from = record.id;
    }
    if (read.records.length < REPLAY_PAGE_SIZE) break;
  }
  subscriber.endReplay(from);
}
