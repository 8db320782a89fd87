// Pure decisions of a feed resumed from a cursor: whether the stream still holds everything
// after it, and which live events held back during the replay are still news afterwards.
import { compareStreamIds } from '../pubsub/index.ts';

/** A feed stream's bounds as read together with a page of it. */
export interface StreamWindow {
  /** The oldest entry still kept; undefined when the stream is empty. */
  firstId: string | undefined;
  /** The newest id the stream ever gave out. */
  lastGeneratedId: string;
}

/**
 * Whether reading after `afterId` can miss entries. Entries only leave a stream from its head,
 * and every stream begins with a gap entry, so the window is complete after `afterId` exactly
 * when `afterId` is not older than the oldest entry kept. An id newer than any the stream gave
 * out comes from an older stream under the same key (it expired and began again).
 */
export function isCursorExpired(afterId: string, window: StreamWindow | undefined): boolean {
  if (window === undefined) return true;
  if (compareStreamIds(afterId, window.lastGeneratedId) > 0) return true;
  if (window.firstId === undefined) return compareStreamIds(afterId, window.lastGeneratedId) !== 0;
  return compareStreamIds(afterId, window.firstId) < 0;
}

/**
 * The live events received while the stream was replayed, that are news after it: those the
 * stream gave a later id than `replayedThroughId` (the last replayed, or the cursor when nothing
 * was), and those that never made it into the stream (no id: Redis failed their append), in the
 * order they arrived.
 */
export function liveAfterReplay<E extends { streamId?: string | undefined }>(
  held: readonly E[],
  replayedThroughId: string,
): E[] {
  return held.filter(
    (event) =>
      event.streamId === undefined || compareStreamIds(event.streamId, replayedThroughId) > 0,
  );
}
