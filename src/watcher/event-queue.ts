// A push-to-pull queue behind each subscriber's async iterator. It buffers, ends and fails;
// it knows nothing of jobs, tenants or polling.

/** The producer's side of one subscriber's stream. */
export interface EventQueue<T> {
  /** Queues a value; ignored once the queue has ended. */
  push(value: T): void;
  /** Ends the stream after the queued values have been read. */
  end(): void;
  /** Ends the stream after the queued values, by throwing `error` from the next `next()`. */
  fail(error: unknown): void;
  /** True once `end`, `fail` or the consumer's `return()` has closed the stream. */
  readonly isEnded: boolean;
  /** The consumer's side. */
  readonly iterator: AsyncIterableIterator<T>;
}

type Ending = { kind: 'done' } | { kind: 'error'; error: unknown };

/**
 * Creates an unbounded queue. `onReturn` runs once when the consumer stops early (`return()`
 * or `throw()` before the stream ended), so the producer can release what it holds at once.
 */
export function createEventQueue<T>(onReturn?: () => void): EventQueue<T> {
  const values: T[] = [];
  const waiting: Array<{
    resolve: (result: IteratorResult<T>) => void;
    reject: (error: unknown) => void;
  }> = [];
  let ending: Ending | undefined;
  let isEndingDelivered = false;

  const settleWaiting = (): void => {
    while (waiting.length > 0) {
      const waiter = waiting.shift();
      if (waiter === undefined) return;
      if (values.length > 0) {
        waiter.resolve({ done: false, value: values.shift() as T });
      } else if (ending?.kind === 'error' && !isEndingDelivered) {
        isEndingDelivered = true;
        waiter.reject(ending.error);
      } else if (ending !== undefined) {
        waiter.resolve({ done: true, value: undefined });
      } else {
        waiting.unshift(waiter);
        return;
      }
    }
  };

  const close = (next: Ending): void => {
    if (ending !== undefined) return;
    ending = next;
    settleWaiting();
  };

  const stopEarly = (): IteratorResult<T> => {
    const wasOpen = ending === undefined;
    values.length = 0;
    ending = { kind: 'done' };
    isEndingDelivered = true;
    settleWaiting();
    if (wasOpen) onReturn?.();
    return { done: true, value: undefined };
  };

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (values.length > 0) return Promise.resolve({ done: false, value: values.shift() as T });
      if (ending?.kind === 'error' && !isEndingDelivered) {
        isEndingDelivered = true;
        return Promise.reject(ending.error);
      }
      if (ending !== undefined) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
      });
    },
    async return() {
      return stopEarly();
    },
    async throw(error?: unknown) {
      stopEarly();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  return {
    push(value) {
      if (ending !== undefined) return;
      values.push(value);
      settleWaiting();
    },
    end() {
      close({ kind: 'done' });
    },
    fail(error) {
      close({ kind: 'error', error });
    },
    get isEnded() {
      return ending !== undefined;
    },
    iterator,
  };
}
