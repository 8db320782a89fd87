// Writes subscription results to graphql-ws sockets as `next` messages, each result serialized
// once however many subscribers receive it, a socket's frames of one tick in one write. It writes
// only `next`: every other message (ack, pong, error, complete) and protocol state are graphql-ws's.
import type { ExecutionResult } from 'graphql';
import type { DirectResultSink } from './result-stream.ts';

/** The part of a `ws` WebSocket the writer uses. */
export interface FrameSocket {
  readonly readyState: number;
  send(data: Buffer, options: { binary: boolean }): void;
}

/** The part of the TCP socket under it used to gather writes (a `net.Socket`). */
export interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/** Outgoing frames of every socket of one transport. */
export interface FrameWriter {
  /**
   * Sends one text frame on `socket`, or drops it when the socket is no longer open (its
   * subscriptions are being torn down). `transport` is the TCP socket under it: the first frame
   * a socket gets in a tick leaves at once; the ones after it in the same tick leave together in
   * one write at the next `process.nextTick`, which, for frames sent from promise jobs (as
   * deliveries are), comes once every promise job queued so far has run. Never later.
   */
  send(socket: FrameSocket, transport: CorkableSocket, frame: Buffer): void;
}

/** `ws`'s `WebSocket.OPEN`. */
const OPEN = 1;
const TEXT = { binary: false } as const;

/**
 * Creates the writer of one transport. The first frame of a tick on a socket is written at once
 * (a subscriber alone on its socket waits for nobody) and corks the socket after it; one
 * `process.nextTick` uncorks every socket corked in the tick, so the frames that followed share
 * one write per socket. ws's other messages on the socket pass through the same cork: nothing
 * sent on a socket changes order.
 */
export function createFrameWriter(): FrameWriter {
  const corked = new Set<CorkableSocket>();
  const endTick = (): void => {
    for (const transport of corked) transport.uncork();
    corked.clear();
  };
  return {
    send(socket, transport, frame) {
      if (socket.readyState !== OPEN) return;
      socket.send(frame, TEXT);
      if (corked.has(transport)) return;
      if (corked.size === 0) process.nextTick(endTick);
      corked.add(transport);
      transport.cork();
    },
  };
}

const payloads = new WeakMap<ExecutionResult, Buffer>();

/**
 * The JSON of a result as graphql-ws would send it in a `next` payload, computed once per result
 * object (a result shared by many subscribers is serialized once).
 */
export function serializedPayload(result: ExecutionResult): Buffer {
  let payload = payloads.get(result);
  if (payload === undefined) {
    const { errors, ...withoutErrors } = result;
    payload = Buffer.from(
      JSON.stringify(
        errors === undefined
          ? withoutErrors
          : { ...withoutErrors, errors: errors.map((error) => error.toJSON()) },
      ),
    );
    payloads.set(result, payload);
  }
  return payload;
}

/** The closing brace of a `next` message, after its payload. */
const CLOSE_BRACE = 0x7d;

/**
 * A direct sink for subscription `id` on one socket: each result becomes the graphql-ws message
 * `{"id":…,"type":"next","payload":…}`, byte for byte what graphql-ws would send.
 */
export function createNextFrameSink(
  writer: FrameWriter,
  socket: FrameSocket,
  transport: CorkableSocket,
  id: string,
): DirectResultSink {
  // Kept as a string: a subscription costs a few bytes of heap until it is written.
  const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  const prefixBytes = Buffer.byteLength(prefix);
  return {
    write(result) {
      const payload = serializedPayload(result);
      const frame = Buffer.allocUnsafe(prefixBytes + payload.length + 1);
      frame.write(prefix, 0, prefixBytes);
      payload.copy(frame, prefixBytes);
      frame[frame.length - 1] = CLOSE_BRACE;
      writer.send(socket, transport, frame);
    },
  };
}
