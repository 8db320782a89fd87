// The job event bus: publish and subscribe job status events by topic, in memory or across
// replicas through Redis. It knows nothing of polling or GraphQL; topics come from `topics.ts`.
import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { isJobStatusEvent, type JobStatusEvent } from './job-status-event.ts';

/** The subset of a pino logger the bus uses. */
export interface BusLogger {
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

/** What resolvers and the watcher depend on; the in-memory and Redis buses both implement it. */
export interface JobEventBus {
  /** Delivers the event to every subscriber of the topic, on this replica and on the others. */
  publish(topic: string, event: JobStatusEvent): void;
  /**
   * Events of one topic, in publish order per publisher. Listening starts when `subscribe`
   * returns (not at the first `next()`), so nothing published locally after it is missed.
   * Ends when `signal` aborts, on `return()`, or on `close()`.
   */
  subscribe(topic: string, signal?: AbortSignal): AsyncIterableIterator<JobStatusEvent>;
  /**
   * Resolves once every subscription made so far also receives events published by other
   * replicas (Redis confirms its SUBSCRIBE commands). Immediate for the in-memory bus.
   */
  ready(): Promise<void>;
  /** Ends every subscription and disconnects from Redis. */
  close(): Promise<void>;
}

export interface JobEventBusOptions {
  /** Redis connection URL; events then cross replicas. @default undefined (in memory) */
  redisUrl?: string | undefined;
  /** @default a logger that discards everything */
  logger?: BusLogger | undefined;
}

type Topics = Record<string, [JobStatusEvent]>;
type BusEventTarget = NonNullable<
  NonNullable<Parameters<typeof createPubSub<Topics>>[0]>['eventTarget']
>;
type Listener = EventListenerOrEventListenerObject;

/** What crosses Redis: the event and the bus that published it, so a bus skips its own echo. */
interface Envelope {
  origin: string;
  event: unknown;
}

const silentLogger: BusLogger = { warn() {}, error() {} };

function callListener(listener: Listener, event: Event): void {
  if (typeof listener === 'function') listener(event);
  else listener.handleEvent(event);
}

function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'origin') === 'string'
  );
}

interface RemoteLink {
  /** Sends to every other replica. */
  send(topic: string, event: JobStatusEvent): void;
  /** Calls `onEvent` with events of `topic` published by other replicas; returns the stopper. */
  listen(topic: string, onEvent: (event: JobStatusEvent) => void): () => void;
  ready(): Promise<void>;
  close(): Promise<void>;
}

function createRedisLink(redisUrl: string, logger: BusLogger): RemoteLink {
  const origin = crypto.randomUUID();
  // Publishing fails fast and is logged; the subscribe connection waits out an outage instead
  // (ioredis re-subscribes on reconnect), so its commands never reject unobserved.
  const publishClient = new Redis(redisUrl);
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: null });
  for (const [role, client] of [
    ['publish', publishClient],
    ['subscribe', subscribeClient],
  ] as const) {
    client.on('error', (error: unknown) => {
      logger.warn({ role, err: describeError(error) }, 'redis connection error');
    });
  }
  const remote = createRedisEventTarget<CustomEvent<unknown>>({ publishClient, subscribeClient });

  return {
    send(topic, event) {
      const envelope: Envelope = { origin, event };
      publishClient.publish(topic, JSON.stringify(envelope)).catch((error: unknown) => {
        logger.warn(
          { topic, err: describeError(error) },
          'redis publish failed; event not replicated',
        );
      });
    },
    listen(topic, onEvent) {
      const listener = (message: CustomEvent<unknown>): void => {
        const envelope = message.detail;
        if (!isEnvelope(envelope) || envelope.origin === origin) return;
        if (!isJobStatusEvent(envelope.event)) {
          logger.warn({ topic }, 'expected a job status event from redis, but got another shape');
          return;
        }
        onEvent(envelope.event);
      };
      remote.addEventListener(topic, listener);
      return () => remote.removeEventListener(topic, listener);
    },
    async ready() {
      // Replies come in command order, so the PING answers after every SUBSCRIBE sent before it.
      await subscribeClient.ping();
    },
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}

