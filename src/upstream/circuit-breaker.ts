// A circuit breaker per key (the tenant key), so that one failing tenant fails fast without
// slowing the others. Pure bookkeeping: it never calls anything and holds no timers.

export interface CircuitBreakerOptions {
  /** Consecutive failed exchanges that open the circuit. @default 5 */
  threshold?: number;
  /** How long an open circuit refuses before letting one probe through. @default 10000 */
  cooldownMs?: number;
  /** Monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
  /** Told each time a circuit goes from closed to open (for metrics). */
  onOpen?: (() => void) | undefined;
}

export type Admission =
  | { allowed: true; isProbe: boolean }
  | { allowed: false; retryAfterMs: number; failures: number };

export interface CircuitBreaker {
  /** Asks to send one exchange for `key`. A probe must be followed by a report. */
  admit(key: string): Admission;
  /** The exchange got an answer that shows the upstream works (any status below 500). */
  recordSuccess(key: string): void;
  /** The exchange failed: 5xx, network fault or timeout. */
  recordFailure(key: string): void;
  /** The exchange ended without telling anything (the caller aborted): frees a probe slot. */
  recordNeutral(key: string, wasProbe: boolean): void;
  /** Whether the circuit for `key` currently refuses exchanges. */
  isOpen(key: string): boolean;
  /** Keys whose circuit is open (or probing) right now. */
  openCount(): number;
}

interface KeyState {
  failures: number;
  openedAtMs: number | undefined;
  isProbing: boolean;
}

/** Creates a breaker. Keys with no recent failure hold no state. */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = options.threshold ?? 5;
  const cooldownMs = options.cooldownMs ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const states = new Map<string, KeyState>();

  function admit(key: string): Admission {
    const state = states.get(key);
    if (state === undefined || state.openedAtMs === undefined) {
      return { allowed: true, isProbe: false };
    }
    const waitedMs = now() - state.openedAtMs;
    if (waitedMs < cooldownMs) {
      return {
        allowed: false,
        retryAfterMs: Math.ceil(cooldownMs - waitedMs),
        failures: state.failures,
      };
    }
    if (state.isProbing) {
      // One probe at a time; the others wait for its verdict.
      return { allowed: false, retryAfterMs: cooldownMs, failures: state.failures };
    }
    state.isProbing = true;
    return { allowed: true, isProbe: true };
  }

  function recordFailure(key: string): void {
    const state = states.get(key) ?? { failures: 0, openedAtMs: undefined, isProbing: false };
    state.failures += 1;
    state.isProbing = false;
    if (state.failures >= threshold) {
      if (state.openedAtMs === undefined) options.onOpen?.();
      state.openedAtMs = now();
    }
    states.set(key, state);
  }

  function recordNeutral(key: string, wasProbe: boolean): void {
    const state = states.get(key);
    if (state !== undefined && wasProbe) state.isProbing = false;
  }

  return {
    admit,
    recordSuccess: (key) => {
      states.delete(key);
    },
    recordFailure,
    recordNeutral,
    isOpen: (key) => states.get(key)?.openedAtMs !== undefined,
    openCount() {
      let open = 0;
      for (const state of states.values()) if (state.openedAtMs !== undefined) open += 1;
      return open;
    },
  };
}
