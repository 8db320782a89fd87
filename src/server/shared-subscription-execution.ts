// Executes each subscription event once per identical operation and shares the result with
// every subscriber of it, over WebSocket and SSE alike. It must not change what a subscriber
// receives: only the number of executions.

import {
  createSourceEventStream,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Which subscriptions may share an execution: same tenant, document, operation and variables. */
export type ShareKey = (args: ExecutionArgs) => string | undefined;

export interface SharedExecutionStats {
  /** Events executed (cache misses). */
  executions: number;
  /** Events answered from a result already computed for another subscriber. */
  shared: number;
}

/**
 * An envelop plugin replacing the subscribe function: the source stream is created per
 * subscriber as usual, but each event object is executed once per share key. Events are
 * cached by identity (a WeakMap), so a result lives only as long as its event.
 *
 * Subscribers share a result only when their resolvers would see the same inputs: the same
 * event object (events are published per tenant), the same document, operation name,
 * variables and `shareKey` (the tenant). A subscriber-specific event is a different object and
 * is executed for that subscriber alone.
 */
export function useSharedSubscriptionExecution(options: {
  shareKey: ShareKey;
  stats?: SharedExecutionStats;
}): Plugin {
  const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
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

  const executeShared = (args: ExecutionArgs, payload: unknown): Promise<ExecutionResult> => {
    const run = async () => execute({ ...args, rootValue: payload });
    const tenant = options.shareKey(args);
    if (tenant === undefined || typeof payload !== 'object' || payload === null) return run();
    const key = `${tenant}\u0000${documentId(args.document)}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
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
    const result = run();
    perEvent.set(key, result);
    return result;
  };

  const subscribe = async (
    args: ExecutionArgs,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream as ExecutionResult;
    return mapEvents(stream, (payload) => executeShared(args, payload));
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Maps a source stream, forwarding `return()` so the source releases what it holds. A source
 * that fails ends the stream with one result carrying the error, instead of a rejected
 * `next()` (which graphql-ws would answer by closing the whole socket).
 */
function mapEvents<T>(
  source: AsyncIterable<T>,
  map: (value: T) => Promise<ExecutionResult>,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let isDone = false;
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    if (!isDone) {
      isDone = true;
      await iterator.return?.();
    }
    return { done: true, value: undefined };
  };
  return {
    async next() {
      if (isDone) return { done: true, value: undefined };
      try {
        const step = await iterator.next();
        if (step.done) {
          isDone = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: await map(step.value) };
      } catch (error) {
        isDone = true;
        return { done: false, value: { errors: [toGraphQLError(error)] } };
      }
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GraphQLError(message, { originalError: error instanceof Error ? error : undefined });
}
