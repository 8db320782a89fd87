import { type ExecutionResult, GraphQLError } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import {
  type CorkableSocket,
  createFrameWriter,
  createNextFrameSink,
  type FrameSocket,
  serializedPayload,
} from './websocket-fan-out.ts';

const OPEN = 1;
const CLOSED = 3;

/** A WebSocket and its TCP socket as one fake: what was sent, and which writes left together. */
function fakeSocket(readyState = OPEN) {
  const sent: string[] = [];
  // Each entry is one write on the wire: the frames sent while corked leave together.
  const writes: string[][] = [];
  let corkDepth = 0;
  let corkedFrames: string[] = [];
  const socket: FrameSocket & CorkableSocket & { readyState: number } = {
    readyState,
    send(data, options) {
      expect(options.binary).toBe(false);
      const text = data.toString('utf8');
      sent.push(text);
      if (corkDepth > 0) corkedFrames.push(text);
      else writes.push([text]);
    },
    cork() {
      corkDepth++;
    },
    uncork() {
      corkDepth--;
      if (corkDepth === 0 && corkedFrames.length > 0) {
        writes.push(corkedFrames);
        corkedFrames = [];
      }
    },
  };
  return {
    socket,
    sent,
    writes,
    get corkDepth() {
      return corkDepth;
    },
  };
}

/** What graphql-ws itself sends for a `next` of `result` (its emit.next). */
function graphqlWsNext(id: string, result: ExecutionResult): string {
  const { errors, ...rest } = result;
  return stringifyMessage({
    id,
    type: MessageType.Next,
    payload: { ...rest, ...(errors ? { errors: errors.map((error) => error.toJSON()) } : {}) },
  });
}

describe('createNextFrameSink', () => {
  it.each<[string, string, ExecutionResult]>([
    ['data', '1', { data: { segmentJobStatusChanged: { jobId: 'j', status: 'NEW' } } }],
    [
      'null data and a coded error',
      'a"b',
      {
        data: null,
        errors: [new GraphQLError('gone', { extensions: { code: 'NOT_FOUND' } })],
      },
    ],
    [
      'extensions and non-ASCII text',
      'é-7',
      { data: { name: 'Ségment ✓' }, extensions: { cost: 3 } },
    ],
  ])('sends byte for byte what graphql-ws would send (%s)', (_case, id, result) => {
    const fake = fakeSocket();
    createNextFrameSink(createFrameWriter(), fake.socket, fake.socket, id).write(result);
    expect(fake.sent).toEqual([graphqlWsNext(id, result)]);
  });

  it('gives every subscriber on a socket the same payload bytes under its own id, serialized once', () => {
    const fake = fakeSocket();
    const writer = createFrameWriter();
    const result: ExecutionResult = { data: { segmentJobStatusChanged: { status: 'CANCELLING' } } };
    const ids = Array.from({ length: 50 }, (_, index) => String(index));
    for (const id of ids) createNextFrameSink(writer, fake.socket, fake.socket, id).write(result);

    const messages = fake.sent.map((text) => JSON.parse(text) as { id: string; payload: unknown });
    expect(messages.map((message) => message.id)).toEqual(ids);
    const payloadTexts = fake.sent.map((text) =>
      text.slice(text.indexOf('"payload":') + '"payload":'.length, -1),
    );
    expect(new Set(payloadTexts).size).toBe(1);
    expect(payloadTexts[0]).toBe(JSON.stringify(result));
    // One serialization for all of them: the same bytes object each time.
    expect(serializedPayload(result)).toBe(serializedPayload(result));
  });
});

describe('createFrameWriter', () => {
  it('writes the first frame of a tick at once and the rest of the tick together, before the next macrotask', async () => {
    const fake = fakeSocket();
    const writer = createFrameWriter();
    writer.send(fake.socket, fake.socket, Buffer.from('a'));
    expect(fake.writes).toEqual([['a']]);
    writer.send(fake.socket, fake.socket, Buffer.from('b'));
    // Frames sent from promise jobs of the same tick join the same write.
    await Promise.resolve();
    writer.send(fake.socket, fake.socket, Buffer.from('c'));
    expect(fake.writes).toEqual([['a']]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.writes).toEqual([['a'], ['b', 'c']]);
    expect(fake.corkDepth).toBe(0);
  });

  it('holds no frame past the tick, tick after tick, on every socket', async () => {
    const writer = createFrameWriter();
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    for (let tick = 0; tick < 3; tick++) {
      for (const fake of sockets) {
        for (let frame = 0; frame < 3; frame++) {
          writer.send(fake.socket, fake.socket, Buffer.from(`${tick}.${frame}`));
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
      for (const fake of sockets) {
        expect(fake.corkDepth).toBe(0);
        expect(fake.writes.flat()).toHaveLength((tick + 1) * 3);
      }
    }
    for (const fake of sockets) {
      expect(fake.writes).toEqual([
        ['0.0'],
        ['0.1', '0.2'],
        ['1.0'],
        ['1.1', '1.2'],
        ['2.0'],
        ['2.1', '2.2'],
      ]);
    }
  });

  it('drops frames for a socket that is no longer open, without touching it, and still writes the others', async () => {
    const writer = createFrameWriter();
    const closed = fakeSocket(CLOSED);
    const open = fakeSocket();
    writer.send(closed.socket, closed.socket, Buffer.from('lost'));
    writer.send(open.socket, open.socket, Buffer.from('kept'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed.sent).toEqual([]);
    expect(closed.corkDepth).toBe(0);
    expect(open.writes).toEqual([['kept']]);
  });
});
