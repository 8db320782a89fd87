// One tenant's watcher: puts together its watch set, poll loop, initial fetches, feed poll and
// the last state seen of each job. It reaches the upstream only with its own tenant, publishes
// every change on that tenant's topics, and never lets a poll failure escape.
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
import { createFeedAppender, type FeedAppender } from './feed-appender.ts';
import { advertisesFeed, createFeedLinger, startsLinger, wantsFeed } from './feed-linger.ts';
import { createFeedPoller, type FeedPoller } from './feed-poller.ts';
import type { FeedSubscriber } from './feed-subscriber.ts';
import type { Fleet, FleetMember, FleetRole, FleetWatch } from './fleet.ts';
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
  /** With a fleet: whether this replica polls the tenant for every replica, for none, or alone. */
  role?: FleetRole | undefined;
  /**
   * With a fleet: the feed lingers here (still registered and, by the lease holder, polled)
   * after its last local subscriber left (`FEED_LINGER_MS`).
   */
  isFeedLingering?: boolean | undefined;
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
  /** Replicas sharing one poller per tenant; without it this replica polls for itself. */
  fleet?: Fleet | undefined;
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
  /** The feed's poll, while it is polled here or for another replica. */
  let feedPoller: FeedPoller | undefined;
  /** The feed topic's listener, while local feed subscribers exist (always, with a fleet). */
  let stopFeedListening: (() => void) | undefined;
  let isDisposed = false;
  /** With a fleet: ids other replicas watch, as read at the holder's last tick. */
  let remoteIds = new Set<string>();
  /** The role this tick started with; a holder's results are dropped once it is fenced off. */
  let tickRole: FleetRole = 'standalone';
  let needsStateLoad = false;
  const unsaved = new Map<string, JobState>();
  const forgotten = new Set<string>();
  /** Set while subscribers are ended by close or a refusal: their departure starts no linger. */
  let isClosing = false;
  /**
   * After the last feed subscriber leaves, the feed stays registered and polled for a while, so
   * a client that comes back resumes from its cursor without a gap. The credentials it polls
   * with are `tenant`, kept in this object's memory only, and dropped with it when it ends.
   */
  const linger = createFeedLinger({
    lingerMs: options.fleet?.feedLingerMs ?? 0,
    onEnd: () => endLinger(),
  });

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
        adopt(event, false);
        const watch = watches.get(event.jobId);
        if (watch === undefined) return;
        for (const subscriber of [...watch.subscribers]) subscriber.receive(event);
      }),
  });

  /**
   * With a fleet, what the bus says is news to the last state seen here: another replica (the
   * lease holder, or one nudged by a create or cancel) observed it. A holder then compares its
   * next poll against it, so a nudge through any replica reaches the holder's state.
   */
  const adopt = (event: JobStatusEvent, isOnFeed: boolean): void => {
    if (member === undefined) return;
    const previous = known.get(event.jobId);
    if (previous !== undefined && !canTransition(previous.job.status, event.status)) return;
    if (previous === undefined && !watches.has(event.jobId) && feedPoller === undefined) return;
    remember({
      job: event.job,
      observedAt: event.observedAt,
      // An event on the feed topic has announced the job to the feed: a later holder listing
      // it must not announce it again (a resumed feed replays every announcement).
      isFeedSeen: isOnFeed || (previous?.isFeedSeen ?? false),
    });
  };

  const onFeedEvent = (event: JobStatusEvent): void => {
    adopt(event, true);
    for (const subscriber of watches.feedSubscribers()) subscriber.receive(event);
  };

  /** With a fleet, feed events go into the tenant's stream before the bus (resumable feed). */
  const appender: FeedAppender | undefined =
    options.fleet === undefined
      ? undefined
      : createFeedAppender({
          stream: options.fleet.feed,
          tenantKey: key,
          publish: (event) => bus.publish(tenantFeedTopic(key), event),
          onFailure: (error) => {
            logger.warn(
              { ...logContext(), err: describeError(error) },
              'appending to the feed stream failed; publishing without a cursor',
            );
          },
        });

  const publish = (event: JobStatusEvent, target: PublishTarget): void => {
    if (target === 'none') return;
    if (target !== 'feed') bus.publish(jobTopic(key, event.jobId), event);
    if (target === 'job') return;
    if (appender === undefined) bus.publish(tenantFeedTopic(key), event);
    else appender.append(event);
  };

  // ---- last state seen ----

  const forget = (id: string): void => {
    known.delete(id);
    if (tickRole === 'holder') forgotten.add(id);
  };

  const remember = (state: KnownJob): void => {
    known.delete(state.job.id);
    known.set(state.job.id, state);
    if (feedPoller === undefined || known.size <= settings.feedMemory) return;
    for (const id of known.keys()) {
      if (known.size <= settings.feedMemory) break;
      if (!watches.has(id) && !remoteIds.has(id)) forget(id);
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
  const observe = (
    job: SegmentJobModel,
    observedAt: number,
    source: ObservationSource,
    announcesFirstSight = false,
  ): void => {
    const observation = observeJob({
      previous: known.get(job.id),
      job,
      observedAt,
      source,
      isFeedActive: feedPoller !== undefined,
      isWatched: watches.has(job.id) || remoteIds.has(job.id),
      announcesFirstSight,
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
    // What the holder publishes is what a failover compares against: kept in Redis.
    if (observation.publish !== 'none' && member?.role() === 'holder') {
      unsaved.set(state.job.id, observation.next);
      forgotten.delete(state.job.id);
    }
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

  const applyBulkResult = (
    ids: readonly string[],
    result: BulkGetResult,
    announcesFirstSight = false,
  ): void => {
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
      } else observe(entry, observedAt, 'poll', announcesFirstSight);
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

  // With a fleet the loop keeps ticking: as holder it polls what other replicas watch.
  const hasWork = (): boolean =>
    member !== undefined || feedPoller !== undefined || pollableIds().length > 0;

  const dispose = (): void => {
    if (isDisposed) return;
    isDisposed = true;
    linger.cancel();
    loop.stop();
    initial.close();
    controller.abort();
    watches.clear();
    feedPoller?.cancel();
    stopFeedListening?.();
    void member?.leave();
    options.onIdle();
  };

  const stopIfIdle = (): void => {
    if (watches.isEmpty() && !linger.isActive) {
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
    isClosing = true;
    for (const subscriber of watches.allSubscribers()) subscriber.fail(error);
    dispose();
  };

  // ---- polling ----

  const newFeedPoller = (isBaselined: boolean): FeedPoller =>
    createFeedPoller({
      upstream,
      pageSize: settings.feedPageSize,
      maxPages: settings.feedMaxPages,
      signal: controller.signal,
      now: settings.now,
      isBaselined,
      onBaseline: () => appender?.markGap(),
      isUpdate: (job) => isFeedUpdate(known.get(job.id), job),
      observe: (job, observedAt, isBaseline) => {
        if (isFenced()) return;
        observe(job, observedAt, isBaseline ? 'baseline' : 'feed', tickRole === 'holder');
      },
    });

  const setFeedPoller = (next: FeedPoller | undefined): void => {
    feedPoller?.cancel();
    feedPoller = next;
    if (next === undefined) {
      for (const id of known.keys()) if (!watches.has(id) && !remoteIds.has(id)) known.delete(id);
    }
  };

  /** A holder that could not renew its lease in time publishes nothing more. */
  const isFenced = (): boolean =>
    isDisposed || (tickRole === 'holder' && member?.role() !== 'holder');

  /** After taking the lease: start from what the last holder published, not from nothing. */
  const loadPublishedStates = async (fleetMember: FleetMember, isFeedWanted: boolean) => {
    const stored = await fleetMember.loadStates();
    needsStateLoad = false;
    let hasFeedStates = false;
    for (const [id, state] of stored) {
      hasFeedStates ||= state.isFeedSeen;
      const previous = known.get(id);
      if (previous === undefined || canTransition(previous.job.status, state.job.status)) {
        remember({ ...state, isFeedSeen: state.isFeedSeen || (previous?.isFeedSeen ?? false) });
      }
    }
    // The feed carries on from the states the last holder listed: no new baseline to absorb
    // the changes made while nobody polled.
    if (isFeedWanted && hasFeedStates && feedPoller?.isBaselined !== true) {
      setFeedPoller(newFeedPoller(true));
    }
  };

  const poll = async (): Promise<void> => {
    tickRole = member?.role() ?? 'standalone';
    if (tickRole === 'follower') return;
    let remote: FleetWatch | undefined;
    if (tickRole === 'holder' && member !== undefined) {
      try {
        remote = await member.readWatch();
        if (needsStateLoad) {
          await loadPublishedStates(
            member,
            wantsFeed({
              hasLocalFeed: watches.hasFeed,
              isLingering: linger.isActive,
              hasRegisteredFeed: remote.hasFeed,
            }),
          );
        }
      } catch {
        // Redis failed under the holder: poll for local subscribers only, like a lone replica.
        tickRole = 'standalone';
      }
      if (isFenced()) return;
    }
    remoteIds = remote?.ids ?? new Set();
    lastRemoteHasFeed = remote?.hasFeed === true;
    const isFeedWanted = wantsFeed({
      hasLocalFeed: watches.hasFeed,
      isLingering: linger.isActive,
      hasRegisteredFeed: remote?.hasFeed === true,
    });
    if (isFeedWanted && feedPoller === undefined) setFeedPoller(newFeedPoller(false));
    if (!isFeedWanted && feedPoller !== undefined) setFeedPoller(undefined);
    if (feedPoller === undefined && tickRole === 'holder') {
      for (const id of known.keys()) if (!watches.has(id) && !remoteIds.has(id)) forget(id);
    }
    const ids = pollableIds();
    for (const id of remoteIds) {
      const state = known.get(id);
      if (!watches.has(id) && (state === undefined || !isFinal(state.job.status))) ids.push(id);
    }
    try {
      const listed = feedPoller === undefined ? new Set<string>() : await feedPoller.poll(tenant);
      // A job the list just returned is as fresh as a bulk-get would make it.
      const remaining = ids.filter(
        (id) => !listed.has(id) && (watches.has(id) || remoteIds.has(id)),
      );
      if (remaining.length > 0 && !isFenced()) {
        const result = await upstream.bulkGetJobs(tenant, remaining, {
          signal: controller.signal,
        });
        if (!isFenced()) applyBulkResult(remaining, result, tickRole === 'holder');
      }
    } finally {
      if (member !== undefined && (unsaved.size > 0 || forgotten.size > 0)) {
        member.saveStates([...unsaved.values()], [...forgotten]);
      }
      unsaved.clear();
      forgotten.clear();
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

  const member: FleetMember | undefined = options.fleet?.join(key, {
    // A lingering feed stays advertised: the lease and the feed's polling go on meanwhile.
    localWatch: () => ({
      ids: pollableIds(),
      hasFeed: advertisesFeed({ hasLocalFeed: watches.hasFeed, isLingering: linger.isActive }),
    }),
    onAcquired: () => {
      needsStateLoad = true;
      // A new holder looks at once: after a failover, what changed meanwhile is published now.
      loop.now();
    },
  });
  let lastRemoteHasFeed = false;
  const remoteHasFeed = (): boolean => lastRemoteHasFeed;

  /** Drops the feed unless a holder still polls it for another replica's registration. */
  const dropFeedUnlessShared = (): void => {
    if (feedPoller !== undefined && !(tickRole === 'holder' && remoteHasFeed())) {
      setFeedPoller(undefined);
    }
  };

  /** The linger ran its time with no feed subscriber back: everything stops as without one. */
  const endLinger = (): void => {
    if (isDisposed || watches.hasFeed) return;
    member?.touch();
    dropFeedUnlessShared();
    stopIfIdle();
  };
  // With a fleet, nudges and observations of other replicas arrive on the feed topic.
  if (member !== undefined) stopFeedListening = listen(tenantFeedTopic(key), onFeedEvent);

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
      member?.touch();
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
      if (watches.release(subscriber, id) && feedPoller === undefined && !remoteIds.has(id)) {
        known.delete(id);
      }
      member?.touch();
      stopIfIdle();
    },
    addFeed(subscriber) {
      if (isDisposed) {
        subscriber.close();
        return;
      }
      if (!watches.addFeed(subscriber)) return;
      // Back within the linger: the feed never stopped, so no new baseline (and no gap).
      linger.cancel();
      member?.touch();
      stopFeedListening ??= listen(tenantFeedTopic(key), onFeedEvent);
      if (feedPoller !== undefined) return;
      setFeedPoller(newFeedPoller(false));
      // The baseline now, so changes right after subscribing are not absorbed into it.
      loop.now();
    },
    releaseFeed(subscriber) {
      if (!watches.feedSubscribers().includes(subscriber)) return;
      if (watches.releaseFeed(subscriber)) {
        const isLingering = startsLinger({
          lingerMs: options.fleet?.feedLingerMs ?? 0,
          hasStream: appender !== undefined,
          feedSubscribersLeft: 0,
          isClosing: isClosing || isDisposed,
        });
        if (isLingering) linger.start();
        member?.touch();
        if (member === undefined) {
          stopFeedListening?.();
          stopFeedListening = undefined;
        }
        // A holder keeps the feed while another replica registers feed subscribers.
        if (!isLingering) dropFeedUnlessShared();
      }
      stopIfIdle();
    },
    nudge(jobId, job) {
      if (isDisposed) return;
      if (job !== undefined) {
        if (job.id === jobId) observe(job, settings.now(), 'nudge');
        return;
      }
      if (watches.has(jobId) || feedPoller !== undefined) loop.now();
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
        ...(member === undefined ? {} : { role: member.role(), isFeedLingering: linger.isActive }),
      };
    },
    close() {
      isClosing = true;
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
