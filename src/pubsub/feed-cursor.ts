// The tenant feed's cursor: an opaque string for clients, a Redis stream id inside. Owns the
// encoding and the order of stream ids; pure, and it knows nothing of Redis or GraphQL.

/** A Redis stream id, `<ms>-<seq>`, both parts unsigned 64-bit integers. */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX_U64 = 2n ** 64n - 1n;
const PREFIX = 'f1:';

export type CursorDecoding = { ok: true; streamId: string } | { ok: false; problem: string };

function parts(streamId: string): [bigint, bigint] | undefined {
  const match = STREAM_ID.exec(streamId);
  if (match === null) return undefined;
  const ms = BigInt(match[1] ?? '');
  const seq = BigInt(match[2] ?? '');
  return ms > MAX_U64 || seq > MAX_U64 ? undefined : [ms, seq];
}

/** Whether a string is a well-formed stream id. */
export function isStreamId(value: string): boolean {
  return parts(value) !== undefined;
}

/** The cursor a client sees for a stream id. */
export function encodeFeedCursor(streamId: string): string {
  return Buffer.from(`${PREFIX}${streamId}`, 'utf8').toString('base64url');
}

/** The stream id inside a cursor, or what is wrong with it. */
export function decodeFeedCursor(cursor: string): CursorDecoding {
  const expected = 'expected a cursor from a segmentJobEvents event';
  if (cursor.length === 0 || cursor.length > 80 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    return { ok: false, problem: `${expected}, but got a string that is not one` };
  }
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const streamId = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  if (!isStreamId(streamId)) {
    return { ok: false, problem: `${expected}, but got one this gateway did not issue` };
  }
  return { ok: true, streamId };
}

/** Orders two stream ids: negative when `a` comes first, 0 when equal. Both must be well formed. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = parts(a) ?? [0n, 0n];
  const [bMs, bSeq] = parts(b) ?? [0n, 0n];
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}
