// Executes each subscription event once per identical operation and shares the result with
// every subscriber of it, over WebSocket and SSE alike. It must not change what a subscriber
// receives: only the number of executions, and, for a subscriber with a direct sink, the way
// results travel (see result-stream.ts).

import {
  createSourceEventStream,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createResultStream, type DirectResultSink } from './result-stream.ts';

/** Which subscriptions may share an execution: same tenant, document, operation and variables. */
export type ShareKey = (args: ExecutionArgs) => string | undefined;

export interface SharedExecutionStats {
  /** Events executed (cache misses). */
  executions: number;
  /** Events answered from a result already computed for another subscriber. */
  shared: number;
}

/**
 * Direct sinks by the operation's context value: a transport that can write results itself
 * (the WebSocket one) registers a sink for the context it created before subscribing.
 */
export type DirectSinks = Pick<WeakMap<object, DirectResultSink>, 'get'>;

/** A result being computed, then the result itself once known. */
type SharedResult = ExecutionResult | Promise<ExecutionResult>;

/**
 * An envelop plugin replacing the subscribe function: the source stream is created per
 * subscriber as usual, but each event object is executed once per share key. Events are
 * cached by identity (a WeakMap), so a result lives only as long as its event.
 *
 * Subscribers share a result only when their resolvers would see the same inputs: the same
 * event object (events are published per tenant), the same document, operation name,
 * variables and `shareKey` (the tenant). A subscriber-specific event is a different object and
 * is executed for that subscriber alone.
 *
 * A subscriber whose context has a sink in `directSinks` gets its results without errors
 * written to that sink as they are ready; the rest (errors, the end) still go through the
 * stream envelop and the transport pull, so per-result hooks such as error masking apply to
 * them. Per-result hooks must therefore leave results without errors unchanged.
 */
export function useSharedSubscriptionExecution(options: {
  shareKey: ShareKey;
  stats?: SharedExecutionStats;
  /** @default none: every subscriber pulls its results */
  directSinks?: DirectSinks;
  /**
   * Told of each result once it is written to a subscriber's socket (direct sink) or handed to
   * its transport (pulled), with the source event it came from (for the push lag metric).
   */
  onDelivered?: ((event: unknown) => void) | undefined;
}): Plugin {
  const results = new WeakMap<object, Map<string, SharedResult>>();
  const documentIds = new WeakMap<object, number>();
  let nextDocumentId = 0;
  const documentId = (document: object): number => {
    let id = documentIds.get(document);
    if (id === undefined) {
      id = nextDocumentId++;
      documentIds.set(document, id);
    }
    return id;
  };
  const keyOf = (args: ExecutionArgs): string | undefined => {
    const tenant = options.shareKey(args);
    if (tenant === undefined) return undefined;
    return `${tenant}\u0000${documentId(args.document)}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
  };

  const executeShared = (
    args: ExecutionArgs,
    key: string | undefined,
    payload: unknown,
  ): SharedResult => {
    if (key === undefined || typeof payload !== 'object' || payload === null) {
      return execute({ ...args, rootValue: payload });
    }
    let perEvent = results.get(payload);
    if (perEvent === undefined) {
      perEvent = new Map();
      results.set(payload, perEvent);
    }
    const cached = perEvent.get(key);
    if (cached !== undefined) {
      if (options.stats) options.stats.shared++;
      return cached;
    }
    if (options.stats) options.stats.executions++;
    const result = execute({ ...args, rootValue: payload });
    perEvent.set(key, result);
    // Once known, later subscribers take the result itself rather than wait on the promise.
    if (result instanceof Promise) {
      const cache = perEvent;
      result.then(
        (value) => {
          if (cache.get(key) === result) cache.set(key, value);
        },
        () => undefined,
      );
    }
    return result;
  };

  const subscribe = async (
    args: ExecutionArgs,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream as ExecutionResult;
    // The operation never changes; only the tenant may be unknown until the resolver ran.
    let key: string | undefined;
    const sink =
      typeof args.contextValue === 'object' && args.contextValue !== null
        ? options.directSinks?.get(args.contextValue)
        : undefined;
    const map = (payload: unknown): SharedResult => {
      key ??= keyOf(args);
      return executeShared(args, key, payload);
    };
    const { onDelivered } = options;
    if (onDelivered === undefined) return createResultStream(stream, map, sink);
    return observeDeliveries(stream, map, sink, onDelivered);
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}

/** Results of events (a shared result has one event), to tell `onDelivered` which event it was. */
const eventOfResult = new WeakMap<ExecutionResult, unknown>();

/** `createResultStream` with every delivered result reported to `onDelivered`. */
function observeDeliveries(
  stream: AsyncIterable<unknown>,
  map: (payload: unknown) => SharedResult,
  sink: DirectResultSink | undefined,
  onDelivered: (event: unknown) => void,
): AsyncIterableIterator<ExecutionResult> {
  const remember = (payload: unknown, result: ExecutionResult): ExecutionResult => {
    eventOfResult.set(result, payload);
    return result;
  };
  const mapAndRemember = (payload: unknown): SharedResult => {
    const result = map(payload);
    return result instanceof Promise
      ? result.then((value) => remember(payload, value))
      : remember(payload, result);
  };
  const report = (result: ExecutionResult): void => {
    if (eventOfResult.has(result)) onDelivered(eventOfResult.get(result));
  };
  const observedSink: DirectResultSink | undefined =
    sink === undefined
      ? undefined
      : {
          write(result) {
            sink.write(result);
            report(result);
          },
        };
  const results = createResultStream(stream, mapAndRemember, observedSink);
  return {
    async next() {
      const step = await results.next();
      if (step.done !== true) report(step.value);
      return step;
    },
    return: () => results.return?.() ?? Promise.resolve({ done: true, value: undefined }),
    throw: (error: unknown) => results.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
