// The initial fetch batcher: every id whose subscribers await a first state, gathered over one
// turn of the event loop into one fetch shared by all. It never fetches an id twice at once.

export interface InitialFetcherOptions {
  /** Whether an id still awaits its first state when the batch leaves. */
  isAwaited: (id: string) => boolean;
  /** Fetches the batch; handles its own failures. */
  fetch: (ids: readonly string[]) => Promise<void>;
}

export interface InitialFetcher {
  request(id: string): void;
  /** Drops whatever is queued; fetches in flight finish unheard. */
  close(): void;
}

export function createInitialFetcher(options: InitialFetcherOptions): InitialFetcher {
  const queue = new Set<string>();
  const fetching = new Set<string>();
  let isScheduled = false;
  let isClosed = false;

  const flush = async (): Promise<void> => {
    isScheduled = false;
    if (isClosed) return;
    const ids = [...queue].filter(options.isAwaited);
    queue.clear();
    if (ids.length === 0) return;
    for (const id of ids) fetching.add(id);
    try {
      await options.fetch(ids);
    } finally {
      for (const id of ids) fetching.delete(id);
    }
  };

  return {
    request(id) {
      if (isClosed || fetching.has(id) || queue.has(id)) return;
      queue.add(id);
      if (isScheduled) return;
      isScheduled = true;
      setImmediate(() => void flush());
    },
    close() {
      isClosed = true;
      queue.clear();
    },
  };
}
