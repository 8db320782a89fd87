// Bounds one Server-Sent Events response: a comment ping at an interval (only between events,
// never inside one), and an end to a stream whose writes have not drained within a deadline or
// whose unsent bytes pass a limit. It never decides what an event holds.

/** The part of a `ServerResponse` the guard uses. */
export interface GuardedResponse {
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  getHeader(name: string): number | string | string[] | undefined;
  write(chunk: unknown, ...rest: unknown[]): boolean;
  destroy(error?: Error): unknown;
  on(event: 'drain' | 'close', listener: () => void): unknown;
}

export interface SseGuardOptions {
  /** Interval of the `:` comment ping; 0 turns it off. @default 12000 */
  keepAliveMs: number;
  /** A stream whose writes have not drained for this long is ended. @default 30000 */
  writeDeadlineMs: number;
  /** Unsent bytes at most (a single event larger than it still goes to a client that keeps up). */
  maxBufferedBytes: number;
  /** Reports a stream the guard ended. */
  onEnded?(reason: 'write deadline' | 'buffer limit', details: Record<string, unknown>): void;
}

/** An SSE comment line and the blank line after it: ignored by every client, keeps proxies awake. */
const PING = ':\n\n';

/** Guards `response` from now until it closes. */
export function guardSseResponse(response: GuardedResponse, options: SseGuardOptions): void {
  const write = response.write.bind(response) as GuardedResponse['write'];
  let isAtEventBoundary = true;
  let deadline: NodeJS.Timeout | undefined;

  const end = (reason: 'write deadline' | 'buffer limit'): void => {
    if (response.destroyed) return;
    options.onEnded?.(reason, { bufferedBytes: response.writableLength });
    // Nothing more reaches a client that does not read: cut the connection, which ends the
    // subscription and releases what it holds.
    response.destroy();
  };
  const watchDrain = (): void => {
    if (deadline !== undefined) return;
    deadline = setTimeout(() => end('write deadline'), options.writeDeadlineMs);
    deadline.unref();
  };

  const isEventStream = (): boolean =>
    String(response.getHeader('content-type') ?? '').startsWith('text/event-stream');

  response.write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (response.destroyed) return false;
    const bytes = byteLengthOf(chunk);
    const buffered = response.writableLength;
    if (buffered > 0 && buffered + bytes > options.maxBufferedBytes && isEventStream()) {
      end('buffer limit');
      return false;
    }
    const isFlushed = write(chunk, ...rest);
    isAtEventBoundary = endsWithBlankLine(chunk);
    if (!isFlushed) watchDrain();
    return isFlushed;
  };

  response.on('drain', () => {
    clearTimeout(deadline);
    deadline = undefined;
  });

  const ping =
    options.keepAliveMs > 0
      ? setInterval(() => {
          if (!isEventStream() || !isAtEventBoundary || response.writableNeedDrain) return;
          if (!write(PING)) watchDrain();
        }, options.keepAliveMs)
      : undefined;
  ping?.unref();

  response.on('close', () => {
    clearInterval(ping);
    clearTimeout(deadline);
  });
}

function byteLengthOf(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

/** Whether `chunk` ends an SSE event (a blank line), so a comment may follow it. */
function endsWithBlankLine(chunk: unknown): boolean {
  if (typeof chunk === 'string') return chunk.endsWith('\n\n');
  if (chunk instanceof Uint8Array) {
    const length = chunk.byteLength;
    return length >= 2 && chunk[length - 1] === 0x0a && chunk[length - 2] === 0x0a;
  }
  return false;
}
