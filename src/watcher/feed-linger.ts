// The feed's linger: after a tenant's last feed subscriber leaves a replica, its feed is still
// polled (and appended to the stream) for a while, so a client that reconnects resumes without a
// gap. Owns the decisions and the one timer; it never polls and never holds a credential.

/** What decides whether the last feed subscriber's departure starts a linger. */
export interface LingerStartInput {
  /** `FEED_LINGER_MS`; 0 turns lingering off. */
  lingerMs: number;
  /** Feed events go into a Redis stream: without one there is nothing to resume, so no linger. */
  hasStream: boolean;
  /** Feed subscribers still on this replica after the departure. */
  feedSubscribersLeft: number;
  /** The tenant's poller is being closed (shutdown, or the upstream refused the tenant). */
  isClosing: boolean;
}

/** Whether the feed lingers after a feed subscriber left. */
export function startsLinger(input: LingerStartInput): boolean {
  return (
    input.lingerMs > 0 && input.hasStream && input.feedSubscribersLeft === 0 && !input.isClosing
  );
}

/** What decides whether this replica keeps the tenant's feed polled. */
export interface FeedWantInput {
  /** Feed subscribers on this replica. */
  hasLocalFeed: boolean;
  /** The feed lingers here after its last local subscriber left. */
  isLingering: boolean;
  /** Some replica (this one included) registers feed subscribers or a linger. */
  hasRegisteredFeed: boolean;
}

/** Whether the feed is wanted: by a subscriber here, a linger here, or any replica's registration. */
export function wantsFeed(input: FeedWantInput): boolean {
  return input.hasLocalFeed || input.isLingering || input.hasRegisteredFeed;
}

/** Whether the feed is advertised in this replica's fleet registration. */
export function advertisesFeed(input: Omit<FeedWantInput, 'hasRegisteredFeed'>): boolean {
  return input.hasLocalFeed || input.isLingering;
}

/** When a linger started at `startedAt` ends (epoch or monotonic milliseconds alike). */
export function lingerEndsAt(startedAt: number, lingerMs: number): number {
  return startedAt + lingerMs;
}

/** Whether a linger ending at `endsAt` is over at `now`. */
export function isLingerOver(endsAt: number, now: number): boolean {
  return now >= endsAt;
}

export interface FeedLingerOptions {
  lingerMs: number;
  /** Called once when a linger runs its full time (never after `cancel()`). */
  onEnd: () => void;
  /** @default performance.now */
  now?: (() => number) | undefined;
}

export interface FeedLinger {
  /** Starts (or restarts) the linger from now. */
  start(): void;
  /** Ends the linger without calling `onEnd`: a subscriber came back, or the poller closes. */
  cancel(): void;
  readonly isActive: boolean;
  /** Milliseconds left while active; undefined otherwise. */
  remainingMs(): number | undefined;
}

export function createFeedLinger(options: FeedLingerOptions): FeedLinger {
  const now = options.now ?? (() => performance.now());
  let timer: NodeJS.Timeout | undefined;
  let endsAt = 0;

  const cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const arm = (): void => {
    // A timer may fire a little early on some platforms: re-arm for what is left.
    timer = setTimeout(
      () => {
        timer = undefined;
        const at = now();
        if (!isLingerOver(endsAt, at)) {
          arm();
          return;
        }
        options.onEnd();
      },
      Math.max(1, endsAt - now()),
    );
  };

  return {
    start() {
      cancel();
      endsAt = lingerEndsAt(now(), options.lingerMs);
      arm();
    },
    cancel,
    get isActive() {
      return timer !== undefined;
    },
    remainingMs() {
      return timer === undefined ? undefined : Math.max(0, endsAt - now());
    },
  };
}
