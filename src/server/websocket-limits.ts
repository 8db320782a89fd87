// The per-socket bounds of the WebSocket transport as pure values: the incoming message rate
// (a token bucket) and the outgoing bytes a client may leave unread. The close codes and reasons
// a client sees when it passes one are defined here, once; it never touches a socket.

/** Close code for a client that sends more messages than its rate allows. */
export const TOO_MANY_MESSAGES = 4008;
/** Close code for a client that leaves more than the buffer limit unread. */
export const SLOW_CONSUMER = 4503;

/** The close reason of `TOO_MANY_MESSAGES` (at most 123 bytes, as every close reason). */
export function tooManyMessagesReason(ratePerSecond: number, burst: number): string {
  return `Too many messages: the limit is ${ratePerSecond} per second, bursts of ${burst}`;
}

/** The close reason of `SLOW_CONSUMER`. */
export function slowConsumerReason(maxBufferedBytes: number): string {
  return `Client too slow: more than ${maxBufferedBytes} bytes waiting to be sent`;
}

export interface TokenBucket {
  /** Takes one token; false when none is left (the message is over the rate). */
  take(): boolean;
}

/**
 * A bucket of `burst` tokens refilled at `ratePerSecond`, full at first: a client may send
 * `burst` messages at once, then `ratePerSecond` a second for ever.
 */
export function createTokenBucket(
  ratePerSecond: number,
  burst: number,
  now: () => number = performance.now.bind(performance),
): TokenBucket {
  let tokens = burst;
  let updatedAt = now();
  return {
    take() {
      const at = now();
      tokens = Math.min(burst, tokens + ((at - updatedAt) * ratePerSecond) / 1_000);
      updatedAt = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/**
 * Whether `bytes` more may be queued on a socket that has `bufferedBytes` unsent. A message
 * larger than the limit still goes to a client that has read everything before it.
 */
export function fitsBuffer(
  bufferedBytes: number,
  bytes: number,
  maxBufferedBytes: number,
): boolean {
  return bufferedBytes === 0 || bufferedBytes + bytes <= maxBufferedBytes;
}
