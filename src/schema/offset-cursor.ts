// Opaque page cursors over the upstream's offset paging. Pure: encodes and decodes an offset,
// and says what is allowed when a cursor is not one of ours.

const PREFIX = 'segment-jobs:';

/** The cursor of the item at `offset` (0-based). */
export function encodeOffsetCursor(offset: number): string {
  return Buffer.from(`${PREFIX}${offset}`, 'utf8').toString('base64url');
}

/** The offset a cursor stands for, or undefined when it is not a cursor this API issued. */
export function decodeOffsetCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const digits = text.slice(PREFIX.length);
  if (!/^(0|[1-9]\d{0,15})$/.test(digits)) return undefined;
  const offset = Number(digits);
  return Number.isSafeInteger(offset) ? offset : undefined;
}
