// Client WebSocket frames built by hand, so a test can put several graphql-transport-ws messages
// in one TCP write (one chunk on the server), the way a client that batches its writes would.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';

/** One masked, final text frame holding `text` (RFC 6455 §5.2; clients must mask). */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : length < 65_536
        ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff])
        : undefined;
  if (header === undefined)
    throw new Error(`expected a frame under 64 KiB, but got ${length} bytes`);
  const mask = randomBytes(4);
  const masked = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) {
    masked[index] = (payload[index] ?? 0) ^ (mask[index % 4] ?? 0);
  }
  return Buffer.concat([header, mask, masked]);
}

/** The TCP socket under a `ws` client (not part of its typed surface). */
function tcpOf(socket: WebSocket): Socket {
  const tcp = (socket as unknown as { _socket?: Socket })._socket;
  if (tcp === undefined) throw new Error('expected an open WebSocket, but it has no TCP socket');
  return tcp;
}

/** Sends `messages` (JSON-encoded unless strings) as frames of one single TCP write. */
export function writeTogether(socket: WebSocket, messages: readonly unknown[]): void {
  const frames = messages.map((message) =>
    maskedTextFrame(typeof message === 'string' ? message : JSON.stringify(message)),
  );
  tcpOf(socket).write(Buffer.concat(frames));
}

/** Stops reading from the socket: the server's writes pile up in its buffers, then in the kernel's. */
export function stopReading(socket: WebSocket): void {
  tcpOf(socket).pause();
}
