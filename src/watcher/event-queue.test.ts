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
