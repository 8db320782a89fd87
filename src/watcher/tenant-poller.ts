// One tenant's poll loop: the reference-counted set of watched jobs, the feed, the last state
// seen, and the timer. It reaches the upstream only with its own tenant, publishes every change
// on that tenant's topics, and never lets a poll failure escape.
import {
  canTransition,
  isFinal,
  type SegmentJobModel,
  type SegmentJobStatus,
  type Tenant,
} from '../domain/index.ts';
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
import { clampTimerDelayMs, computeBackoffMs } from './backoff.ts';
import { readFeedPages } from './feed-pages.ts';
import type { FeedSubscriber } from './feed-subscriber.ts';
import type { JobsSubscriber } from './job-subscriber.ts';

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

/** The last state seen of one job. */
interface Observation {
  job: SegmentJobModel;
  observedAt: number;
  /** True once the feed has announced the job (or listed it in its baseline). */
  isFeedSeen: boolean;
  /** Shared by every subscriber that starts from this observation. */
  initialEvent?: JobStatusEvent | undefined;
}

interface JobWatch {
  subscribers: Set<JobsSubscriber>;
  stopListening: () => void;
  /**
   * True once the job was observed while watched. Until then its subscribers await their
   * initial event: what the feed remembers of a job nobody watched may be a poll or more old.
   */
  isObserved: boolean;
}

interface FeedState {
  isBaselined: boolean;
  stopListening: () => void;
}

/** Where an observation came from; decides what a job never seen before means. */
type Source = 'poll' | 'baseline' | 'feed' | 'nudge';

