// Many graphql-ws subscribers in this process, spread over a chosen number of sockets, each
// recording what it receives and when (Date.now() on arrival). Loopback only; every wait is
// bounded. It knows no scenario: benches decide what to subscribe to and what to measure.
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from './measure.ts';

/** One event as a subscriber saw it. */
export interface ReceivedEvent {
  status: string;
  initial: boolean;
  observedAtMs: number;
  /** Date.now() when the message reached the subscriber. */
  receivedAtMs: number;
}

export interface Subscriber {
  readonly events: ReceivedEvent[];
  readonly isComplete: boolean;
  readonly error: unknown;
  /** Completes the subscription from the client side. */
  unsubscribe(): void;
}

export interface SubscriberPool {
  readonly subscribers: Subscriber[];
  /** Events received by every subscriber so far. */
  eventCount(): number;
  /** Subscribers that ended with an error. */
  errors(): unknown[];
  /** Closes every socket cleanly (1000) and waits for the clients to be disposed. */
  close(): Promise<void>;
}

export interface SubscribeManyOptions {
  /** `ws://…/graphql` */
  url: string;
  connectionParams: Record<string, unknown>;
  /** Sockets to open; subscriptions go round-robin over them. */
  sockets: number;
  subscriptions: number;
  query: string;
  /** Variables of subscription `index`. */
  variables: (index: number) => Record<string, unknown>;
  /** Events each subscription must receive before the next batch starts (its initial events). */
  initialEventsEach: number;
  /** Subscriptions started before waiting for their initial events. @default 500 */
  batchSize?: number;
  /** Longest wait for one batch's initial events. @default 60000 */
  batchTimeoutMs?: number;
}

interface EventPayload {
  data?: {
    [field: string]: { status?: string; initial?: boolean; observedAtMs?: number } | undefined;
  } | null;
}

/** Starts one subscription on `client`, recording every event it receives. */
export function subscribe(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Subscriber {
  const events: ReceivedEvent[] = [];
  const state = { isComplete: false, error: undefined as unknown };
  const unsubscribe = client.subscribe<EventPayload['data']>(
    { query, variables },
    {
      next: (result) => {
        const receivedAtMs = Date.now();
        const data = (result as EventPayload).data;
        const event = data === null || data === undefined ? undefined : Object.values(data)[0];
        if (event === undefined) {
          state.error = result;
          return;
        }
        events.push({
          status: event.status ?? '',
          initial: event.initial === true,
          observedAtMs: event.observedAtMs ?? Number.NaN,
          receivedAtMs,
        });
      },
      error: (error) => {
        state.error = error;
      },
      complete: () => {
        state.isComplete = true;
      },
    },
  );
  const subscriber: Subscriber = {
    events,
    get isComplete() {
      return state.isComplete;
    },
    get error() {
      return state.error;
    },
    unsubscribe,
  };
  return subscriber;
}

/** Opens one graphql-ws client (it connects on its first subscription). */
export function openClient(url: string, connectionParams: Record<string, unknown>): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    // The gateway pings; the client need not.
    keepAlive: 0,
  });
}

/** Opens the sockets and subscriptions in batches, each batch awaiting its initial events. */
export async function subscribeMany(options: SubscribeManyOptions): Promise<SubscriberPool> {
  const clients = Array.from({ length: options.sockets }, () =>
    openClient(options.url, options.connectionParams),
  );
  const subscribers: Subscriber[] = [];
  const pool: SubscriberPool = {
    subscribers,
    eventCount: () => subscribers.reduce((sum, subscriber) => sum + subscriber.events.length, 0),
    errors: () =>
      subscribers.filter((subscriber) => subscriber.error !== undefined).map((s) => s.error),
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
    },
  };
  const batchSize = options.batchSize ?? 500;
  try {
    for (let first = 0; first < options.subscriptions; first += batchSize) {
      const last = Math.min(options.subscriptions, first + batchSize);
      for (let index = first; index < last; index++) {
        const client = clients[index % clients.length] as Client;
        subscribers.push(subscribe(client, options.query, options.variables(index)));
      }
      const batch = subscribers.slice(first, last);
      await waitFor(
        () => {
          const failed = batch.find((subscriber) => subscriber.error !== undefined);
          if (failed !== undefined) {
            throw new Error(
              `expected subscriptions to start, but one failed: ${describe(failed.error)}`,
            );
          }
          return batch.every((subscriber) => subscriber.events.length >= options.initialEventsEach)
            ? true
            : undefined;
        },
        options.batchTimeoutMs ?? 60_000,
        `the initial events of subscriptions ${first}..${last - 1}`,
      );
    }
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'code' in error && 'reason' in error) {
    return `socket closed ${String(error.code)} ${String(error.reason)}`;
  }
  return JSON.stringify(error);
}
