import { describe, expect, it } from 'vitest';
import { createSocketOperations } from './websocket-operations.ts';

/** A stream that records whether it was returned, and never yields by itself. */
function stream() {
  const state = { returns: 0 };
  const iterator: AsyncIterator<number> = {
    next: () => new Promise<IteratorResult<number>>(() => undefined),
    return: async () => {
      state.returns++;
      return { done: true, value: undefined };
    },
  };
  return { iterator, state };
}

/** Resolves true when `promise` settles within a few macrotask turns. */
async function settles(promise: Promise<unknown>): Promise<boolean> {
  let isSettled = false;
  promise.then(
    () => {
      isSettled = true;
    },
    () => {
      isSettled = true;
    },
  );
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
  return isSettled;
}

describe('createSocketOperations', () => {
  it('refuses a second subscribe of an active id, and takes it again once completed', () => {
    const operations = createSocketOperations();
    const first = operations.start('x');
    expect(first).toBeDefined();
    expect(operations.start('x')).toBeUndefined();
    operations.complete('x');
    const second = operations.start('x');
    expect(second?.generation).toBeGreaterThan(first?.generation ?? Number.POSITIVE_INFINITY);
    expect(operations.size).toBe(1);
  });

  it.each<[string, (operations: ReturnType<typeof createSocketOperations>) => void]>([
    ['completed by the client', (operations) => operations.complete('x')],
    ['on a closed socket', (operations) => operations.endAll()],
  ])('returns a stream that arrives after its operation ended (%s)', async (_case, end) => {
    const operations = createSocketOperations();
    const operation = operations.start('x');
    if (operation === undefined) throw new Error('expected an operation');
    end(operations);
    const { iterator, state } = stream();
    const lease = operations.adopt(operation, iterator);

    expect(state.returns).toBe(1);
    expect(await settles(lease.next())).toBe(false);
  });

  it('returns the first generation of a reused id when it is completed, not the second', () => {
    const operations = createSocketOperations();
    const first = operations.start('x');
    operations.complete('x');
    const second = operations.start('x');
    if (first === undefined || second === undefined) throw new Error('expected operations');
    const late = stream();
    operations.adopt(first, late.iterator);
    const current = stream();
    operations.adopt(second, current.iterator);

    expect([late.state.returns, current.state.returns]).toEqual([1, 0]);
    operations.complete('x');
    expect([late.state.returns, current.state.returns]).toEqual([1, 1]);
    expect(operations.size).toBe(0);
  });

  it('returns every adopted stream once when the socket closes', async () => {
    const operations = createSocketOperations();
    const streams = ['a', 'b', 'c'].map((id) => {
      const operation = operations.start(id);
      if (operation === undefined) throw new Error('expected an operation');
      const adopted = stream();
      operations.adopt(operation, adopted.iterator);
      return adopted;
    });
    operations.endAll();
    operations.endAll();

    expect(streams.map((adopted) => adopted.state.returns)).toEqual([1, 1, 1]);
    expect(operations.size).toBe(0);
  });

  it('frees an id when its stream ends by itself, and only the generation graphql-ws names', async () => {
    const operations = createSocketOperations();
    const operation = operations.start('x');
    if (operation === undefined) throw new Error('expected an operation');
    operation.payload = { query: 'first' };
    operations.finished('x', { query: 'another object' });
    expect(operations.size).toBe(1);
    const ending: AsyncIterator<number> = {
      next: async () => ({ done: true, value: undefined }),
    };
    const lease = operations.adopt(operation, ending);

    expect(await lease.next()).toEqual({ done: true, value: undefined });
    expect(operations.size).toBe(0);
  });
});
