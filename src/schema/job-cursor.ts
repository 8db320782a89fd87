// Cursors of segmentJobs (and Segment.jobs): a list cursor (list-cursor.ts) whose list is named
// by its status, segmentId and sort. Pure.
import { SEGMENT_JOB_STATUSES, type SegmentJobStatus } from '../domain/index.ts';
import type { JobListPosition } from '../services/segment-job-service.ts';
import {
  decodeListCursor,
  encodeListCursor,
  type ListCursorKind,
  type ListCursorPosition,
  listCursorEncoder,
  MAX_CURSOR_LENGTH,
} from './list-cursor.ts';

export { MAX_CURSOR_LENGTH };

/** The list a cursor belongs to: a cursor of another list is refused. */
export interface JobListIdentity {
  status?: SegmentJobStatus | undefined;
  segmentId?: string | undefined;
  sort: { field: 'creationTime' | 'updateTime' | 'status'; direction: 'asc' | 'desc' };
}

export interface JobCursorModel {
  list: JobListIdentity;
  position: JobListPosition;
}

const MAX_SEGMENT_ID_LENGTH = 1_024;
const SORTS = new Set([
  'creationTime:asc',
  'creationTime:desc',
  'updateTime:asc',
  'updateTime:desc',
  'status:asc',
  'status:desc',
]);

const jobLists: ListCursorKind<JobListIdentity> = {
  fields: ['status', 'segmentId', 'sort'],
  idName: 'job id',
  write: (list) => ({
    status: list.status,
    segmentId: list.segmentId,
    sort: `${list.sort.field}:${list.sort.direction}`,
  }),
  read(record) {
    const { status, segmentId, sort } = record;
    const knownStatus = SEGMENT_JOB_STATUSES.find((value) => value === status);
    if (status !== undefined && knownStatus === undefined) {
      return { ok: false, problem: 'a cursor whose status is not a job status' };
    }
    if (
      segmentId !== undefined &&
      (typeof segmentId !== 'string' ||
        segmentId === '' ||
        segmentId.length > MAX_SEGMENT_ID_LENGTH)
    ) {
      return { ok: false, problem: 'a cursor whose segmentId is not a segment id' };
    }
    if (typeof sort !== 'string' || !SORTS.has(sort)) {
      return { ok: false, problem: 'a cursor with an unknown sort' };
    }
    const [field, direction] = sort.split(':') as [
      JobListIdentity['sort']['field'],
      'asc' | 'desc',
    ];
    return {
      ok: true,
      list: {
        ...(knownStatus === undefined ? {} : { status: knownStatus }),
        ...(typeof segmentId === 'string' ? { segmentId } : {}),
        sort: { field, direction },
      },
    };
  },
  isKey(key, list): key is number | string | null {
    if (key === null) return true;
    if (list.sort.field === 'status') return SEGMENT_JOB_STATUSES.some((value) => value === key);
    return typeof key === 'number' && Number.isFinite(key);
  },
};

/** The cursor of a position in a list. */
export function encodeJobCursor(cursor: JobCursorModel): string {
  return encodeListCursor(jobLists, cursor.list, cursor.position);
}

/** Encodes the cursors of many positions in `list`, each as {@link encodeJobCursor} would. */
export function jobCursorEncoder(list: JobListIdentity): (position: ListCursorPosition) => string {
  return listCursorEncoder(jobLists, list);
}

/** The position a cursor stands for, or what is wrong with it (never echoing it whole). */
export function decodeJobCursor(
  cursor: string,
): { ok: true; value: JobCursorModel } | { ok: false; problem: string } {
  return decodeListCursor(jobLists, cursor);
}

/** True when both name the same list (status, segmentId and sort). */
export function isSameList(a: JobListIdentity, b: JobListIdentity): boolean {
  return (
    a.status === b.status &&
    a.segmentId === b.segmentId &&
    a.sort.field === b.sort.field &&
    a.sort.direction === b.sort.direction
  );
}
