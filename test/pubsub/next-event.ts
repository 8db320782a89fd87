// Waiting helpers for stream tests: the next value of an async iterator, or a failure naming
// what was awaited once a bounded deadline passes. No sleeps.

/** The next value, or a rejection once `timeoutMs` passes or the stream ends. */
export async function nextEvent<T>(
  events: AsyncIterator<T>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const result = await nextResult(events, what, timeoutMs);
  if (result.done === true) throw new Error(`expected ${what}, but the stream ended`);
  return result.value;
}

/** The next iterator result (a value or the end), or a rejection once `timeoutMs` passes. */
export async function nextResult<T>(
  events: AsyncIterator<T>,
  what: string,
  timeoutMs = 5_000,
): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`expected ${what} within ${timeoutMs} ms, but nothing arrived`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([events.next(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
