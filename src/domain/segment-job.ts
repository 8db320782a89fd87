// The segment job as the gateway understands it: statuses, the validated job shape, and the
// lifecycle rules. Pure: imports nothing of ours and does no I/O.

/** Every status the Segmentation Service documents, in lifecycle order. */
export const SEGMENT_JOB_STATUSES = [
  'NEW',
  'QUEUED',
  'PROCESSING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLING',
  'CANCELLED',
] as const;

export type SegmentJobStatus = (typeof SEGMENT_JOB_STATUSES)[number];

const FINAL_STATUSES: ReadonlySet<SegmentJobStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** The segment id the upstream shows for a job that evaluates every definition. */
export const ALL_SEGMENTS_ID = '*';

export function isSegmentJobStatus(value: unknown): value is SegmentJobStatus {
  return typeof value === 'string' && (SEGMENT_JOB_STATUSES as readonly string[]).includes(value);
}

/** A final status never changes again: SUCCEEDED, FAILED or CANCELLED. */
export function isFinal(status: SegmentJobStatus): boolean {
  return FINAL_STATUSES.has(status);
}

const NEXT_STATUSES: Readonly<Record<SegmentJobStatus, readonly SegmentJobStatus[]>> = {
  NEW: ['QUEUED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED'],
  QUEUED: ['PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED'],
  PROCESSING: ['SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED'],
  CANCELLING: ['CANCELLED', 'FAILED', 'SUCCEEDED'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
};

/**
 * Whether a job may move from one status to another. Observers that poll can miss
 * intermediate statuses, so any forward move counts (NEW → SUCCEEDED is allowed); no move
 * goes back, and a final status never moves.
 */
export function canTransition(from: SegmentJobStatus, to: SegmentJobStatus): boolean {
  return NEXT_STATUSES[from].includes(to);
}

/** A start/end/total time window in epoch milliseconds; every part may be missing while running. */
export interface TimeWindowModel {
  startTimeInMs?: number | undefined;
  endTimeInMs?: number | undefined;
  totalTimeInMs?: number | undefined;
}

// Every part below is optional in Adobe's OpenAPI (`Expression`, `SegmentInfo`, `mergePolicy`):
// a part the upstream leaves out is absent here, never a refusal of the whole job.

export interface SegmentExpressionModel {
  type?: string | undefined;
  format?: string | undefined;
  value?: string | undefined;
}

export interface MergePolicyRefModel {
  id?: string | undefined;
  version?: number | undefined;
}

export interface SegmentDefinitionRefModel {
  id?: string | undefined;
  version?: number | undefined;
  expression?: SegmentExpressionModel | undefined;
  mergePolicyId?: string | undefined;
  mergePolicy?: MergePolicyRefModel | undefined;
}

/**
 * One entry of a job's `segments`: `{segmentId: '*'}` for an all-segments job. The OpenAPI
 * requires neither `segmentId` nor `segment.id`: either may be missing.
 */
export interface JobSegmentModel {
  segmentId?: string | undefined;
  segment?: SegmentDefinitionRefModel | undefined;
}

/** Job metrics as the upstream sends them: partial while the job runs. */
export interface SegmentJobMetricsModel {
  totalTime?: TimeWindowModel | undefined;
  profileSegmentationTime?: TimeWindowModel | undefined;
  totalProfiles?: number | undefined;
  segmentedProfileCounter?: Record<string, number> | undefined;
  segmentedProfileByNamespaceCounter?: Record<string, Record<string, number>> | undefined;
  segmentedProfileByStatusCounter?: Record<string, Record<string, number>> | undefined;
  totalProfilesByMergePolicy?: Record<string, number> | undefined;
}

export interface SegmentJobErrorModel {
  code?: string | undefined;
  msg?: string | undefined;
}

export interface SandboxModel {
  sandboxId?: string | undefined;
  sandboxName?: string | undefined;
  type?: string | undefined;
  default?: boolean | undefined;
}

/**
 * A segment job, validated at the upstream edge. Unknown upstream fields are dropped. Only `id`
 * and `status` are needed to read a job at all; everything else may be absent.
 */
export interface SegmentJobModel {
  id: string;
  /** Absent when the upstream leaves it out; the job is then taken as the caller's org's. */
  imsOrgId?: string | undefined;
  sandbox?: SandboxModel | undefined;
  profileInstanceId?: string | undefined;
  source?: string | undefined;
  status: SegmentJobStatus;
  batchId?: string | undefined;
  computeJobId?: number | undefined;
  computeGatewayJobId?: string | undefined;
  segments: JobSegmentModel[];
  metrics?: SegmentJobMetricsModel | undefined;
  requestId?: string | undefined;
  schema?: { name?: string | undefined } | undefined;
  properties?: { scheduleId?: string | undefined; runId?: string | undefined } | undefined;
  errors?: SegmentJobErrorModel[] | undefined;
  creationTime?: number | undefined;
  updateTime?: number | undefined;
  updateEpoch?: number | undefined;
}

/** True when the job evaluates every segment definition (the upstream shows segmentId '*'). */
export function isAllSegmentsJob(job: Pick<SegmentJobModel, 'segments'>): boolean {
  return job.segments.some((segment) => segment.segmentId === ALL_SEGMENTS_ID);
}
