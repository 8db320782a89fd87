import { type ExecutionResult, parse } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { createEventQueue, type EventQueue } from '../watcher/event-queue.ts';
import type { DirectResultSink } from './result-stream.ts';
import {
  type SharedExecutionStats,
  useSharedSubscriptionExecution,
} from './shared-subscription-execution.ts';

interface CountEvent {
  n: number;
}

/** A schema whose subscription streams what a test publishes; `secret` fails on a negative n. */
function createTestServer() {
  const queues = new Set<EventQueue<CountEvent>>();
  const stats: SharedExecutionStats = { executions: 0, shared: 0 };
  const directSinks = new WeakMap<object, DirectResultSink>();
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Query { ok: Boolean }
      type Subscription { counted: Count }
      type Count { n: Int! secret: String }
    `,
    resolvers: {
      Subscription: {
        counted: {
          subscribe: () => {
            const queue = createEventQueue<CountEvent>(() => queues.delete(queue));
            queues.add(queue);
            return queue.iterator;
          },
          resolve: (event: CountEvent) => event,
        },
      },
      Count: {
        secret: (event: CountEvent) => {
          if (event.n < 0) throw new Error('internal detail that must not leak');
          return `s${event.n}`;
        },
      },
    },
  });
  const yoga = createYoga({
    schema,
    maskedErrors: { isDev: false },
    // The masked internal error is expected here; nothing to print.
    logging: false,
    plugins: [useSharedSubscriptionExecution({ shareKey: () => 'tenant', stats, directSinks })],
  });
  const document = parse('subscription { counted { n secret } }');

  /** Subscribes through yoga's envelope, with a direct sink when given one. */
  const subscribe = async (sink?: DirectResultSink) => {
    const enveloped = yoga.getEnveloped({});
    const contextValue = await enveloped.contextFactory();
    if (sink !== undefined) directSinks.set(contextValue, sink);
    const stream = await enveloped.subscribe({ schema: enveloped.schema, document, contextValue });
    if (!(Symbol.asyncIterator in stream)) throw new Error('expected a stream, but got a result');
    return stream as AsyncIterableIterator<ExecutionResult>;
  };
  /** Publishes one event object to every subscriber, as the watcher does. */
  const publish = (event: CountEvent) => {
    for (const queue of queues) queue.push(event);
  };
  const end = () => {
    for (const queue of [...queues]) queue.end();
  };
  return { stats, subscribe, publish, end };
}

async function readAll(stream: AsyncIterableIterator<ExecutionResult>): Promise<unknown[]> {
  const results: unknown[] = [];
  for await (const result of stream) results.push(JSON.parse(JSON.stringify(result)));
  return results;
}

/** What yoga's masking leaves of an internal error in a field. */
const MASKED = {
  message: 'Unexpected error.',
  path: ['counted', 'secret'],
  extensions: { code: 'INTERNAL_SERVER_ERROR' },
};

describe('useSharedSubscriptionExecution', () => {
  it('executes each event once for every identical subscription, pulled or written to a sink', async () => {
    const server = createTestServer();
    const written: ExecutionResult[] = [];
    const pushed = await server.subscribe({ write: (result) => written.push(result) });
    const pulled = await server.subscribe();
    const pushedResults = readAll(pushed);
    const pulledResults = readAll(pulled);
    // Both consumers are reading; the events then reach both.
    await new Promise((resolve) => setImmediate(resolve));
    server.publish({ n: 1 });
    server.publish({ n: 2 });
    server.end();

    expect(await pushedResults).toEqual([]);
    expect(await pulledResults).toEqual([
      { data: { counted: { n: 1, secret: 's1' } } },
      { data: { counted: { n: 2, secret: 's2' } } },
    ]);
    // The very result objects the pulled subscriber got: executed once, shared.
    expect(JSON.parse(JSON.stringify(written))).toEqual(await pulledResults);
    expect(server.stats).toEqual({ executions: 2, shared: 2 });
  });

  it('masks an internal error for a subscriber with a sink: that result travels through the envelope, in order', async () => {
    const server = createTestServer();
    const written: ExecutionResult[] = [];
    const order: string[] = [];
    const stream = await server.subscribe({
      write: (result) => {
        written.push(result);
        order.push('sink');
      },
    });
    const results: unknown[] = [];
    const reading = (async () => {
      for await (const result of stream) {
        results.push(JSON.parse(JSON.stringify(result)));
        order.push('next');
      }
    })();
    await new Promise((resolve) => setImmediate(resolve));
    server.publish({ n: 1 });
    server.publish({ n: -2 });
    server.publish({ n: 3 });
    server.end();
    await reading;

    expect(JSON.parse(JSON.stringify(written))).toEqual([
      { data: { counted: { n: 1, secret: 's1' } } },
    ]);
    expect(results).toMatchObject([
      { data: { counted: { n: -2, secret: null } }, errors: [MASKED] },
      { data: { counted: { n: 3, secret: 's3' } } },
    ]);
    expect(order).toEqual(['sink', 'next', 'next']);
    expect(JSON.stringify(results)).not.toContain('internal detail');
  });
});
