// Records what one subscription delivers (results, then completion or an error), whatever the
// transport, and lets tests await the next result or the end with a bounded deadline. No sleeps:
// every wait is woken by a delivery.
import type { FormattedExecutionResult } from 'graphql';

/** How a subscription ended. */
export type SubscriptionOutcome =
  | { kind: 'complete' }
  | { kind: 'error'; error: unknown }
  | { kind: 'cancelled' };

export interface SubscriptionRecorder<TData> {
  /** Every `next` payload, in arrival order. */
  readonly results: readonly FormattedExecutionResult<TData>[];
  /** Undefined while the subscription runs. */
  readonly outcome: SubscriptionOutcome | undefined;
  /** The next result not yet taken by `next()`; rejects after `timeoutMs` or at the end. */
  next(what: string, timeoutMs?: number): Promise<FormattedExecutionResult<TData>>;
  /** Resolves once `predicate` holds over the results so far; rejects after `timeoutMs`. */
  waitFor(
    predicate: (results: readonly FormattedExecutionResult<TData>[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<readonly FormattedExecutionResult<TData>[]>;
  /** Resolves with the outcome once the subscription ended; rejects after `timeoutMs`. */
  ended(what: string, timeoutMs?: number): Promise<SubscriptionOutcome>;
  /** Stops the subscription from the client side (a `complete` frame, or an aborted request). */
  cancel(): void;
}

/** The side a transport drives. */
export interface SubscriptionSink<TData> {
  push(result: FormattedExecutionResult<TData>): void;
  complete(): void;
  fail(error: unknown): void;
  /** What `cancel()` does for this transport. */
  onCancel(cancel: () => void): void;
}

/** How long a wait lasts unless told otherwise. */
export const DEFAULT_WAIT_MS = 5_000;

/** A recorder and the sink its transport feeds. */
export function createSubscriptionRecorder<TData>(): {
  recorder: SubscriptionRecorder<TData>;
  sink: SubscriptionSink<TData>;
} {
  const results: FormattedExecutionResult<TData>[] = [];
  let outcome: SubscriptionOutcome | undefined;
  let taken = 0;
  let cancel: () => void = () => {};
  const waiters = new Set<() => void>();

  const changed = (): void => {
    for (const wake of [...waiters]) wake();
  };

  /** Resolves with `check()`'s value once it returns one; rejects after `timeoutMs`. */
  const waitUntil = <T>(
    check: () => T | undefined,
    describeFailure: () => string,
    timeoutMs: number,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          waiters.delete(wake);
          clearTimeout(timer);
          reject(error);
          return;
        }
        if (value === undefined) return;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve(value);
      };
      timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(describeFailure()));
      }, timeoutMs);
      waiters.add(wake);
      wake();
    });

  const summary = (): string =>
    `${results.length} result(s) so far: ${JSON.stringify(results).slice(0, 1_500)}; outcome ${JSON.stringify(outcome ?? 'running')}`;

  const recorder: SubscriptionRecorder<TData> = {
    results,
    get outcome() {
      return outcome;
    },
    next(what, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => {
          if (taken < results.length) return results[taken++];
          if (outcome !== undefined) {
            throw new Error(`expected ${what}, but the subscription ended first (${summary()})`);
          }
          return undefined;
        },
        () => `expected ${what} within ${timeoutMs} ms, but got none (${summary()})`,
        timeoutMs,
      );
    },
    waitFor(predicate, what, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => {
          if (predicate(results)) return results;
          if (outcome !== undefined) {
            throw new Error(`expected ${what}, but the subscription ended first (${summary()})`);
          }
          return undefined;
        },
        () => `expected ${what} within ${timeoutMs} ms, but it did not happen (${summary()})`,
        timeoutMs,
      );
    },
    ended(what, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => outcome,
        () => `expected ${what} within ${timeoutMs} ms, but the subscription runs (${summary()})`,
        timeoutMs,
      );
    },
    cancel() {
      if (outcome !== undefined) return;
      outcome = { kind: 'cancelled' };
      cancel();
      changed();
    },
  };

  const sink: SubscriptionSink<TData> = {
    push(result) {
      if (outcome !== undefined) return;
      results.push(result);
      changed();
    },
    complete() {
      if (outcome !== undefined) return;
      outcome = { kind: 'complete' };
      changed();
    },
    fail(error) {
      if (outcome !== undefined) return;
      outcome = { kind: 'error', error };
      changed();
    },
    onCancel(next) {
      cancel = next;
    },
  };
  return { recorder, sink };
}

/** The one root field of each result's data (e.g. the `segmentJobStatusChanged` event). */
export function fieldsOf<TData, K extends keyof TData>(
  results: readonly FormattedExecutionResult<TData>[],
  field: K,
): NonNullable<TData[K]>[] {
  const values: NonNullable<TData[K]>[] = [];
  for (const result of results) {
    const value = result.data?.[field];
    if (value !== undefined && value !== null) values.push(value as NonNullable<TData[K]>);
  }
  return values;
}

/** A GraphQL error as a client sees it. */
export interface ErrorLike {
  message: string;
  extensions?: Record<string, unknown> | undefined;
}

/**
 * Every GraphQL error a subscription reported: in `next` results, and in an `error` outcome
 * (graphql-ws reports refused operations as a list of errors).
 */
export function errorsOf(recorder: SubscriptionRecorder<unknown>): ErrorLike[] {
  const errors: ErrorLike[] = recorder.results.flatMap((result) => [...(result.errors ?? [])]);
  const { outcome } = recorder;
  if (outcome?.kind === 'error') {
    const list: unknown[] = Array.isArray(outcome.error) ? outcome.error : [outcome.error];
    for (const item of list) {
      if (typeof item === 'object' && item !== null && 'message' in item) {
        errors.push(item as ErrorLike);
      }
    }
  }
  return errors;
}
