// One tenant's watcher: puts together its watch set, poll loop, initial fetches, feed poll and
// the last state seen of each job. It reaches the upstream only with its own tenant, publishes
// every change on that tenant's topics, and never lets a poll failure escape.
import type { SegmentJobModel, SegmentJobStatus, Tenant } from '../domain/index.ts';
import { isFinal } from '../domain/index.ts';
import {
  type JobEventBus,
  type JobStatusEvent,
  jobTopic,
  tenantFeedTopic,
} from '../pubsub/index.ts';
import {
  UpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamUnauthenticatedError,
} from '../upstream/errors.ts';
import type { BulkGetResult, UpstreamClient } from '../upstream/types.ts';
import { createFeedPoller, type FeedPoller } from './feed-poller.ts';
import type { FeedSubscriber } from './feed-subscriber.ts';
import { createInitialFetcher } from './initial-fetch.ts';
import {
  isFeedUpdate,
  type JobState,
  type ObservationSource,
  observeJob,
  type PublishTarget,
} from './job-observation.ts';
import type { JobsSubscriber } from './job-subscriber.ts';
import { createPollLoop } from './poll-loop.ts';
import { createWatchSet } from './watch-set.ts';

/** The subset of a pino logger the watcher uses. */
export interface WatcherLogger {
  debug(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

export interface PollerSettings {
  pollIntervalMs: number;
  backoffMaxMs: number;
  bulkGetMaxIds: number;
  feedPageSize: number;
  feedMaxPages: number;
  feedMemory: number;
  random: () => number;
  now: () => number;
}

/** What `stats()` reports per tenant. */
export interface TenantWatchStats {
  /** Job ids with at least one subscriber on this replica. */
  watchedIds: number;
  /** Watched ids still polled (not yet seen final). */
  polledIds: number;
  /** Bulk-get POSTs one tick makes for them (the client sends one per `bulkGetMaxIds` ids). */
  bulkGetPostsPerTick: number;
  /** `watchJobs` subscribers. */
  subscribers: number;
  /** `watchTenant` subscribers. */
  feedSubscribers: number;
  /** True while a timer is set or a poll is running. */
  isPolling: boolean;
  /** Consecutive failed polls (0 when the last one succeeded). */
  failures: number;
}

export interface TenantPoller {
  readonly key: string;
  /** Uses this tenant value (same key, possibly fresher credentials) for the next calls. */
  setTenant(tenant: Tenant): void;
  /** Adds the subscriber to every id, then gives it each job's initial state. */
  addJobs(subscriber: JobsSubscriber, ids: readonly string[]): void;
  releaseJob(subscriber: JobsSubscriber, id: string): void;
  addFeed(subscriber: FeedSubscriber): void;
  releaseFeed(subscriber: FeedSubscriber): void;
  nudge(jobId: string, job?: SegmentJobModel): void;
  stats(): TenantWatchStats;
  /** Ends every subscriber's stream and stops the loop. */
  close(): void;
}

export interface TenantPollerOptions {
  tenant: Tenant;
  upstream: UpstreamClient;
  bus: JobEventBus;
  settings: PollerSettings;
  logger: WatcherLogger;
  /** Called once when nobody subscribes any more; the poller is then disposed. */
  onIdle: () => void;
}

/** The last state seen of one job, with the initial event every new subscriber shares. */
interface KnownJob extends JobState {
  initialEvent?: JobStatusEvent | undefined;
}

export function createTenantPoller(options: TenantPollerOptions): TenantPoller {
  const { upstream, bus, settings, logger } = options;
  let tenant = options.tenant;
  const key = tenant.key;
  const known = new Map<string, KnownJob>();
  const controller = new AbortController();
  let feed: { poller: FeedPoller; stopListening: () => void } | undefined;
  let isDisposed = false;

  const logContext = (): Record<string, unknown> => ({
    orgId: tenant.orgId,
    sandboxName: tenant.sandboxName,
    authMode: tenant.mode,
  });

  // ---- bus ----

  const listen = (topic: string, onEvent: (event: JobStatusEvent) => void): (() => void) => {
    const stop = new AbortController();
    const events = bus.subscribe(topic, stop.signal);
    void (async () => {
      try {
        for await (const event of events) {
          // Topics are per tenant already; this guards against a foreign message all the same.
          if (event.tenantKey !== key) continue;
          try {
            onEvent(event);
          } catch (error) {
            logger.error(
              { ...logContext(), err: describeError(error) },
              'delivering a job event failed',
            );
          }
        }
      } catch (error) {
        logger.error(
          { ...logContext(), err: describeError(error) },
          'job event subscription failed',
        );
      }
    })();
    return () => stop.abort();
  };

  const watches = createWatchSet({
    listenJob: (id) =>
      listen(jobTopic(key, id), (event) => {
        const watch = watches.get(event.jobId);
        if (watch === undefined) return;
        for (const subscriber of [...watch.subscribers]) subscriber.receive(event);
      }),
  });

  const onFeedEvent = (event: JobStatusEvent): void => {
    for (const subscriber of watches.feedSubscribers()) subscriber.receive(event);
  };

  const publish = (event: JobStatusEvent, target: PublishTarget): void => {
    if (target === 'none') return;
    if (target !== 'feed') bus.publish(jobTopic(key, event.jobId), event);
    if (target !== 'job') bus.publish(tenantFeedTopic(key), event);
  };

  // ---- last state seen ----

  const remember = (state: KnownJob): void => {
    known.delete(state.job.id);
    known.set(state.job.id, state);
    if (feed === undefined || known.size <= settings.feedMemory) return;
    for (const id of known.keys()) {
      if (known.size <= settings.feedMemory) break;
      if (!watches.has(id)) known.delete(id);
    }
  };

  const eventOf = (
    state: KnownJob,
    previousStatus: SegmentJobStatus | null,
    initial: boolean,
  ): JobStatusEvent => ({
    tenantKey: key,
    jobId: state.job.id,
    status: state.job.status,
    previousStatus,
    initial,
    observedAt: state.observedAt,
    job: state.job,
  });

  const initialEventOf = (state: KnownJob): JobStatusEvent => {
    state.initialEvent ??= eventOf(state, null, true);
    return state.initialEvent;
  };

  /** Gives subscribers still awaiting it their initial event, once the job is observed. */
  const deliverInitial = (state: KnownJob): void => {
    const subscribers = watches.markObserved(state.job.id);
    if (subscribers === undefined) return;
    const event = initialEventOf(state);
    for (const subscriber of subscribers) subscriber.deliverInitial(event);
  };

  /** Diffs one job against the last state seen and publishes a change. */
  const observe = (job: SegmentJobModel, observedAt: number, source: ObservationSource): void => {
    const observation = observeJob({
      previous: known.get(job.id),
      job,
      observedAt,
      source,
      isFeedActive: feed !== undefined,
      isWatched: watches.has(job.id),
    });
    if (observation.kind === 'ignored') return;
    if (observation.kind === 'stale') {
      logger.debug(
        { ...logContext(), jobId: job.id, from: observation.from, to: observation.to },
        'ignoring a status that does not move forward',
      );
      return;
    }
    const state: KnownJob = observation.next;
    remember(state);
    // New subscribers start from this status; those already served receive the change.
    deliverInitial(state);
    publish(eventOf(state, observation.previousStatus, false), observation.publish);
  };

  const failJob = (id: string, cause: unknown): void => {
    const watch = watches.get(id);
    if (watch === undefined) return;
    // A fresh error naming only this id: nothing else of the upstream's answer reaches the client.
    const error = new UpstreamNotFoundError(
      `expected segment job '${id}' to exist for this tenant, but the upstream does not know it`,
      {
        method: 'POST',
        path: '/segment/jobs/bulk-get',
        status: 404,
        upstreamCode: cause instanceof UpstreamError ? cause.upstreamCode : undefined,
        requestId: cause instanceof UpstreamError ? cause.requestId : undefined,
      },
    );
    for (const subscriber of [...watch.subscribers]) subscriber.fail(error);
  };

  const applyBulkResult = (ids: readonly string[], result: BulkGetResult): void => {
    const observedAt = settings.now();
    for (const id of ids) {
      const entry = result.get(id);
      if (entry === undefined) continue;
      if (entry instanceof UpstreamNotFoundError) failJob(id, entry);
      else if (entry instanceof Error) {
        // A per-item fault (an upstream 5xx entry, an unreadable job) says nothing about whether
        // the job exists: keep the last known state and look again next tick.
        logger.warn(
          { ...logContext(), jobId: id, err: describeError(entry) },
          'the upstream could not return this job; keeping its last known state',
        );
      } else observe(entry, observedAt, 'poll');
    }
  };

  // ---- lifecycle ----

  const pollableIds = (): string[] => {
    const ids: string[] = [];
    for (const id of watches.ids()) {
      const state = known.get(id);
      if (!watches.get(id)?.isObserved || state === undefined || !isFinal(state.job.status)) {
        ids.push(id);
      }
    }
    return ids;
  };

  const hasWork = (): boolean => feed !== undefined || pollableIds().length > 0;

  const dispose = (): void => {
    if (isDisposed) return;
    isDisposed = true;
    loop.stop();
    initial.close();
    controller.abort();
    watches.clear();
    feed?.poller.cancel();
    feed?.stopListening();
    options.onIdle();
  };

  const stopIfIdle = (): void => {
    if (watches.isEmpty()) {
      dispose();
      return;
    }
    loop.sleepIfIdle();
  };

  const failAll = (error: UpstreamError): void => {
    logger.warn(
      { ...logContext(), err: describeError(error) },
      'the upstream refused this tenant; ending its subscriptions',
    );
    for (const subscriber of watches.allSubscribers()) subscriber.fail(error);
    dispose();
  };

  // ---- polling ----

  const poll = async (): Promise<void> => {
    const ids = pollableIds();
    const listed = feed === undefined ? new Set<string>() : await feed.poller.poll(tenant);
    // A job the list just returned is as fresh as a bulk-get would make it.
    const remaining = ids.filter((id) => !listed.has(id) && watches.has(id));
    if (remaining.length > 0 && !isDisposed) {
      const result = await upstream.bulkGetJobs(tenant, remaining, { signal: controller.signal });
      if (!isDisposed) applyBulkResult(remaining, result);
    }
  };

  const loop = createPollLoop({
    intervalMs: settings.pollIntervalMs,
    backoffMaxMs: settings.backoffMaxMs,
    random: settings.random,
    hasWork,
    poll,
    onFailure: (error) => {
      if (isDisposed) return 'stop';
      if (isRefusal(error)) {
        failAll(error);
        return 'stop';
      }
      return 'retry';
    },
    retryAfterMsOf: retryAfterMs,
    onRetry: ({ error, failures, delayMs }) => {
      logger.warn(
        { ...logContext(), failures, retryInMs: delayMs, err: describeError(error) },
        'polling the upstream failed; keeping the last known state and retrying',
      );
    },
  });

  /** One bulk-get for every id asked for in this turn of the event loop, shared by all. */
  const initial = createInitialFetcher({
    isAwaited: (id) => watches.get(id)?.isObserved === false,
    fetch: async (ids) => {
      try {
        const result = await upstream.bulkGetJobs(tenant, ids, { signal: controller.signal });
        if (!isDisposed) applyBulkResult(ids, result);
      } catch (error) {
        if (isDisposed) return;
        if (isRefusal(error)) {
          failAll(error);
          return;
        }
        // The ids stay watched without a state: the next poll fetches them.
        logger.warn(
          { ...logContext(), ids: ids.length, err: describeError(error) },
          'fetching the initial state failed; the next poll retries',
        );
      }
    },
  });

  return {
    key,
    setTenant(next) {
      if (next.key === key) tenant = next;
    },
    addJobs(subscriber, ids) {
      if (isDisposed) {
        subscriber.close();
        return;
      }
      // Every reference first, so an already-final job cannot empty the set mid-way.
      watches.add(subscriber, ids);
      for (const id of ids) {
        const state = known.get(id);
        if (watches.get(id)?.isObserved === true && state !== undefined) {
          subscriber.deliverInitial(initialEventOf(state));
        } else {
          initial.request(id);
        }
      }
      loop.ensure();
    },
    releaseJob(subscriber, id) {
      if (!watches.get(id)?.subscribers.has(subscriber)) return;
      if (watches.release(subscriber, id) && feed === undefined) known.delete(id);
      stopIfIdle();
    },
    addFeed(subscriber) {
      if (isDisposed) {
        subscriber.close();
        return;
      }
      if (!watches.addFeed(subscriber) || feed !== undefined) return;
      feed = {
        poller: createFeedPoller({
          upstream,
          pageSize: settings.feedPageSize,
          maxPages: settings.feedMaxPages,
          signal: controller.signal,
          now: settings.now,
          isUpdate: (job) => isFeedUpdate(known.get(job.id), job),
          observe: (job, observedAt, isBaseline) =>
            observe(job, observedAt, isBaseline ? 'baseline' : 'feed'),
        }),
        stopListening: listen(tenantFeedTopic(key), onFeedEvent),
      };
      // The baseline now, so changes right after subscribing are not absorbed into it.
      loop.now();
    },
    releaseFeed(subscriber) {
      if (!watches.feedSubscribers().includes(subscriber)) return;
      if (watches.releaseFeed(subscriber) && feed !== undefined) {
        feed.poller.cancel();
        feed.stopListening();
        feed = undefined;
        for (const id of known.keys()) if (!watches.has(id)) known.delete(id);
      }
      stopIfIdle();
    },
    nudge(jobId, job) {
      if (isDisposed) return;
      if (job !== undefined) {
        if (job.id === jobId) observe(job, settings.now(), 'nudge');
        return;
      }
      if (watches.has(jobId) || feed !== undefined) loop.now();
    },
    stats() {
      const polledIds = pollableIds().length;
      return {
        watchedIds: watches.size,
        polledIds,
        bulkGetPostsPerTick: Math.ceil(polledIds / settings.bulkGetMaxIds),
        subscribers: watches.jobSubscriberCount,
        feedSubscribers: watches.feedSubscribers().length,
        isPolling: loop.isActive,
        failures: loop.failures,
      };
    },
    close() {
      for (const subscriber of watches.allSubscribers()) subscriber.close();
      dispose();
    },
  };
}

function isRefusal(error: unknown): error is UpstreamUnauthenticatedError | UpstreamForbiddenError {
  return error instanceof UpstreamUnauthenticatedError || error instanceof UpstreamForbiddenError;
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof UpstreamRateLimitedError) || error.retryAfterSeconds === undefined) {
    return undefined;
  }
  return error.retryAfterSeconds * 1_000;
}

/** Error fields safe to log: never a credential, never an upstream body. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof UpstreamError) {
    return {
      name: error.name,
      code: error.code,
      status: error.status,
      method: error.method,
      path: error.path,
      requestId: error.requestId,
      message: error.message,
    };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { message: String(error) };
}
