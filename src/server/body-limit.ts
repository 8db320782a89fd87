// A cheap request-body limit in front of yoga: a Content-Length over the limit is refused before
// reading a byte; a body without one (chunked) is counted as it streams. Replaces yoga's own
// limit, which pipes every body through a web TransformStream.
import type { IncomingMessage } from 'node:http';

/** Why a body was refused, as an HTTP status and a message saying what is allowed. */
export interface BodyRefusal {
  status: 400 | 413;
  code: 'BAD_REQUEST' | 'REQUEST_ENTITY_TOO_LARGE';
  message: string;
}

const CONTENT_LENGTH = /^\d+$/;

function tooLarge(limitBytes: number, sizeText: string): BodyRefusal {
  return {
    status: 413,
    code: 'REQUEST_ENTITY_TOO_LARGE',
    message: `Request body too large: expected at most ${limitBytes} bytes, but got ${sizeText}`,
  };
}

/**
 * Checks the declared size. Returns a refusal, `'declared'` when Content-Length is present and
 * within the limit (Node's parser then stops at that length, so nothing more needs counting),
 * or `'streamed'` when the body must be counted while it is read.
 */
export function checkDeclaredSize(
  request: Pick<IncomingMessage, 'headers'>,
  limitBytes: number,
): BodyRefusal | 'declared' | 'streamed' {
  const declared = request.headers['content-length'];
  if (declared === undefined) return 'streamed';
  if (!CONTENT_LENGTH.test(declared)) {
    return {
      status: 400,
      code: 'BAD_REQUEST',
      message: `Content-Length: expected a non-negative integer, but got "${declared}"`,
    };
  }
  const size = Number(declared);
  return size > limitBytes ? tooLarge(limitBytes, `${size}`) : 'declared';
}

/**
 * Reads a body that declared no size, counting bytes; stops reading and refuses as soon as it
 * passes the limit.
 */
export function readStreamedBody(
  request: IncomingMessage,
  limitBytes: number,
): Promise<Buffer | BodyRefusal> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limitBytes) {
        request.off('data', onData);
        request.pause();
        resolve(tooLarge(limitBytes, `more than ${limitBytes}`));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks, size)));
    request.once('error', reject);
  });
}
