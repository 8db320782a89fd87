// The stream of execution results one subscriber receives: each source event mapped to a result.
// Pulled through `next()` by default; with a direct sink, results are pushed to it as they are
// ready. It never touches a socket and never decides what a result holds.
import { type ExecutionResult, GraphQLError } from 'graphql';

/**
 * Takes a subscriber's results straight from its stream, skipping every per-result layer above
 * it (envelop's hooks, the transport's own loop). Only results without errors are written
 * here: a result with errors always travels through `next()`, so error masking still applies.
 */
export interface DirectResultSink {
  /**
   * Delivers one result without errors. Called synchronously, in stream order. It should not
   * throw; if it does, the stream ends with that error as its last result, like a failing source.
   */
  write(result: ExecutionResult): void;
}

/** Maps one source event to its result; synchronous when the result is already known. */
export type MapEvent<T> = (event: T) => ExecutionResult | Promise<ExecutionResult>;

/** A fresh end-of-stream result each time: consumers own what they are handed. */
function done(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}

/**
 * Creates a subscriber's result stream over `source`. `return()` is forwarded so the source
 * releases what it holds. A source (or `map`) that fails ends the stream with one result
 * carrying the error instead of a rejected `next()` (which graphql-ws would answer by closing
 * the whole socket).
 *
 * With `sink`, the source is drained from the first `next()` on, and each result without errors
 * goes to `sink.write` as soon as it is ready: the consumer's `next()` then only yields results
 * with errors and the end. Order holds across both ways: once a result is handed to `next()`,
 * the ones after it wait there too until the consumer asks for more (it has sent that one).
 */
export function createResultStream<T>(
  source: AsyncIterable<T>,
  map: MapEvent<T>,
  sink?: DirectResultSink,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  return sink === undefined ? pulledStream(iterator, map) : pushedStream(iterator, map, sink);
}

