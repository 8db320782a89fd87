import { describe, expect, it, vi } from 'vitest';
import { createEventQueue } from './event-queue.ts';

describe('createEventQueue', () => {
  it('hands out values pushed before and after next() in order, then ends', async () => {
    const queue = createEventQueue<number>();
    queue.push(1);
    const pending = queue.iterator.next();
    const later = queue.iterator.next();
    queue.push(2);
    queue.end();
    queue.push(3);
    expect(await pending).toEqual({ done: false, value: 1 });
    expect(await later).toEqual({ done: false, value: 2 });
    expect(await queue.iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('throws the failure once, after what was queued, then reports done', async () => {
    const queue = createEventQueue<string>();
    queue.push('a');
    queue.fail(new Error('expected a job, but got none'));
    expect(await queue.iterator.next()).toEqual({ done: false, value: 'a' });
    await expect(queue.iterator.next()).rejects.toThrow('expected a job');
    expect(await queue.iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('rejects a consumer already waiting when the queue fails', async () => {
    const queue = createEventQueue<string>();
    const waiting = queue.iterator.next();
    queue.fail(new Error('refused'));
    await expect(waiting).rejects.toThrow('refused');
  });

  it.each([
    ['return()', (iterator: AsyncIterableIterator<number>) => iterator.return?.()],
    [
      'throw()',
      (iterator: AsyncIterableIterator<number>) =>
        iterator.throw?.(new Error('x')).catch(() => undefined),
    ],
  ])(
    'calls onReturn once when the consumer stops early with %s, and ends waiting reads',
    async (_name, stop) => {
      const onReturn = vi.fn();
      const queue = createEventQueue<number>(onReturn);
      const waiting = queue.iterator.next();
      await stop(queue.iterator);
      await stop(queue.iterator);
      expect(onReturn).toHaveBeenCalledTimes(1);
      expect(await waiting).toEqual({ done: true, value: undefined });
      expect(queue.isEnded).toBe(true);
    },
  );

  it('does not call onReturn when the producer ended the stream first', async () => {
    const onReturn = vi.fn();
    const queue = createEventQueue<number>(onReturn);
    queue.end();
    await queue.iterator.return?.();
    expect(onReturn).not.toHaveBeenCalled();
  });
});

describe('createEventQueue with coalescing', () => {
  interface Move {
    job: string;
    from: string | null;
    to: string;
  }
  const byJob = {
    keyOf: (move: Move) => move.job,
    merge: (unread: Move, pushed: Move): Move => ({ ...pushed, from: unread.from }),
  };

  it('merges an unread value into the newer one of its key, in its place', async () => {
    const queue = createEventQueue<Move>(undefined, byJob);
    queue.push({ job: 'a', from: null, to: 'NEW' });
    queue.push({ job: 'b', from: 'NEW', to: 'QUEUED' });
    queue.push({ job: 'a', from: 'NEW', to: 'QUEUED' });
    queue.push({ job: 'a', from: 'QUEUED', to: 'PROCESSING' });
    queue.end();

    const read: Move[] = [];
    for await (const move of queue.iterator) read.push(move);
    expect(read).toEqual([
      { job: 'a', from: null, to: 'PROCESSING' },
      { job: 'b', from: 'NEW', to: 'QUEUED' },
    ]);
  });

  it('never merges into a value already read', async () => {
    const queue = createEventQueue<Move>(undefined, byJob);
    queue.push({ job: 'a', from: null, to: 'NEW' });
    expect(await queue.iterator.next()).toEqual({
      done: false,
      value: { job: 'a', from: null, to: 'NEW' },
    });
    queue.push({ job: 'b', from: null, to: 'NEW' });
    queue.push({ job: 'a', from: 'NEW', to: 'QUEUED' });
    queue.push({ job: 'b', from: 'NEW', to: 'FAILED' });
    queue.push({ job: 'a', from: 'QUEUED', to: 'SUCCEEDED' });
    queue.end();

    const read: Move[] = [];
    for await (const move of queue.iterator) read.push(move);
    expect(read).toEqual([
      { job: 'b', from: null, to: 'FAILED' },
      { job: 'a', from: 'NEW', to: 'SUCCEEDED' },
    ]);
  });

  it('holds one value per key however many are pushed while the consumer lags', () => {
    const queue = createEventQueue<Move>(undefined, byJob);
    for (let round = 0; round < 1_000; round++) {
      queue.push({ job: `job-${round % 3}`, from: String(round), to: String(round + 1) });
    }
    let count = 0;
    queue.end();
    return (async () => {
      for await (const _move of queue.iterator) count++;
      expect(count).toBe(3);
    })();
  });
});
