// The operations one WebSocket has started, by client id, and the lifetime of their streams. The
// socket owns that lifetime, not graphql-ws's id map: a reused id overwrites an entry of that map,
// and a stream nobody holds any more is never returned. It never writes to the socket.

/** One `subscribe` of the client: one generation of its id. */
export interface Operation {
  readonly id: string;
  /** Counts the subscribes of the socket: tells two generations of one id apart. */
  readonly generation: number;
  /**
   * The subscribe message's payload as graphql-ws parsed it: graphql-ws hands that same object
   * to its completion and error hooks, which is how they name this generation.
   */
  payload: object | undefined;
  /** Completed by the client, ended by the socket, or finished by graphql-ws. */
  isEnded: boolean;
  /** The stream once it exists; returned when the operation ends early. */
  stream: AsyncIterator<unknown> | undefined;
}

export interface SocketOperations {
  /** Active operations (started, not completed nor finished): the per-connection count. */
  readonly size: number;
  /** Registers a `subscribe` of `id`; undefined when `id` is active already (close with 4409). */
  start(id: string): Operation | undefined;
  /** The active operation of `id`. */
  active(id: string): Operation | undefined;
  /** The client's `complete`: ends the active operation of `id` and returns its stream. */
  complete(id: string): void;
  /** graphql-ws finished the operation named by `payload` (sent its complete or error). */
  finished(id: string, payload: unknown): void;
  /** Ends `operation` (its stream is returned); its id may be reused from now on. */
  end(operation: Operation): void;
  /** The socket closed: every operation ends and its stream is returned. */
  endAll(): void;
  /**
   * Hands `stream` to `operation`: returned at once when the operation ended already. The
   * iterator to give graphql-ws instead of the stream: once the operation ended, its `next()`
   * never settles, so graphql-ws sends nothing more under the id (which may belong to a newer
   * generation by then) and never touches its id map for this generation again.
   */
  adopt<T>(operation: Operation, stream: AsyncIterator<T>): AsyncIterableIterator<T>;
}

/**
 * A promise that never settles. A fresh one each time: whatever awaits it is collected with it,
 * whereas one shared promise would keep every continuation ever attached to it.
 */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** Creates the operations of one socket. */
export function createSocketOperations(): SocketOperations {
  const active = new Map<string, Operation>();
  let generations = 0;

  const forget = (operation: Operation): void => {
    operation.isEnded = true;
    if (active.get(operation.id) === operation) active.delete(operation.id);
  };
  const end = (operation: Operation): void => {
    if (operation.isEnded) return;
    forget(operation);
    const { stream } = operation;
    operation.stream = undefined;
    returnQuietly(stream);
  };

  return {
    get size() {
      return active.size;
    },
    start(id) {
      if (active.has(id)) return undefined;
      generations += 1;
      const operation: Operation = {
        id,
        generation: generations,
        payload: undefined,
        isEnded: false,
        stream: undefined,
      };
      active.set(id, operation);
      return operation;
    },
    active: (id) => active.get(id),
    complete(id) {
      const operation = active.get(id);
      if (operation !== undefined) end(operation);
    },
    finished(id, payload) {
      const operation = active.get(id);
      if (operation !== undefined && operation.payload === payload) forget(operation);
    },
    end,
    endAll() {
      for (const operation of [...active.values()]) end(operation);
    },
    adopt(operation, stream) {
      if (operation.isEnded) {
        returnQuietly(stream);
        return endedLease();
      }
      operation.stream = stream;
      return lease(operation, stream, forget);
    },
  };
}

function returnQuietly(stream: AsyncIterator<unknown> | undefined): void {
  if (stream?.return === undefined) return;
  try {
    stream.return().catch(() => undefined);
  } catch {
    // A stream that fails to release has nothing more to release.
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function endedLease<T>(): AsyncIterableIterator<T> {
  return {
    next: () => never(),
    return: () => Promise.resolve(DONE),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function lease<T>(
  operation: Operation,
  stream: AsyncIterator<T>,
  forget: (operation: Operation) => void,
): AsyncIterableIterator<T> {
  return {
    next() {
      if (operation.isEnded) return never();
      return stream.next().then(
        (step) => {
          if (operation.isEnded) return never();
          // Ended by itself: graphql-ws sends the complete, and the id is free again.
          if (step.done === true) forget(operation);
          return step;
        },
        (error: unknown) => {
          if (operation.isEnded) return never();
          forget(operation);
          throw error;
        },
      );
    },
    // graphql-ws calls this on the client's complete, after the socket ended the operation.
    return() {
      if (!operation.isEnded) {
        forget(operation);
        operation.stream = undefined;
        returnQuietly(stream);
      }
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
