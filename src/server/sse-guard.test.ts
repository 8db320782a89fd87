import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type GuardedResponse, guardSseResponse } from './sse-guard.ts';

/**
 * A response whose client reads nothing until `drain()`: every write stays buffered, and a
 * write past `highWaterMark` asks for a drain.
 */
function stalledResponse(contentType = 'text/event-stream', highWaterMark = 16) {
  const emitter = new EventEmitter();
  const written: string[] = [];
  const state = { buffered: 0, isDestroyed: false };
  const response: GuardedResponse = {
    get writableLength() {
      return state.buffered;
    },
    get writableNeedDrain() {
      return state.buffered >= highWaterMark;
    },
    get destroyed() {
      return state.isDestroyed;
    },
    getHeader: (name) => (name === 'content-type' ? contentType : undefined),
    write(chunk) {
      const text = String(chunk);
      written.push(text);
      state.buffered += Buffer.byteLength(text);
      return state.buffered < highWaterMark;
    },
    destroy() {
      state.isDestroyed = true;
      emitter.emit('close');
    },
    on(event, listener) {
      emitter.on(event, listener);
    },
  };
  return {
    response,
    written,
    state,
    drain() {
      state.buffered = 0;
      emitter.emit('drain');
    },
  };
}

const OPTIONS = { keepAliveMs: 100, writeDeadlineMs: 1_000, maxBufferedBytes: 1_000 };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('guardSseResponse', () => {
  it('pings between events, never inside one', () => {
    const fake = stalledResponse('text/event-stream', 1_000_000);
    guardSseResponse(fake.response, OPTIONS);
    vi.advanceTimersByTime(100);
    fake.response.write('event: next\n');
    vi.advanceTimersByTime(100);
    fake.response.write('data: {}\n\n');
    vi.advanceTimersByTime(100);

    expect(fake.written).toEqual([':\n\n', 'event: next\n', 'data: {}\n\n', ':\n\n']);
  });

  it('never pings a response that is not an event stream', () => {
    const fake = stalledResponse('application/json', 1_000_000);
    guardSseResponse(fake.response, OPTIONS);
    vi.advanceTimersByTime(1_000);

    expect(fake.written).toEqual([]);
  });

  it('ends a stream whose writes have not drained by the deadline', () => {
    const fake = stalledResponse();
    const onEnded = vi.fn();
    guardSseResponse(fake.response, { ...OPTIONS, onEnded });
    fake.response.write('event: next\ndata: {"a":"0123456789"}\n\n');
    vi.advanceTimersByTime(999);
    expect(fake.state.isDestroyed).toBe(false);
    vi.advanceTimersByTime(1);

    expect(fake.state.isDestroyed).toBe(true);
    expect(onEnded).toHaveBeenCalledWith('write deadline', { bufferedBytes: 38 });
  });

  it('keeps a stream whose writes drain within the deadline', () => {
    const fake = stalledResponse();
    guardSseResponse(fake.response, OPTIONS);
    for (let round = 0; round < 5; round++) {
      fake.response.write('event: next\ndata: {"a":"0123456789"}\n\n');
      vi.advanceTimersByTime(900);
      fake.drain();
    }

    expect(fake.state.isDestroyed).toBe(false);
  });

  it('ends a stream whose unsent bytes would pass the limit, without writing more', () => {
    const fake = stalledResponse('text/event-stream', 1_000_000);
    const onEnded = vi.fn();
    guardSseResponse(fake.response, { ...OPTIONS, keepAliveMs: 0, onEnded });
    const event = `data: ${'x'.repeat(400)}\n\n`;
    expect(fake.response.write(event)).toBe(true);
    expect(fake.response.write(event)).toBe(true);
    expect(fake.response.write(event)).toBe(false);

    expect(fake.written).toHaveLength(2);
    expect(fake.state.isDestroyed).toBe(true);
    expect(onEnded).toHaveBeenCalledWith('buffer limit', { bufferedBytes: 816 });
  });

  it('sends an event larger than the limit to a client that has read everything', () => {
    const fake = stalledResponse('text/event-stream', 1_000_000);
    guardSseResponse(fake.response, { ...OPTIONS, keepAliveMs: 0 });
    fake.response.write(`data: ${'x'.repeat(5_000)}\n\n`);

    expect(fake.state.isDestroyed).toBe(false);
  });
});
