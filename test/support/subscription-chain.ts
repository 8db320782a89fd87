// What a status event stream must look like, checked independently of the gateway's own rules:
// per job, an initial event first (when expected), each next `previousStatus` equal to the status
// delivered before, and statuses that only move forward.

/** The fields of a status event the chain checks read. */
export interface StatusEventLike {
  jobId: string;
  status: string;
  previousStatus: string | null;
  initial: boolean;
}

/** Lifecycle rank: a later event of a job must have a higher rank (CANCELLING sits before the end). */
const RANK: Readonly<Record<string, number>> = {
  NEW: 0,
  QUEUED: 1,
  PROCESSING: 2,
  CANCELLING: 3,
  SUCCEEDED: 4,
  FAILED: 4,
  CANCELLED: 4,
};

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}

/** The events of each job, in delivery order. */
export function eventsByJob<T extends StatusEventLike>(events: readonly T[]): Map<string, T[]> {
  const byJob = new Map<string, T[]>();
  for (const event of events) {
    const list = byJob.get(event.jobId) ?? [];
    list.push(event);
    byJob.set(event.jobId, list);
  }
  return byJob;
}

/**
 * Problems with one job's events, empty when the chain is sound. With `expectInitial`, the
 * first event must be `initial: true` with `previousStatus: null` and no later event may be
 * initial; without it (the tenant feed), no event may be initial.
 */
export function chainProblems(
  events: readonly StatusEventLike[],
  options: { expectInitial: boolean },
): string[] {
  const problems: string[] = [];
  events.forEach((event, index) => {
    const where = `event ${index} of job ${event.jobId} (${event.previousStatus} → ${event.status})`;
    const rank = RANK[event.status];
    if (rank === undefined) problems.push(`${where}: unknown status`);
    const shouldBeInitial = options.expectInitial && index === 0;
    if (event.initial !== shouldBeInitial) {
      problems.push(`${where}: expected initial ${shouldBeInitial}, but got ${event.initial}`);
    }
    if (shouldBeInitial && event.previousStatus !== null) {
      problems.push(`${where}: expected previousStatus null on the initial event`);
    }
    const before = events[index - 1];
    if (before === undefined) return;
    if (event.previousStatus !== before.status) {
      problems.push(
        `${where}: expected previousStatus ${before.status} (the status delivered before), but got ${event.previousStatus}`,
      );
    }
    if (FINAL.has(before.status)) problems.push(`${where}: an event after a final status`);
    const beforeRank = RANK[before.status];
    if (rank !== undefined && beforeRank !== undefined && rank <= beforeRank) {
      problems.push(`${where}: expected a forward move from ${before.status}`);
    }
  });
  return problems;
}

/** Problems of every job's chain in a stream (empty when all are sound). */
export function streamProblems(
  events: readonly StatusEventLike[],
  options: { expectInitial: boolean },
): string[] {
  return [...eventsByJob(events).values()].flatMap((list) => chainProblems(list, options));
}

/** The statuses a job went through in a stream, e.g. `['NEW', 'QUEUED', 'SUCCEEDED']`. */
export function statusesOf(events: readonly StatusEventLike[], jobId: string): string[] {
  return events.filter((event) => event.jobId === jobId).map((event) => event.status);
}