export function createTenantPoller(options: TenantPollerOptions): TenantPoller {
  const { upstream, bus, settings, logger } = options;
  let tenant = options.tenant;
  const key = tenant.key;
  const jobs = new Map<string, JobWatch>();
  const jobSubscribers = new Map<JobsSubscriber, number>();
  const known = new Map<string, Observation>();
  const feedSubscribers = new Set<FeedSubscriber>();
  let feed: FeedState | undefined;
  let timer: NodeJS.Timeout | undefined;
  let isTicking = false;
  let wantsTickAgain = false;
  let failures = 0;
  const initialQueue = new Set<string>();
  let isInitialScheduled = false;
  const fetching = new Set<string>();
  const controller = new AbortController();
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

  const onJobEvent = (event: JobStatusEvent): void => {
    const watch = jobs.get(event.jobId);
    if (watch === undefined) return;
    for (const subscriber of [...watch.subscribers]) subscriber.receive(event);
  };

  const onFeedEvent = (event: JobStatusEvent): void => {
    for (const subscriber of [...feedSubscribers]) subscriber.receive(event);
  };

  const publish = (event: JobStatusEvent, topics: 'job-and-feed' | 'feed'): void => {
    if (topics === 'job-and-feed') bus.publish(jobTopic(key, event.jobId), event);
    bus.publish(tenantFeedTopic(key), event);
  };

  // ---- last state seen ----

  const remember = (observation: Observation): void => {
    known.delete(observation.job.id);
    known.set(observation.job.id, observation);
    if (feed === undefined || known.size <= settings.feedMemory) return;
    for (const id of known.keys()) {
      if (known.size <= settings.feedMemory) break;
      if (!jobs.has(id)) known.delete(id);
    }
  };

  const initialEventOf = (observation: Observation): JobStatusEvent => {
    observation.initialEvent ??= {
      tenantKey: key,
      jobId: observation.job.id,
      status: observation.job.status,
      previousStatus: null,
      initial: true,
      observedAt: observation.observedAt,
      job: observation.job,
    };
    return observation.initialEvent;
  };

  const changeEvent = (
    observation: Observation,
    previousStatus: SegmentJobStatus | null,
  ): JobStatusEvent => ({
    tenantKey: key,
    jobId: observation.job.id,
    status: observation.job.status,
    previousStatus,
    initial: false,
    observedAt: observation.observedAt,
    job: observation.job,
  });

  /** Gives subscribers still awaiting it their initial event, once the job is observed. */
  const deliverInitial = (observation: Observation): void => {
    const watch = jobs.get(observation.job.id);
    if (watch === undefined || watch.isObserved) return;
    watch.isObserved = true;
    const event = initialEventOf(observation);
    for (const subscriber of [...watch.subscribers]) subscriber.deliverInitial(event);
  };

  /** Diffs one job against the last state seen and publishes a change. */
  const observe = (job: SegmentJobModel, observedAt: number, source: Source): void => {
    const previous = known.get(job.id);
    const isFeedSource = feed !== undefined && source !== 'poll';
    if (previous === undefined) {
      if (!jobs.has(job.id) && !isFeedSource) return;
      const observation: Observation = { job, observedAt, isFeedSeen: isFeedSource };
      remember(observation);
      deliverInitial(observation);
      // A job the feed lists for the first time, or one created through the gateway, is news
      // to feed subscribers; the baseline and a look at a watched id are not.
      if (isFeedSource && source !== 'baseline')
        publish(changeEvent(observation, null), 'job-and-feed');
      return;
    }
    const previousStatus = previous.job.status;
    if (previousStatus === job.status) {
      const isNewToFeed = isFeedSource && !previous.isFeedSeen;
      const observation: Observation = {
        job,
        observedAt,
        isFeedSeen: previous.isFeedSeen || isFeedSource,
      };
      remember(observation);
      deliverInitial(observation);
      if (isNewToFeed && source !== 'baseline') publish(changeEvent(observation, null), 'feed');
      return;
    }
    if (!canTransition(previousStatus, job.status)) {
      // A stale answer (an older response overtaking a newer one) must not undo what was seen.
      logger.debug(
        { ...logContext(), jobId: job.id, from: previousStatus, to: job.status },
        'ignoring a status that does not move forward',
      );
      return;
    }
    const observation: Observation = {
      job,
      observedAt,
      isFeedSeen: previous.isFeedSeen || isFeedSource,
    };
    remember(observation);
    // New subscribers start from this status; those already served receive the change.
    deliverInitial(observation);
    publish(changeEvent(observation, previousStatus), 'job-and-feed');
  };

  const failJob = (id: string, cause: unknown): void => {
    const watch = jobs.get(id);
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

  const clearTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const dispose = (): void => {
    if (isDisposed) return;
    isDisposed = true;
    clearTimer();
    controller.abort();
    for (const watch of jobs.values()) watch.stopListening();
    feed?.stopListening();
    options.onIdle();
  };

  const pollableIds = (): string[] => {
    const ids: string[] = [];
    for (const [id, watch] of jobs) {
      const observation = known.get(id);
      if (!watch.isObserved || observation === undefined || !isFinal(observation.job.status)) {
        ids.push(id);
      }
    }
    return ids;
  };

  const hasWork = (): boolean => feed !== undefined || pollableIds().length > 0;

  const stopIfIdle = (): void => {
    if (jobs.size === 0 && feedSubscribers.size === 0) {
      dispose();
      return;
    }
    if (!hasWork()) {
      clearTimer();
      failures = 0;
    }
  };

  const failAll = (error: UpstreamError): void => {
    logger.warn(
      { ...logContext(), err: describeError(error) },
      'the upstream refused this tenant; ending its subscriptions',
    );
    const subscribers = [...jobSubscribers.keys(), ...feedSubscribers];
    for (const subscriber of subscribers) subscriber.fail(error);
    dispose();
  };

  const schedule = (delayMs: number): void => {
    clearTimer();
    // Never below the poll interval, never above what a timer holds (a longer one fires at once).
    timer = setTimeout(
      () => {
        timer = undefined;
        void tick();
      },
      clampTimerDelayMs(delayMs, settings.pollIntervalMs),
    );
  };

  const ensurePolling = (): void => {
    if (timer === undefined && !isTicking && !isDisposed && hasWork()) {
      schedule(settings.pollIntervalMs);
    }
  };

  const pollNow = (): void => {
    if (isDisposed) return;
    if (isTicking) {
      wantsTickAgain = true;
      return;
    }
    clearTimer();
    void tick();
  };

  // ---- polling ----

  const isUpdated = (previous: Observation | undefined, job: SegmentJobModel): boolean =>
    previous === undefined ||
    !previous.isFeedSeen ||
    previous.job.status !== job.status ||
    previous.job.updateTime !== job.updateTime;

  /** Lists the newest jobs; pages on while a page holds nothing but updates. */
  const pollFeed = async (): Promise<Set<string>> => {
    const listed = new Set<string>();
    const current = feed;
    if (current === undefined) return listed;
    const isBaseline = !current.isBaselined;
    const isComplete = await readFeedPages({
      upstream,
      tenant,
      pageSize: settings.feedPageSize,
      maxPages: settings.feedMaxPages,
      signal: controller.signal,
      onPage: (pageJobs) => {
        if (isDisposed || feed !== current) return 'abandon';
        const observedAt = settings.now();
        let updated = 0;
        for (const job of pageJobs) {
          // Jobs shift between pages while we read them: take each once.
          if (listed.has(job.id)) continue;
          listed.add(job.id);
          if (isUpdated(known.get(job.id), job)) updated += 1;
          observe(job, observedAt, isBaseline ? 'baseline' : 'feed');
        }
        return isBaseline || updated !== pageJobs.length ? 'stop' : 'more';
      },
    });
    if (isComplete) current.isBaselined = true;
    return listed;
  };

  const tick = async (): Promise<void> => {
    if (isDisposed) return;
    if (isTicking) {
      wantsTickAgain = true;
      return;
    }
    const ids = pollableIds();
    if (ids.length === 0 && feed === undefined) {
      failures = 0;
      return;
    }
    isTicking = true;
    wantsTickAgain = false;
    let delayMs = settings.pollIntervalMs;
    try {
      const listed = feed === undefined ? new Set<string>() : await pollFeed();
      // A job the list just returned is as fresh as a bulk-get would make it.
      const remaining = ids.filter((id) => !listed.has(id) && jobs.has(id));
      if (remaining.length > 0 && !isDisposed) {
        const result = await upstream.bulkGetJobs(tenant, remaining, {
          signal: controller.signal,
        });
        if (!isDisposed) applyBulkResult(remaining, result);
      }
      failures = 0;
    } catch (error) {
      if (!isDisposed) {
        if (isRefusal(error)) {
          failAll(error);
        } else {
          failures += 1;
          delayMs = computeBackoffMs({
            failures,
            baseMs: settings.pollIntervalMs,
            maxMs: settings.backoffMaxMs,
            random: settings.random,
            retryAfterMs: retryAfterMs(error),
          });
          logger.warn(
            { ...logContext(), failures, retryInMs: delayMs, err: describeError(error) },
            'polling the upstream failed; keeping the last known state and retrying',
          );
        }
      }
    } finally {
      isTicking = false;
    }
    if (isDisposed) return;
    if (wantsTickAgain && failures === 0) {
      wantsTickAgain = false;
      void tick();
      return;
    }
    wantsTickAgain = false;
    if (hasWork()) schedule(delayMs);
    else failures = 0;
  };

  /** One bulk-get for every id asked for in this turn of the event loop, shared by all. */
  const flushInitial = async (): Promise<void> => {
    isInitialScheduled = false;
    if (isDisposed) return;
    const ids = [...initialQueue].filter((id) => jobs.get(id)?.isObserved === false);
    initialQueue.clear();
    if (ids.length === 0) return;
    for (const id of ids) fetching.add(id);
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
    } finally {
      for (const id of ids) fetching.delete(id);
    }
  };

  const requestInitial = (id: string): void => {
    if (fetching.has(id) || initialQueue.has(id)) return;
    initialQueue.add(id);
    if (isInitialScheduled) return;
    isInitialScheduled = true;
    setImmediate(() => void flushInitial());
  };

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
      for (const id of ids) {
        let watch = jobs.get(id);
        if (watch === undefined) {
          watch = {
            subscribers: new Set(),
            stopListening: listen(jobTopic(key, id), onJobEvent),
            isObserved: false,
          };
          jobs.set(id, watch);
        }
        watch.subscribers.add(subscriber);
      }
      jobSubscribers.set(subscriber, (jobSubscribers.get(subscriber) ?? 0) + ids.length);
      for (const id of ids) {
        const observation = known.get(id);
        if (jobs.get(id)?.isObserved === true && observation !== undefined) {
          subscriber.deliverInitial(initialEventOf(observation));
        } else {
          requestInitial(id);
        }
      }
      ensurePolling();
    },
    releaseJob(subscriber, id) {
      const watch = jobs.get(id);
      if (watch === undefined || !watch.subscribers.delete(subscriber)) return;
      const held = (jobSubscribers.get(subscriber) ?? 1) - 1;
      if (held > 0) jobSubscribers.set(subscriber, held);
      else jobSubscribers.delete(subscriber);
      if (watch.subscribers.size === 0) {
        watch.stopListening();
        jobs.delete(id);
        if (feed === undefined) known.delete(id);
      }
      stopIfIdle();
    },
    addFeed(subscriber) {
      if (isDisposed) {
        subscriber.close();
        return;
      }
      feedSubscribers.add(subscriber);
      if (feed !== undefined) return;
      feed = { isBaselined: false, stopListening: listen(tenantFeedTopic(key), onFeedEvent) };
      // The baseline now, so changes right after subscribing are not absorbed into it.
      pollNow();
    },
    releaseFeed(subscriber) {
      if (!feedSubscribers.delete(subscriber)) return;
      if (feedSubscribers.size === 0 && feed !== undefined) {
        feed.stopListening();
        feed = undefined;
        for (const id of known.keys()) if (!jobs.has(id)) known.delete(id);
      }
      stopIfIdle();
    },
    nudge(jobId, job) {
      if (isDisposed) return;
      if (job !== undefined) {
        if (job.id === jobId) observe(job, settings.now(), 'nudge');
        return;
      }
      if (jobs.has(jobId) || feed !== undefined) pollNow();
    },
    stats() {
      const polledIds = pollableIds().length;
      return {
        watchedIds: jobs.size,
        polledIds,
        bulkGetPostsPerTick: Math.ceil(polledIds / settings.bulkGetMaxIds),
        subscribers: jobSubscribers.size,
        feedSubscribers: feedSubscribers.size,
        isPolling: timer !== undefined || isTicking,
        failures,
      };
    },
    close() {
      for (const subscriber of [...jobSubscribers.keys(), ...feedSubscribers]) subscriber.close();
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
