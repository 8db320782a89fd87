// The watcher: a registry of one poll loop per tenant key, and the subscription API the
// GraphQL resolvers call. It owns no socket and no GraphQL; it reaches the upstream only
// through `UpstreamClient`, and subscribers receive changes through the job event bus.
import type { SegmentJobModel, SegmentJobStatus, Tenant } from '../domain/index.ts';
import {
  type JobEventBus,
  type JobStatusEvent,
  jobTopic,
  tenantFeedTopic,
} from '../pubsub/index.ts';
import type { UpstreamClient } from '../upstream/types.ts';
import { createEventQueue } from './event-queue.ts';
import { FeedCursorExpiredError, FeedResumeUnavailableError, resumeFeed } from './feed-resume.ts';
import { createFeedSubscriber } from './feed-subscriber.ts';
import type { Fleet } from './fleet.ts';
import { createJobsSubscriber } from './job-subscriber.ts';
import {
  createTenantPoller,
  type PollerSettings,
  type TenantPoller,
  type TenantWatchStats,
  type WatcherLogger,
} from './tenant-poller.ts';

export interface WatcherOptions {
  upstream: UpstreamClient;
  bus: JobEventBus;
  /** Time between two polls of one tenant. @default 2000 */
  pollIntervalMs?: number | undefined;
  /** Ids per bulk-get POST, as configured in the upstream client (for `stats()`). @default 100 */
  bulkGetMaxIds?: number | undefined;
  /** Longest wait between polls while the upstream fails (a `Retry-After` may exceed it). @default 60000 */
  backoffMaxMs?: number | undefined;
  /** Jobs per feed list call (the upstream allows 1..100). @default 100 */
  feedPageSize?: number | undefined;
  /** List calls per feed poll at most: at most `feedPageSize × feedMaxPages` changes a poll. @default 3 */
  feedMaxPages?: number | undefined;
  /** Jobs the feed remembers per tenant to tell a new job from a known one. @default 1000 */
  feedMemory?: number | undefined;
  /** Randomness for backoff jitter, in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
  /** Clock for `observedAt`, epoch milliseconds. @default Date.now */
  now?: (() => number) | undefined;
  /** @default a logger that discards everything */
  logger?: WatcherLogger | undefined;
  /**
   * Replicas sharing one poller per tenant through Redis (see `fleet.ts`). Without it every
   * replica polls for its own subscribers. @default undefined
   */
  fleet?: Fleet | undefined;
}

export interface WatchJobsOptions {
  /** Aborting it ends the stream and releases its jobs at once. */
  signal?: AbortSignal | undefined;
}

export interface WatchTenantOptions {
  /** Deliver only events into these statuses. @default every status */
  statuses?: readonly SegmentJobStatus[] | undefined;
  /** Aborting it ends the stream and releases the feed at once. */
  signal?: AbortSignal | undefined;
  /**
   * Resume after this stream id (a decoded cursor): every feed event after it first, then live
   * ones, with none missing or repeated in between. Needs a fleet (Redis). @default undefined
   */
  afterId?: string | undefined;
}

export interface Watcher {
  /**
   * Status events of the given jobs of one tenant: first one `initial: true` event per job,
   * then one event per change, each a forward move with `previousStatus` set to the status
   * delivered before. Completes when every job has delivered a final status. Throws
   * `UpstreamNotFoundError` for an id the tenant does not have, and `UpstreamUnauthenticatedError`
   * or `UpstreamForbiddenError` when the upstream refuses the tenant.
   */
  watchJobs(
    tenant: Tenant,
    ids: readonly string[],
    options?: WatchJobsOptions,
  ): AsyncIterableIterator<JobStatusEvent>;
  /**
   * Status events of every job of the tenant (created through the gateway or not), from the
   * moment of subscribing: new jobs (`previousStatus` null) and status changes. Never completes
   * on its own; ends on abort, `return()`, `close()` or when the upstream refuses the tenant.
   * With `afterId`, starts with the events after it in the tenant's stream; fails with
   * `FeedCursorExpiredError` when the stream no longer holds them all, and throws (or fails
   * with) `FeedResumeUnavailableError` without a fleet or when Redis does not answer.
   */
  watchTenant(tenant: Tenant, options?: WatchTenantOptions): AsyncIterableIterator<JobStatusEvent>;
  /**
   * Makes the watcher look at a job now, after a create or cancel through the gateway: with the
   * job as the upstream just returned it, that snapshot is compared and published at once;
   * without it, the tenant is polled at once. When nobody watches the tenant here, a snapshot
   * is published as is (for subscribers on other replicas) and nothing is polled.
   */
  nudge(tenant: Tenant, jobId: string, job?: SegmentJobModel): void;
  /** Per tenant key: what is watched and by how many. */
  stats(): Record<string, TenantWatchStats>;
  /**
   * With a fleet: 'connected', or 'degraded' while Redis is unreachable (each replica then polls
   * for its own subscribers). Undefined without a fleet.
   */
  redisStatus(): 'connected' | 'degraded' | undefined;
  /** Stops every timer and ends every stream. */
  close(): Promise<void>;
}

const silentLogger: WatcherLogger = { debug() {}, warn() {}, error() {} };

