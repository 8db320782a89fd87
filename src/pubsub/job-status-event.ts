// The event the watcher publishes and subscribers receive: one job's status as observed at one
// moment. Plain JSON data only, because events cross replicas through Redis.
import {
  isSegmentJobStatus,
  type SegmentJobModel,
  type SegmentJobStatus,
} from '../domain/index.ts';
import { isStreamId } from './feed-cursor.ts';

/** One observed status of one job of one tenant. Survives `JSON.stringify`/`JSON.parse`. */
export interface JobStatusEvent {
  /** The tenant the job belongs to; events never leave their tenant's topics. */
  tenantKey: string;
  jobId: string;
  status: SegmentJobStatus;
  /**
   * On the bus: the status the publisher saw before (null for a job it had not seen). As
   * delivered: the status last delivered to that subscriber for this job.
   */
  previousStatus: SegmentJobStatus | null;
  /** True only on a subscriber's first event for a job (its state when the subscription began). */
  initial: boolean;
  /** When the status was observed, epoch milliseconds. */
  observedAt: number;
  /** The job as observed with this status. */
  job: SegmentJobModel;
  /**
   * Where the event sits in its tenant's feed stream (Redis), set on feed events once appended;
   * absent without Redis, on job topics, or when the append failed.
   */
  streamId?: string | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Whether a value (typically parsed from another replica's message) has the shape of a
 * `JobStatusEvent`. Checks the fields routing and ordering rely on, not every job field.
 */
export function isJobStatusEvent(value: unknown): value is JobStatusEvent {
  if (!isObject(value)) return false;
  const { tenantKey, jobId, status, previousStatus, initial, observedAt, job, streamId } = value;
  return (
    typeof tenantKey === 'string' &&
    typeof jobId === 'string' &&
    isSegmentJobStatus(status) &&
    (previousStatus === null || isSegmentJobStatus(previousStatus)) &&
    typeof initial === 'boolean' &&
    typeof observedAt === 'number' &&
    isObject(job) &&
    job.id === jobId &&
    job.status === status &&
    (streamId === undefined || (typeof streamId === 'string' && isStreamId(streamId)))
  );
}
