// Opaque cursors of segmentJobs: the place right after one job (the upstream's own start of the
// page that held it, the listing's page size, the job's sort key and id) and the list they belong
// to. Pure: encodes, and decodes only what the gateway itself would send, within bounds.
import { jobIdProblem, SEGMENT_JOB_STATUSES, type SegmentJobStatus } from '../domain/index.ts';
import type { JobListPosition } from '../services/segment-job-service.ts';

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

/** Longest cursor read at all, in characters. */
export const MAX_CURSOR_LENGTH = 4_096;
/** Longest job id or segment id a cursor may hold. */
const MAX_ID_LENGTH = 256;
const MAX_SEGMENT_ID_LENGTH = 1_024;
const MAX_PAGE_LIMIT = 100;
/** Same as the upstream client's START_TOKEN: one opaque token, no separators. */
const START_TOKEN = /^[A-Za-z0-9._:~-]{1,64}$/;
const SORTS = new Set([
  'creationTime:asc',
  'creationTime:desc',
  'updateTime:asc',
  'updateTime:desc',
  'status:asc',
  'status:desc',
]);
const FIELDS = new Set(['start', 'limit', 'status', 'segmentId', 'sort', 'key', 'id']);

/** The cursor of a position in a list. */
export function encodeJobCursor(cursor: JobCursorModel): string {
  const { list, position } = cursor;
  const json = {
    ...(position.start === undefined ? {} : { start: position.start }),
    limit: position.limit,
    ...(list.status === undefined ? {} : { status: list.status }),
    ...(list.segmentId === undefined ? {} : { segmentId: list.segmentId }),
    sort: `${list.sort.field}:${list.sort.direction}`,
    key: position.key,
    id: position.id,
  };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** The position a cursor stands for, or what is wrong with it (never echoing it whole). */
export function decodeJobCursor(
  cursor: string,
): { ok: true; value: JobCursorModel } | { ok: false; problem: string } {
  const fail = (problem: string) => ({ ok: false as const, problem });
  if (cursor.length === 0) return fail('an empty string');
  if (cursor.length > MAX_CURSOR_LENGTH) return fail(`${cursor.length} characters`);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return fail('text that is not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return fail('something that is not one of its cursors');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('something that is not one of its cursors');
  }
  const record = json as Record<string, unknown>;
  const unknown = Object.keys(record).filter((name) => !FIELDS.has(name));
  if (unknown.length > 0) return fail(`a cursor with a field it never sets (${unknown.length})`);
  const { start, limit, status, segmentId, sort, key, id } = record;
  if (start !== undefined && (typeof start !== 'string' || !START_TOKEN.test(start))) {
    return fail('a cursor whose start is not an upstream start token');
  }
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_PAGE_LIMIT
  ) {
    return fail(`a cursor whose page size is not 1 to ${MAX_PAGE_LIMIT}`);
  }
  const knownStatus = SEGMENT_JOB_STATUSES.find((value) => value === status);
  if (status !== undefined && knownStatus === undefined) {
    return fail('a cursor whose status is not a job status');
  }
  if (
    segmentId !== undefined &&
    (typeof segmentId !== 'string' || segmentId === '' || segmentId.length > MAX_SEGMENT_ID_LENGTH)
  ) {
    return fail('a cursor whose segmentId is not a segment id');
  }
  if (typeof sort !== 'string' || !SORTS.has(sort)) return fail('a cursor with an unknown sort');
  const [field, direction] = sort.split(':') as [JobListIdentity['sort']['field'], 'asc' | 'desc'];
  if (!isKeyOf(field, key)) return fail(`a cursor whose key is not a ${field}`);
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || jobIdProblem(id) !== undefined) {
    return fail('a cursor whose job id is not a job id');
  }
  return {
    ok: true,
    value: {
      list: {
        ...(knownStatus === undefined ? {} : { status: knownStatus }),
        ...(typeof segmentId === 'string' ? { segmentId } : {}),
        sort: { field, direction },
      },
      position: { ...(typeof start === 'string' ? { start } : {}), limit, key, id },
    },
  };
}

function isKeyOf(field: string, key: unknown): key is number | string | null {
  if (key === null) return true;
  if (field === 'status') return SEGMENT_JOB_STATUSES.some((value) => value === key);
  return typeof key === 'number' && Number.isFinite(key);
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