/**
 * The event target under yoga's pubsub: local listeners are called directly (a listener that
 * throws is logged, never crashes the process), and with a remote link every dispatch is also
 * sent to the other replicas and their events are dispatched here.
 */
function createBusEventTarget(logger: BusLogger, link: RemoteLink | undefined): BusEventTarget {
  const local = new EventTarget();
  // Every watched job and every subscriber adds a listener: the default limit of 10 would warn.
  setMaxListeners(0, local);
  const wrappers = new Map<string, Map<Listener, { wrapped: Listener; stop?: () => void }>>();

  const target = {
    addEventListener(topic: string, listener: Listener | null): void {
      if (listener === null) return;
      let byListener = wrappers.get(topic);
      if (byListener === undefined) {
        byListener = new Map();
        wrappers.set(topic, byListener);
      }
      if (byListener.has(listener)) return;
      const wrapped = (event: Event): void => {
        try {
          callListener(listener, event);
        } catch (error) {
          logger.error({ topic, err: describeError(error) }, 'job event listener threw');
        }
      };
      local.addEventListener(topic, wrapped);
      const stop = link?.listen(topic, (event) => {
        wrapped(new CustomEvent(topic, { detail: event }));
      });
      byListener.set(listener, stop === undefined ? { wrapped } : { wrapped, stop });
    },
    removeEventListener(topic: string, listener: Listener | null): void {
      if (listener === null) return;
      const byListener = wrappers.get(topic);
      const entry = byListener?.get(listener);
      if (byListener === undefined || entry === undefined) return;
      byListener.delete(listener);
      if (byListener.size === 0) wrappers.delete(topic);
      local.removeEventListener(topic, entry.wrapped);
      entry.stop?.();
    },
    dispatchEvent(event: Event): boolean {
      local.dispatchEvent(event);
      if (link !== undefined && event instanceof CustomEvent && isJobStatusEvent(event.detail)) {
        link.send(event.type, event.detail);
      }
      return true;
    },
  };
  return target as BusEventTarget;
}

/**
 * Creates the job event bus on graphql-yoga's `createPubSub`: in memory, or replicated through
 * Redis (one connection to publish, one to subscribe) when `redisUrl` is set.
 */
export function createJobEventBus(options: JobEventBusOptions = {}): JobEventBus {
  const logger = options.logger ?? silentLogger;
  const link =
    options.redisUrl === undefined ? undefined : createRedisLink(options.redisUrl, logger);
  const pubsub = createPubSub<Topics>({ eventTarget: createBusEventTarget(logger, link) });
  const open = new Set<AsyncIterableIterator<JobStatusEvent>>();
  let isClosed = false;

  return {
    publish(topic, event) {
      if (isClosed) return;
      pubsub.publish(topic, event);
    },
    subscribe(topic, signal) {
      const repeater = pubsub.subscribe(topic);
      if (isClosed || signal?.aborted) {
        void repeater.return();
        return repeater;
      }
      // A repeater attaches its listener on the first next(): pull once now and hand that
      // pending result to the consumer's first next(), so listening starts right here.
      let first: Promise<IteratorResult<JobStatusEvent>> | undefined = repeater.next();
      const stop = (): void => {
        open.delete(iterator);
        signal?.removeEventListener('abort', stop);
        void repeater.return();
      };
      const iterator: AsyncIterableIterator<JobStatusEvent> = {
        next() {
          const pending = first;
          first = undefined;
          return pending ?? repeater.next();
        },
        async return() {
          stop();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      open.add(iterator);
      signal?.addEventListener('abort', stop, { once: true });
      return iterator;
    },
    async ready() {
      await link?.ready();
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await Promise.all([...open].map((iterator) => iterator.return?.()));
      await link?.close();
    },
  };
}

function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { message: String(error) };
}
