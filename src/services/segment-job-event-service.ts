// The live side of segment jobs for one subscriber: status streams from the watcher, scoped to
// the subscriber's tenant, with upstream failures turned into coded GraphQL errors. Holds no
// state of its own; the watcher owns polling and sharing.

import { createGraphQLError } from 'graphql-yoga';
import { jobIdProblem, type SegmentJobStatus, type Tenant } from '../domain/index.ts';
import { decodeFeedCursor, type JobStatusEvent } from '../pubsub/index.ts';
import {
  FeedCursorExpiredError,
  FeedResumeUnavailableError,
  type Watcher,
} from '../watcher/index.ts';
import type { SubscriptionQuota } from './subscription-quota.ts';
import { toQueryError } from './upstream-error-mapping.ts';

/** Ids one `segmentJobStatusChanged` subscription may watch. */
export const MAX_IDS_PER_SUBSCRIPTION = 100;

export interface SegmentJobEventService {
  /**
   * Status events of the given jobs: one initial event per job, then one per change; ends when
   * every job is final. Fails with NOT_FOUND for an id the tenant does not have.
   */
  watchJobs(ids: readonly string[], signal?: AbortSignal): AsyncIterableIterator<JobStatusEvent>;
  /**
   * Every job of the tenant, optionally only changes into `statuses`. Never ends by itself.
   * With `after` (a cursor of an earlier event), first every event after it: BAD_USER_INPUT
   * for a malformed cursor, CURSOR_EXPIRED when the feed no longer holds what followed it,
   * RESUME_UNAVAILABLE without Redis.
   */
  watchTenant(
    statuses: readonly SegmentJobStatus[] | undefined,
    signal?: AbortSignal,
    after?: string,
  ): AsyncIterableIterator<JobStatusEvent>;
}

export interface SegmentJobEventServiceOptions {
  /** Resolves the subscriber's tenant; throws the error the subscriber should see. */
  resolveTenant: () => Tenant;
  watcher: Watcher;
  /** Open subscriptions per tenant, shared by every transport. */
  quota: SubscriptionQuota;
}

export function createSegmentJobEventService(
  options: SegmentJobEventServiceOptions,
): SegmentJobEventService {
  return {
    watchJobs(ids, signal) {
      const distinct = validateIds(ids);
      const tenant = options.resolveTenant();
      return guarded(options.quota.acquire(tenant.key), () =>
        options.watcher.watchJobs(tenant, distinct, { signal }),
      );
    },
    watchTenant(statuses, signal, after) {
      const afterId = after === undefined ? undefined : validateCursor(after);
      const tenant = options.resolveTenant();
      const filter = statuses === undefined || statuses.length === 0 ? undefined : statuses;
      return guarded(options.quota.acquire(tenant.key), () =>
        options.watcher.watchTenant(tenant, { statuses: filter, signal, afterId }),
      );
    },
  };
}

/** 1..100 non-empty ids; repeats are watched once. */
function validateIds(ids: readonly string[]): string[] {
  const distinct = [...new Set(ids)];
  if (distinct.length === 0 || distinct.length > MAX_IDS_PER_SUBSCRIPTION) {
    throw badIds(
      `expected 1 to ${MAX_IDS_PER_SUBSCRIPTION} distinct job ids, but got ${distinct.length}`,
    );
  }
  const blank = distinct.findIndex((id) => id.trim() === '');
  if (blank !== -1) {
    throw badIds(`expected a job id at ids[${blank}], but got an empty string`);
  }
  for (const [index, id] of distinct.entries()) {
    const problem = jobIdProblem(id);
    if (problem !== undefined) throw badIds(`ids[${index}]: ${problem}`);
  }
  return distinct;
}

function validateCursor(cursor: string): string {
  const decoded = decodeFeedCursor(cursor);
  if (decoded.ok) return decoded.streamId;
  throw createGraphQLError(`after: ${decoded.problem}`, {
    extensions: { code: 'BAD_USER_INPUT', field: 'after' },
  });
}

/** A resume's own failures as coded errors; upstream failures as queries map them. */
function toStreamError(error: unknown): unknown {
  if (error instanceof FeedCursorExpiredError) {
    return createGraphQLError(error.message, { extensions: { code: 'CURSOR_EXPIRED' } });
  }
  if (error instanceof FeedResumeUnavailableError) {
    return createGraphQLError(error.message, { extensions: { code: 'RESUME_UNAVAILABLE' } });
  }
  return toQueryError(error);
}

function badIds(message: string): Error {
  return createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field: 'ids' } });
}

/** Opens a stream holding a quota slot; the slot is given back if opening fails. */
function guarded(
  release: () => void,
  open: () => AsyncIterableIterator<JobStatusEvent>,
): AsyncIterableIterator<JobStatusEvent> {
  try {
    return guard(open(), release);
  } catch (error) {
    release();
    throw toStreamError(error);
  }
}

/**
 * Rethrows upstream failures as coded GraphQL errors (everything else passes through) and
 * gives the quota slot back once the stream ends, however it ends.
 */
function guard(
  source: AsyncIterableIterator<JobStatusEvent>,
  release: () => void,
): AsyncIterableIterator<JobStatusEvent> {
  return {
    async next() {
      try {
        const step = await source.next();
        if (step.done) release();
        return step;
      } catch (error) {
        release();
        throw toStreamError(error);
      }
    },
    async return() {
      release();
      return (await source.return?.()) ?? { done: true, value: undefined };
    },
    async throw(error: unknown) {
      release();
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
