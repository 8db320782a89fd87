// Hands WebSocket messages to graphql-ws a bounded number per event-loop turn, round-robin across
// sockets, each socket's in order. Many clients flooding at once then share the loop with
// everyone else's requests instead of running ahead of them. It knows no protocol: it only orders
// and spaces out calls.

/** One socket's place in the turns. */
export interface MessageLane {
  /** Runs `handle` now when the turn has room and nothing of this socket waits, else queues it. */
  push(handle: () => void): void;
  /** Messages of this socket waiting for a later turn. */
  readonly waiting: number;
  /** Drops what waits (the socket closed); later pushes are ignored. */
  close(): void;
}

export interface MessageTurns {
  /** A lane for a new socket. */
  lane(): MessageLane;
  /** Messages waiting across every socket. */
  readonly waiting: number;
  /** Messages handed over so far. */
  readonly handled: number;
}

export interface MessageTurnsOptions {
  /**
   * Messages handed over per event-loop turn across all sockets. A `subscribe` costs some tens of
   * microseconds (parse, validate, context, start), so 64 keep one turn to a few milliseconds.
   * @default 64
   */
  perTurn?: number;
  /** Schedules the next turn; `setImmediate` lets pending I/O run first. @default setImmediate */
  defer?: (next: () => void) => void;
}

/**
 * A first-in first-out list that takes from its head in constant time (`Array#shift` moves
 * every element once a list is long, and a socket may queue thousands of messages).
 */
interface Fifo {
  items: (() => void)[];
  head: number;
}

function fifoLength(fifo: Fifo): number {
  return fifo.items.length - fifo.head;
}

function fifoTake(fifo: Fifo): (() => void) | undefined {
  if (fifo.head >= fifo.items.length) return undefined;
  const item = fifo.items[fifo.head];
  fifo.items[fifo.head] = noop;
  fifo.head++;
  if (fifo.head === fifo.items.length) {
    fifo.items = [];
    fifo.head = 0;
  } else if (fifo.head >= 1_024 && fifo.head * 2 >= fifo.items.length) {
    fifo.items = fifo.items.slice(fifo.head);
    fifo.head = 0;
  }
  return item;
}

const noop = (): void => undefined;

interface Lane extends MessageLane {
  readonly queue: Fifo;
  isClosed: boolean;
}

/** Creates the turns of one transport. */
export function createMessageTurns(options: MessageTurnsOptions = {}): MessageTurns {
  const perTurn = options.perTurn ?? 64;
  const defer = options.defer ?? ((next: () => void) => setImmediate(next));
  /** Lanes with messages waiting, in the order they get their next message handed over. */
  const ready: Lane[] = [];
  let usedThisTurn = 0;
  let isTurnScheduled = false;
  let waiting = 0;
  let handled = 0;

  const run = (handle: () => void): void => {
    usedThisTurn++;
    handled++;
    handle();
  };

  const scheduleTurn = (): void => {
    if (isTurnScheduled) return;
    isTurnScheduled = true;
    defer(turn);
  };

  // Also opens a fresh allowance for messages that arrive with nothing waiting: the count of the
  // turn in progress is reset once the loop has come round.
  function turn(): void {
    isTurnScheduled = false;
    usedThisTurn = 0;
    while (usedThisTurn < perTurn && ready.length > 0) {
      const lane = ready.shift() as Lane;
      const handle = fifoTake(lane.queue);
      if (handle === undefined) continue;
      waiting--;
      if (fifoLength(lane.queue) > 0) ready.push(lane);
      run(handle);
    }
    if (ready.length > 0 || usedThisTurn > 0) scheduleTurn();
  }

  return {
    lane() {
      const lane: Lane = {
        queue: { items: [], head: 0 },
        isClosed: false,
        get waiting() {
          return fifoLength(lane.queue);
        },
        push(handle) {
          if (lane.isClosed) return;
          const isIdle = fifoLength(lane.queue) === 0;
          if (isIdle && usedThisTurn < perTurn) {
            run(handle);
            // The allowance is per turn: make sure one comes to reset it.
            scheduleTurn();
            return;
          }
          if (isIdle) ready.push(lane);
          lane.queue.items.push(handle);
          waiting++;
          scheduleTurn();
        },
        close() {
          if (lane.isClosed) return;
          lane.isClosed = true;
          waiting -= fifoLength(lane.queue);
          lane.queue.items = [];
          lane.queue.head = 0;
          const index = ready.indexOf(lane);
          if (index >= 0) ready.splice(index, 1);
        },
      };
      return lane;
    },
    get waiting() {
      return waiting;
    },
    get handled() {
      return handled;
    },
  };
}
