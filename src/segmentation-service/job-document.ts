// The segment job exactly as the REST API shows it, and the pure steps that change it. Storage
// keeps this document as it is; nothing here touches SQLite or the clock.
import { randomUUID } from 'node:crypto';
import { ALL_SEGMENTS_ID, type SegmentJobStatus } from '../domain/index.ts';
import type { DefinitionDocument } from './definition-document.ts';
import { type SandboxDocument, sandboxDocument, type TenantScope } from './tenant-scope.ts';

/** Above this many definitions a job lists `segments: [{segmentId: '*'}]`, as Adobe's does. */
export const MAX_LISTED_SEGMENTS = 1500;

/** Schema name of a job created from a plain array of segment ids. */
export const DEFAULT_SCHEMA_NAME = '_xdm.context.profile';

export interface TimeWindow {
  startTimeInMs?: number;
  endTimeInMs?: number;
  totalTimeInMs?: number;
}

export interface JobMetrics {
  totalTime: TimeWindow;
  profileSegmentationTime: TimeWindow;
  totalProfiles?: number;
  segmentedProfileCounter?: Record<string, number>;
  segmentedProfileByNamespaceCounter?: Record<string, Record<string, number>>;
  segmentedProfileByStatusCounter?: Record<string, { realized: number; exited: number }>;
  totalProfilesByMergePolicy?: Record<string, number>;
}

export interface JobSegmentEntry {
  segmentId: string;
  segment?: {
    id: string;
    expression: { type: string; format: string; value: string };
    mergePolicyId: string;
    mergePolicy: { id: string; version: number };
  };
}

export interface JobErrorEntry {
  code: string;
  msg: string;
}

export interface JobDocument {
  id: string;
  imsOrgId: string;
  sandbox: SandboxDocument;
  profileInstanceId: 'ups';
  source: string;
  status: SegmentJobStatus;
  batchId: string;
  computeJobId: number;
  computeGatewayJobId: string;
  segments: JobSegmentEntry[];
  metrics: JobMetrics;
  requestId: string;
  schema: { name: string };
  properties: Record<string, string>;
  _links: {
    cancel: { href: string; method: 'DELETE' };
    checkStatus: { href: string; method: 'GET' };
  };
  creationTime: number;
  updateTime: number;
  updateEpoch: number;
  errors?: JobErrorEntry[];
}

export interface NewJobInput {
  scope: TenantScope;
  /** The definitions the job runs; `'all'` for the wildcard job. */
  definitions: readonly DefinitionDocument[] | 'all';
  schemaName: string;
  computeJobId: number;
  requestId: string;
  nowMs: number;
  /** Merge policy version per merge policy id. @default 1 for every policy */
  mergePolicyVersions?: ReadonlyMap<string, number>;
}

export function jobSegmentEntries(
  definitions: readonly DefinitionDocument[] | 'all',
  mergePolicyVersions: ReadonlyMap<string, number> = new Map(),
): JobSegmentEntry[] {
  if (definitions === 'all' || definitions.length > MAX_LISTED_SEGMENTS) {
    return [{ segmentId: ALL_SEGMENTS_ID }];
  }
  return definitions.map((definition) => ({
    segmentId: definition.id,
    segment: {
      id: definition.id,
      expression: { ...definition.expression },
      mergePolicyId: definition.mergePolicyId,
      mergePolicy: {
        id: definition.mergePolicyId,
        version: mergePolicyVersions.get(definition.mergePolicyId) ?? 1,
      },
    },
  }));
}

/** A job as `POST /segment/jobs` answers it: status NEW, metrics holding only the start time. */
export function createJobDocument(input: NewJobInput): JobDocument {
  const id = randomUUID();
  const href = `/segment/jobs/${id}`;
  return {
    id,
    imsOrgId: input.scope.orgId,
    sandbox: sandboxDocument(input.scope),
    profileInstanceId: 'ups',
    source: 'api',
    status: 'NEW',
    batchId: randomUUID(),
    computeJobId: input.computeJobId,
    computeGatewayJobId: randomUUID(),
    segments: jobSegmentEntries(input.definitions, input.mergePolicyVersions),
    metrics: { totalTime: { startTimeInMs: input.nowMs }, profileSegmentationTime: {} },
    requestId: input.requestId,
    schema: { name: input.schemaName },
    properties: {},
    _links: { cancel: { href, method: 'DELETE' }, checkStatus: { href, method: 'GET' } },
    creationTime: input.nowMs,
    updateTime: input.nowMs,
    updateEpoch: Math.floor(input.nowMs / 1000),
  };
}

/**
 * The job moved to `status` at `nowMs`. `updateTime` always advances, even within one
 * millisecond, so a poller comparing update times sees every step.
 */
export function withStatus(
  job: JobDocument,
  status: SegmentJobStatus,
  nowMs: number,
  changes: Partial<Pick<JobDocument, 'metrics' | 'errors'>> = {},
): JobDocument {
  const updateTime = Math.max(nowMs, job.updateTime + 1);
  return {
    ...job,
    ...changes,
    status,
    updateTime,
    updateEpoch: Math.floor(updateTime / 1000),
  };
}

/** A closed time window from `startTimeInMs` to `endTimeInMs`. */
export function closedWindow(startTimeInMs: number, endTimeInMs: number): Required<TimeWindow> {
  return { startTimeInMs, endTimeInMs, totalTimeInMs: Math.max(0, endTimeInMs - startTimeInMs) };
}

/** The metrics of a job that ended without results (FAILED, CANCELLED): times only. */
export function endedMetrics(job: JobDocument, endTimeInMs: number): JobMetrics {
  const start = job.metrics.totalTime.startTimeInMs ?? job.creationTime;
  const segmentation = job.metrics.profileSegmentationTime;
  return {
    totalTime: closedWindow(start, endTimeInMs),
    profileSegmentationTime:
      segmentation.startTimeInMs === undefined
        ? {}
        : closedWindow(segmentation.startTimeInMs, endTimeInMs),
  };
}
