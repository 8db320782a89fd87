import { type ExecutionResult, GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { createEventQueue } from '../watcher/event-queue.ts';
import { createResultStream, type DirectResultSink } from './result-stream.ts';

/** Maps an event `n` to `{ data: { n } }`, or to a result with an error when `n` is negative. */
function mapEvent(n: number): ExecutionResult {
  return n < 0 ? { data: null, errors: [new GraphQLError(`bad ${n}`)] } : { data: { n } };
}

function recordingSink(): DirectResultSink & { written: ExecutionResult[] } {
  const written: ExecutionResult[] = [];
  return {
    written,
    write(result) {
      written.push(result);
    },
  };
}

/** Lets every promise job queued so far (and those they queue) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('createResultStream without a sink (pulled)', () => {
  it('maps each event in order, then ends with the source', async () => {
    const queue = createEventQueue<number>();
    const stream = createResultStream(queue.iterator, mapEvent);
    queue.push(1);
    queue.push(2);
    queue.end();
    expect(await stream.next()).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await stream.next()).toEqual({ done: false, value: { data: { n: 2 } } });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('ends a failing source with one result carrying the error, not a rejection', async () => {
    const queue = createEventQueue<number>();
    const stream = createResultStream(queue.iterator, mapEvent);
    queue.fail(new Error('expected a job, but got none'));
    const step = await stream.next();
    expect(step.value?.errors?.[0]?.message).toBe('expected a job, but got none');
    expect(step.value?.errors).toHaveLength(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('gives the source back when the mapping fails, after one result with the error', async () => {
    const onReturn = vi.fn();
    const queue = createEventQueue<number>(onReturn);
    const stream = createResultStream(queue.iterator, () => {
      throw new Error('cannot execute');
    });
    queue.push(1);
    expect((await stream.next()).value?.errors?.[0]?.message).toBe('cannot execute');
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('forwards return() so the source releases what it holds', async () => {
    const onReturn = vi.fn();
    const queue = createEventQueue<number>(onReturn);
    const stream = createResultStream(queue.iterator, mapEvent);
    await stream.return?.();
    expect(onReturn).toHaveBeenCalledTimes(1);
  });
});

describe('createResultStream with a sink (pushed)', () => {
  it('reads nothing from the source before the first next()', async () => {
    const queue = createEventQueue<number>();
    const sink = recordingSink();
    const stream = createResultStream(queue.iterator, mapEvent, sink);
    queue.push(1);
    await settle();
    expect(sink.written).toEqual([]);
    void stream.next();
    await settle();
    expect(sink.written).toEqual([{ data: { n: 1 } }]);
  });

  it('writes results without errors to the sink in order; next() yields only the end', async () => {
    const queue = createEventQueue<number>();
    const sink = recordingSink();
    const stream = createResultStream(queue.iterator, mapEvent, sink);
    const ended = stream.next();
    queue.push(1);
    queue.push(2);
    await settle();
    queue.push(3);
    queue.end();
    expect(await ended).toEqual({ done: true, value: undefined });
    expect(sink.written).toEqual([{ data: { n: 1 } }, { data: { n: 2 } }, { data: { n: 3 } }]);
  });

  it.each<[string, number[], number[], number[]]>([
    // [case, events, written to the sink, read through next() after the error]
    ['an error first', [-1, 2, 3], [], [2, 3]],
    ['an error between results', [1, -2, 3], [1], [3]],
    ['an error last', [1, 2, -3], [1, 2], []],
  ])(
    'keeps order around a result with errors (%s): it goes through next(), the ones after it wait there',
    async (_case, events, written, readAfterError) => {
      const queue = createEventQueue<number>();
      const sink = recordingSink();
      const stream = createResultStream(queue.iterator, mapEvent, sink);
      const first = stream.next();
      for (const event of events) queue.push(event);
      queue.end();
      const errorStep = await first;
      await settle();
      expect(errorStep.value?.errors?.[0]?.message).toMatch(/^bad -\d$/);
      // The consumer has sent the error and asks again: what waited behind it comes next.
      const read: unknown[] = [];
      for (let step = await stream.next(); step.done !== true; step = await stream.next()) {
        read.push(step.value.data?.n);
      }
      expect(sink.written.map((result) => result.data?.n)).toEqual(written);
      expect(read).toEqual(readAfterError);
    },
  );

  it('writes to the sink again once a held result was taken and the consumer asks for more', async () => {
    const queue = createEventQueue<number>();
    const sink = recordingSink();
    const stream = createResultStream(queue.iterator, mapEvent, sink);
    const first = stream.next();
    queue.push(-1);
    expect((await first).value?.errors?.[0]?.message).toBe('bad -1');
    const ended = stream.next();
    queue.push(2);
    queue.end();
    expect(await ended).toEqual({ done: true, value: undefined });
    expect(sink.written).toEqual([{ data: { n: 2 } }]);
  });

  it('ends a failing source with one result carrying the error, after what was written', async () => {
    const queue = createEventQueue<number>();
    const sink = recordingSink();
    const stream = createResultStream(queue.iterator, mapEvent, sink);
    const first = stream.next();
    queue.push(1);
    queue.fail(new Error('expected a job, but got none'));
    const step = await first;
    expect(sink.written).toEqual([{ data: { n: 1 } }]);
    expect(step.value?.errors?.[0]?.message).toBe('expected a job, but got none');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('gives the source back when the mapping fails, after one result with the error', async () => {
    const onReturn = vi.fn();
    const queue = createEventQueue<number>(onReturn);
    const stream = createResultStream(
      queue.iterator,
      () => {
        throw new Error('cannot execute');
      },
      recordingSink(),
    );
    const first = stream.next();
    queue.push(1);
    expect((await first).value?.errors?.[0]?.message).toBe('cannot execute');
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('ends the stream with the error of a sink that throws, and returns the source', async () => {
    const onReturn = vi.fn();
    const queue = createEventQueue<number>(onReturn);
    const stream = createResultStream(queue.iterator, mapEvent, {
      write() {
        throw new Error('socket gone');
      },
    });
    const first = stream.next();
    queue.push(1);
    expect((await first).value?.errors?.[0]?.message).toBe('socket gone');
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('keeps order when a mapping answers with a promise', async () => {
    const queue = createEventQueue<number>();
    const sink = recordingSink();
    const stream = createResultStream(
      queue.iterator,
      (n) =>
        n === 1 ? new Promise((resolve) => setTimeout(() => resolve(mapEvent(n)), 5)) : mapEvent(n),
      sink,
    );
    const ended = stream.next();
    queue.push(1);
    queue.push(2);
    queue.end();
    await ended;
    expect(sink.written).toEqual([{ data: { n: 1 } }, { data: { n: 2 } }]);
  });

  it('stops writing on return(), ends the waiting read and returns the source once', async () => {
    const onReturn = vi.fn();
    const queue = createEventQueue<number>(onReturn);
    const sink = recordingSink();
    const stream = createResultStream(queue.iterator, mapEvent, sink);
    const waiting = stream.next();
    queue.push(1);
    await settle();
    await stream.return?.();
    await stream.return?.();
    queue.push(2);
    await settle();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(sink.written).toEqual([{ data: { n: 1 } }]);
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
