// Slots for upstream calls per tenant key: at most `maxConcurrent` in flight, then a bounded FIFO
// queue, so one tenant's slow upstream cannot hold the shared connection pool. No timers: a
// waiter leaves the queue when its signal aborts (the caller's, or the attempt deadline's).

export interface TenantLimiterOptions {
  /** Calls in flight per key. */
  maxConcurrent: number;
  /** Calls waiting per key; beyond it `acquire` refuses at once. */
  maxQueued: number;
}

export type Acquisition =
  | { ok: true; release: () => void }
  | { ok: false; reason: 'queue-full'; active: number; queued: number }
  | { ok: false; reason: 'aborted' };

export interface TenantLimiter {
  /** Waits for a slot of `key`; `release()` must be called exactly once when the call ends. */
  acquire(key: string, signal: AbortSignal): Promise<Acquisition>;
  /** Calls in flight and waiting for `key`. */
  load(key: string): { active: number; queued: number };
}

interface Waiter {
  grant: () => void;
}

interface KeyState {
  active: number;
  queue: Waiter[];
}

export function createTenantLimiter(options: TenantLimiterOptions): TenantLimiter {
  const states = new Map<string, KeyState>();

  function releaser(key: string, state: KeyState): () => void {
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      const next = state.queue.shift();
      // The slot passes straight to the next waiter: `active` stays the same.
      if (next !== undefined) {
        next.grant();
        return;
      }
      state.active -= 1;
      if (state.active === 0) states.delete(key);
    };
  }

  return {
    acquire(key, signal) {
      if (signal.aborted) return Promise.resolve({ ok: false, reason: 'aborted' });
      let state = states.get(key);
      if (state === undefined) {
        state = { active: 0, queue: [] };
        states.set(key, state);
      }
      const current = state;
      if (current.active < options.maxConcurrent) {
        current.active += 1;
        return Promise.resolve({ ok: true, release: releaser(key, current) });
      }
      if (current.queue.length >= options.maxQueued) {
        return Promise.resolve({
          ok: false,
          reason: 'queue-full',
          active: current.active,
          queued: current.queue.length,
        });
      }
      return new Promise<Acquisition>((resolve) => {
        const onAbort = () => {
          const index = current.queue.indexOf(waiter);
          if (index !== -1) current.queue.splice(index, 1);
          resolve({ ok: false, reason: 'aborted' });
        };
        const waiter: Waiter = {
          grant: () => {
            signal.removeEventListener('abort', onAbort);
            resolve({ ok: true, release: releaser(key, current) });
          },
        };
        current.queue.push(waiter);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    load(key) {
      const state = states.get(key);
      return { active: state?.active ?? 0, queued: state?.queue.length ?? 0 };
    },
  };
}