function endedIterator(): AsyncIterableIterator<JobStatusEvent> {
  const queue = createEventQueue<JobStatusEvent>();
  queue.end();
  return queue.iterator;
}

/** Creates the watcher. One poll loop runs per tenant key, and only while someone subscribes. */
export function createWatcher(options: WatcherOptions): Watcher {
  const settings: PollerSettings = {
    pollIntervalMs: options.pollIntervalMs ?? 2_000,
    bulkGetMaxIds: options.bulkGetMaxIds ?? 100,
    backoffMaxMs: options.backoffMaxMs ?? 60_000,
    feedPageSize: options.feedPageSize ?? 100,
    feedMaxPages: options.feedMaxPages ?? 3,
    feedMemory: options.feedMemory ?? 1_000,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
  const logger = options.logger ?? silentLogger;
  const pollers = new Map<string, TenantPoller>();
  let isClosed = false;

  const assertOpen = (): void => {
    if (isClosed) throw new Error('expected an open watcher, but it was closed');
  };

  const pollerFor = (tenant: Tenant): TenantPoller => {
    const existing = pollers.get(tenant.key);
    if (existing !== undefined) {
      existing.setTenant(tenant);
      return existing;
    }
    const poller = createTenantPoller({
      tenant,
      upstream: options.upstream,
      bus: options.bus,
      settings,
      logger,
      fleet: options.fleet,
      onIdle: () => {
        if (pollers.get(tenant.key) === poller) pollers.delete(tenant.key);
      },
    });
    pollers.set(tenant.key, poller);
    return poller;
  };

  return {
    watchJobs(tenant, ids, watchOptions = {}) {
      assertOpen();
      const unique = [...new Set(ids)];
      const { signal } = watchOptions;
      if (unique.length === 0 || signal?.aborted === true) return endedIterator();
      const poller = pollerFor(tenant);
      const onAbort = (): void => subscriber.close();
      const subscriber = createJobsSubscriber({
        ids: unique,
        release: (id) => poller.releaseJob(subscriber, id),
        onEnded: () => signal?.removeEventListener('abort', onAbort),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      poller.addJobs(subscriber, unique);
      return subscriber.iterator;
    },
    watchTenant(tenant, watchOptions = {}) {
      assertOpen();
      const { signal, statuses, afterId } = watchOptions;
      const { fleet } = options;
      if (afterId !== undefined && fleet === undefined) {
        throw new FeedResumeUnavailableError(
          'expected a gateway with Redis (REDIS_URL) to resume the feed from a cursor, but this one keeps no feed stream; subscribe without `after`',
        );
      }
      if (signal?.aborted === true) return endedIterator();
      const poller = pollerFor(tenant);
      const onAbort = (): void => subscriber.close();
      const subscriber = createFeedSubscriber({
        statuses,
        release: () => poller.releaseFeed(subscriber),
        onEnded: () => signal?.removeEventListener('abort', onAbort),
        replay:
          afterId === undefined || fleet === undefined
            ? undefined
            : {
                maxHeld: fleet.feed.maxLength,
                heldOverflow: () =>
                  new FeedCursorExpiredError(
                    'expected the replay to catch up with the live feed, but too many events arrived meanwhile; reload the list of jobs and subscribe again without `after`',
                  ),
              },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      // Live first (held back), then the stream: nothing falls between the two.
      poller.addFeed(subscriber);
      if (afterId !== undefined && fleet !== undefined) {
        resumeFeed({
          stream: fleet.feed,
          bus: options.bus,
          tenantKey: tenant.key,
          afterId,
          subscriber,
        }).catch((error: unknown) => subscriber.fail(error));
      }
      return subscriber.iterator;
    },
    nudge(tenant, jobId, job) {
      if (isClosed) return;
      const poller = pollers.get(tenant.key);
      if (poller !== undefined) {
        poller.nudge(jobId, job);
        return;
      }
      // Nobody watches the tenant here, but other replicas may: share the snapshot through the
      // bus. With no state seen before, previousStatus is null; subscribers chain it themselves.
      if (job === undefined || job.id !== jobId) return;
      const event: JobStatusEvent = {
        tenantKey: tenant.key,
        jobId,
        status: job.status,
        previousStatus: null,
        initial: false,
        observedAt: settings.now(),
        job,
      };
      options.bus.publish(jobTopic(tenant.key, jobId), event);
      const feedTopic = tenantFeedTopic(tenant.key);
      if (options.fleet === undefined) {
        options.bus.publish(feedTopic, event);
        return;
      }
      // The publisher appends: the tenant's stream holds every feed event, whoever saw it.
      options.fleet.feed.append(tenant.key, [{ kind: 'event', event }]).then(
        ([streamId]) => options.bus.publish(feedTopic, { ...event, streamId }),
        () => options.bus.publish(feedTopic, event),
      );
    },
    redisStatus: () => options.fleet?.status(),
    stats() {
      const result: Record<string, TenantWatchStats> = {};
      for (const [key, poller] of pollers) result[key] = poller.stats();
      return result;
    },
    async close() {
      isClosed = true;
      for (const poller of [...pollers.values()]) poller.close();
      pollers.clear();
    },
  };
}