function pulledStream<T>(
  iterator: AsyncIterator<T>,
  map: MapEvent<T>,
): AsyncIterableIterator<ExecutionResult> {
  const state = { isDone: false };
  return {
    async next() {
      if (state.isDone) return done();
      let step: IteratorResult<T>;
      try {
        step = await iterator.next();
      } catch (error) {
        state.isDone = true;
        return { done: false, value: errorResult(error) };
      }
      if (step.done) {
        state.isDone = true;
        return done();
      }
      try {
        return { done: false, value: await map(step.value) };
      } catch (error) {
        await finishPulled(state, iterator);
        return { done: false, value: errorResult(error) };
      }
    },
    return() {
      return finishPulled(state, iterator);
    },
    async throw(error: unknown) {
      await finishPulled(state, iterator);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function finishPulled<T>(
  state: { isDone: boolean },
  iterator: AsyncIterator<T>,
): Promise<IteratorResult<ExecutionResult>> {
  if (!state.isDone) {
    state.isDone = true;
    await iterator.return?.();
  }
  return done();
}

// One pushed stream lives per WebSocket subscriber, thousands at once: its state is one plain
// object and the functions below are shared, rather than a set of closures per stream.
/** What a pushed stream knows between events. */
interface PushState<T> {
  readonly iterator: AsyncIterator<T>;
  readonly map: MapEvent<T>;
  readonly sink: DirectResultSink;
  /** Results for the consumer's `next()`, in order. */
  held: ExecutionResult[] | undefined;
  /** The consumer's reads still unanswered. */
  waiting: Array<(step: IteratorResult<ExecutionResult>) => void> | undefined;
  isStarted: boolean;
  isPulling: boolean;
  /** A result was handed to the consumer and it has not asked for the next one yet. */
  isHandedOut: boolean;
  /** The source ended or failed: no result will come after the held ones. */
  isSourceDone: boolean;
  /** The consumer returned: nothing more is delivered at all. */
  isReturned: boolean;
  onStep(step: IteratorResult<T>): void;
  onFailure(error: unknown): void;
}

function pushedStream<T>(
  iterator: AsyncIterator<T>,
  map: MapEvent<T>,
  sink: DirectResultSink,
): AsyncIterableIterator<ExecutionResult> {
  const state: PushState<T> = {
    iterator,
    map,
    sink,
    held: undefined,
    waiting: undefined,
    isStarted: false,
    isPulling: false,
    isHandedOut: false,
    isSourceDone: false,
    isReturned: false,
    onStep(step) {
      onStep(state, step);
    },
    onFailure(error) {
      fail(state, error);
    },
  };
  return {
    next() {
      // Asking again means the result handed out before has been dealt with.
      state.isHandedOut = false;
      if (!state.isStarted) {
        state.isStarted = true;
        pull(state);
      }
      return new Promise((resolve) => {
        state.waiting ??= [];
        state.waiting.push(resolve);
        answerWaiting(state);
      });
    },
    return() {
      return stop(state);
    },
    async throw(error: unknown) {
      await stop(state);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function answerWaiting<T>(state: PushState<T>): void {
  const { waiting } = state;
  while (waiting !== undefined && waiting.length > 0) {
    const value = state.held?.shift();
    if (value !== undefined) {
      state.isHandedOut = true;
      waiting.shift()?.({ done: false, value });
    } else if (state.isSourceDone || state.isReturned) {
      waiting.shift()?.(done());
    } else {
      return;
    }
  }
}

function hold<T>(state: PushState<T>, result: ExecutionResult): void {
  state.held ??= [];
  state.held.push(result);
  answerWaiting(state);
}

function pull<T>(state: PushState<T>): void {
  if (state.isPulling || state.isSourceDone || state.isReturned) return;
  state.isPulling = true;
  let step: Promise<IteratorResult<T>>;
  try {
    step = state.iterator.next();
  } catch (error) {
    fail(state, error);
    return;
  }
  step.then(state.onStep, state.onFailure);
}

function onStep<T>(state: PushState<T>, step: IteratorResult<T>): void {
  state.isPulling = false;
  if (state.isReturned) return;
  if (step.done) {
    state.isSourceDone = true;
    answerWaiting(state);
    return;
  }
  let mapped: ExecutionResult | Promise<ExecutionResult>;
  try {
    mapped = state.map(step.value);
  } catch (error) {
    failMapping(state, error);
    return;
  }
  if (isPromise(mapped)) {
    mapped.then(
      (result) => deliver(state, result),
      (error: unknown) => failMapping(state, error),
    );
  } else {
    deliver(state, mapped);
  }
}

function deliver<T>(state: PushState<T>, result: ExecutionResult): void {
  if (state.isReturned) return;
  const isOrderFree = (state.held?.length ?? 0) === 0 && !state.isHandedOut;
  if (result.errors === undefined && isOrderFree) {
    try {
      state.sink.write(result);
    } catch (error) {
      failMapping(state, error);
      return;
    }
  } else {
    hold(state, result);
  }
  pull(state);
}

function fail<T>(state: PushState<T>, error: unknown): void {
  state.isPulling = false;
  if (state.isReturned || state.isSourceDone) return;
  state.isSourceDone = true;
  hold(state, errorResult(error));
}

function failMapping<T>(state: PushState<T>, error: unknown): void {
  fail(state, error);
  // The source is still open: it must release what it holds.
  state.iterator.return?.()?.catch(() => undefined);
}

async function stop<T>(state: PushState<T>): Promise<IteratorResult<ExecutionResult>> {
  if (state.isReturned) return done();
  state.isReturned = true;
  state.held = undefined;
  answerWaiting(state);
  if (!state.isSourceDone) await state.iterator.return?.();
  return done();
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function errorResult(error: unknown): ExecutionResult {
  return { errors: [toGraphQLError(error)] };
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GraphQLError(message, { originalError: error instanceof Error ? error : undefined });
}
