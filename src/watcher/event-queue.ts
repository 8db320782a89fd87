// A push-to-pull queue behind each subscriber's async iterator. It buffers, ends and fails, and
// may merge an unread value into a newer one of the same key; it knows nothing of jobs, tenants
// or polling.

/** The producer's side of one subscriber's stream. */
export interface EventQueue<T> {
  /**
   * Queues a value; ignored once the queue has ended. With `isCoalescable` false the value is
   * never merged with another (a replay, where every value counts). @default true
   */
  push(value: T, isCoalescable?: boolean): void;
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
 * How a queue merges values while its consumer lags: a value pushed while another of the same
 * key is still unread replaces it, in its place, with `merge(unread, pushed)`. So what waits for
 * a slow consumer is bounded by the number of keys, and no value overtakes an older one.
 */
export interface Coalescing<T> {
  keyOf(value: T): string;
  merge(unread: T, pushed: T): T;
}

interface Waiter<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (error: unknown) => void;
}

// One queue lives per subscriber, thousands at once: its state is one plain object and the
// functions below are shared, rather than a set of closures per queue.
interface QueueState<T> {
  values: T[];
  /** With coalescing: where the unread value of each key sits (counted from the first value ever queued). */
  unread: Map<string, number> | undefined;
  /** Values taken from the front since the queue began (keeps `unread` indexes valid). */
  taken: number;
  coalescing: Coalescing<T> | undefined;
  waiting: Waiter<T>[];
  ending: Ending | undefined;
  isEndingDelivered: boolean;
  onReturn: (() => void) | undefined;
}

/** A fresh end-of-stream result each time: consumers own what they are handed. */
function done(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}

/**
 * Creates an unbounded queue. `onReturn` runs once when the consumer stops early (`return()`
 * or `throw()` before the stream ended), so the producer can release what it holds at once.
 */
export function createEventQueue<T>(
  onReturn?: () => void,
  coalescing?: Coalescing<T>,
): EventQueue<T> {
  const state: QueueState<T> = {
    values: [],
    unread: undefined,
    taken: 0,
    coalescing,
    waiting: [],
    ending: undefined,
    isEndingDelivered: false,
    onReturn,
  };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      return nextOf(state);
    },
    async return() {
      return stopEarly(state);
    },
    async throw(error?: unknown) {
      stopEarly(state);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    push(value, isCoalescable = true) {
      if (state.ending !== undefined) return;
      enqueue(state, value, isCoalescable);
      settleWaiting(state);
    },
    end() {
      close(state, { kind: 'done' });
    },
    fail(error) {
      close(state, { kind: 'error', error });
    },
    get isEnded() {
      return state.ending !== undefined;
    },
    iterator,
  };
}

function enqueue<T>(state: QueueState<T>, value: T, isCoalescable: boolean): void {
  const { coalescing } = state;
  if (coalescing === undefined || !isCoalescable) {
    state.values.push(value);
    return;
  }
  const key = coalescing.keyOf(value);
  const unread = state.unread?.get(key);
  if (unread !== undefined) {
    const at = unread - state.taken;
    state.values[at] = coalescing.merge(state.values[at] as T, value);
    return;
  }
  state.unread ??= new Map();
  state.unread.set(key, state.taken + state.values.length);
  state.values.push(value);
}

/** Takes the oldest value; the caller checked there is one. */
function take<T>(state: QueueState<T>): T {
  const value = state.values.shift() as T;
  if (state.coalescing !== undefined) {
    const key = state.coalescing.keyOf(value);
    // Only when this value is the unread one of its key (an uncoalescable one never is).
    if (state.unread?.get(key) === state.taken) state.unread.delete(key);
    state.taken += 1;
  }
  return value;
}

function nextOf<T>(state: QueueState<T>): Promise<IteratorResult<T>> {
  if (state.values.length > 0) {
    return Promise.resolve({ done: false, value: take(state) });
  }
  const { ending } = state;
  if (ending?.kind === 'error' && !state.isEndingDelivered) {
    state.isEndingDelivered = true;
    return Promise.reject(ending.error);
  }
  if (ending !== undefined) return Promise.resolve(done());
  return new Promise((resolve, reject) => {
    state.waiting.push({ resolve, reject });
  });
}

function settleWaiting<T>(state: QueueState<T>): void {
  const { values, waiting } = state;
  while (waiting.length > 0) {
    const waiter = waiting.shift();
    if (waiter === undefined) return;
    if (values.length > 0) {
      waiter.resolve({ done: false, value: take(state) });
    } else if (state.ending?.kind === 'error' && !state.isEndingDelivered) {
      state.isEndingDelivered = true;
      waiter.reject(state.ending.error);
    } else if (state.ending !== undefined) {
      waiter.resolve(done());
    } else {
      waiting.unshift(waiter);
      return;
    }
  }
}

function close<T>(state: QueueState<T>, ending: Ending): void {
  if (state.ending !== undefined) return;
  state.ending = ending;
  settleWaiting(state);
}

function stopEarly<T>(state: QueueState<T>): IteratorResult<T> {
  const wasOpen = state.ending === undefined;
  state.values.length = 0;
  state.unread = undefined;
  state.ending = { kind: 'done' };
  state.isEndingDelivered = true;
  settleWaiting(state);
  if (wasOpen) state.onReturn?.();
  return done();
}
