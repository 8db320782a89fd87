// Query parameters of the two list endpoints (jobs, definitions): parsing with messages that say
// what is allowed, the `property` filter language, and the next-page links. Pure.
import { SEGMENT_JOB_STATUSES, type SegmentJobStatus } from '../domain/index.ts';
import { badRequest } from './service-errors.ts';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

export type SortDirection = 'asc' | 'desc';
export type JobSortField = 'creationTime' | 'updateTime' | 'status';
/** `internalId` (from the OpenAPI's `sort` example) is the definition's id here. */
export type DefinitionSortField = 'name' | 'internalId' | 'creationTime' | 'updateTime';

export const JOB_SORT_FIELDS: readonly JobSortField[] = ['creationTime', 'updateTime', 'status'];
export const DEFINITION_SORT_FIELDS: readonly DefinitionSortField[] = [
  'name',
  'internalId',
  'creationTime',
  'updateTime',
];

/**
 * One `property` filter: `path==value` compares the value at a dotted path of the job, and
 * `array~key==value` compares `key` within the elements of an array (`segments~segmentId==X`).
 */
export interface PropertyFilter {
  /** The original text, for messages and links. */
  readonly raw: string;
  readonly path: readonly string[];
  /** Set for the `array~key` form. */
  readonly elementPath?: readonly string[];
  readonly value: string;
}

export interface JobListQuery {
  start: number;
  limit: number;
  status?: SegmentJobStatus;
  sort: { field: JobSortField; direction: SortDirection };
  properties: PropertyFilter[];
}

export interface SortKey<F extends string> {
  field: F;
  direction: SortDirection;
}

export interface DefinitionListQuery {
  start: number;
  limit: number;
  /** Keys in order of precedence; never empty, each field at most once. */
  sort: [SortKey<DefinitionSortField>, ...SortKey<DefinitionSortField>[]];
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw badRequest(`expected at most one "${name}" parameter, but got ${values.length}`);
  }
  return values[0];
}

function integerParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = single(params, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw badRequest(`expected "${name}" to be an integer ${range}, but got "${raw}"`);
  }
  return value;
}

function sortParam<F extends string>(
  params: URLSearchParams,
  allowed: readonly F[],
  fallback: { field: F; direction: SortDirection },
): { field: F; direction: SortDirection } {
  const raw = single(params, 'sort');
  if (raw === undefined) return fallback;
  const [field = '', direction = 'asc', ...rest] = raw.trim().split(':');
  const isField = (allowed as readonly string[]).includes(field);
  if (!isField || (direction !== 'asc' && direction !== 'desc') || rest.length > 0) {
    const choices = allowed.map((name) => `${name}:asc|${name}:desc`).join(', ');
    throw badRequest(`expected "sort" to be one of ${choices}, but got "${raw}"`);
  }
  return { field: field as F, direction };
}

function statusParam(params: URLSearchParams): SegmentJobStatus | undefined {
  const raw = single(params, 'status');
  if (raw === undefined) return undefined;
  const value = raw.trim().toUpperCase();
  const status = SEGMENT_JOB_STATUSES.find((candidate) => candidate === value);
  if (status === undefined) {
    throw badRequest(
      `expected "status" to be one of ${SEGMENT_JOB_STATUSES.join(', ')}, but got "${raw}"`,
    );
  }
  return status;
}

const PATH_SEGMENT = /^[A-Za-z0-9_$@-]+$/;

function dottedPath(text: string, raw: string): string[] {
  const parts = text.split('.');
  if (parts.some((part) => !PATH_SEGMENT.test(part))) {
    throw badRequest(
      `expected "property" as path==value or array~key==value with dotted field names, but got "${raw}"`,
    );
  }
  return parts;
}

export function parsePropertyFilter(raw: string): PropertyFilter {
  const separator = raw.indexOf('==');
  if (separator <= 0) {
    throw badRequest(`expected "property" as path==value or array~key==value, but got "${raw}"`);
  }
  const left = raw.slice(0, separator).trim();
  const value = raw.slice(separator + 2);
  const tilde = left.indexOf('~');
  if (tilde === -1) return { raw, path: dottedPath(left, raw), value };
  return {
    raw,
    path: dottedPath(left.slice(0, tilde), raw),
    elementPath: dottedPath(left.slice(tilde + 1), raw),
    value,
  };
}

export function parseJobListQuery(params: URLSearchParams): JobListQuery {
  const status = statusParam(params);
  return {
    start: integerParam(params, 'start', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: integerParam(params, 'limit', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT),
    ...(status === undefined ? {} : { status }),
    sort: sortParam(params, JOB_SORT_FIELDS, { field: 'creationTime', direction: 'desc' }),
    properties: params.getAll('property').map(parsePropertyFilter),
  };
}

/** `start` is an offset; `page` (0-based) is accepted too and means `start = page × limit`. */
export function parseDefinitionListQuery(params: URLSearchParams): DefinitionListQuery {
  const limit = integerParam(params, 'limit', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT);
  const page = integerParam(params, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
  const start = integerParam(params, 'start', page * limit, 0, Number.MAX_SAFE_INTEGER);
  return {
    start,
    limit,
    sort: sortKeysParam(params, DEFINITION_SORT_FIELDS, {
      field: 'creationTime',
      direction: 'desc',
    }),
  };
}

/**
 * The OpenAPI's multi-key `sort` of the definitions list: `name:asc,internalId:desc`, each key a
 * field once, `:asc` when the direction is left out.
 */
function sortKeysParam<F extends string>(
  params: URLSearchParams,
  allowed: readonly F[],
  fallback: SortKey<F>,
): [SortKey<F>, ...SortKey<F>[]] {
  const raw = single(params, 'sort');
  if (raw === undefined) return [fallback];
  const keys: SortKey<F>[] = [];
  for (const part of raw.split(',')) {
    const [field = '', direction = 'asc', ...rest] = part.trim().split(':');
    if (!(allowed as readonly string[]).includes(field)) {
      throw badRequest(
        `expected each "sort" key to name one of ${allowed.join(', ')} (then :asc or :desc, comma-separated), but got "${field}" in "${raw}"`,
      );
    }
    if ((direction !== 'asc' && direction !== 'desc') || rest.length > 0) {
      throw badRequest(
        `expected a "sort" key as field:asc or field:desc, but got "${part.trim()}" in "${raw}"`,
      );
    }
    if (keys.some((key) => key.field === field)) {
      throw badRequest(
        `expected each "sort" field once, but got "${field}" more than once in "${raw}"`,
      );
    }
    keys.push({ field: field as F, direction });
  }
  const [first, ...others] = keys;
  // split() always yields at least one part, and every part became a key or threw.
  return [first as SortKey<F>, ...others];
}

/** Every value found at `path`, stepping into arrays along the way. */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [value];
  for (const key of path) {
    const next: unknown[] = [];
    for (const item of current) {
      const items = Array.isArray(item) ? item : [item];
      for (const element of items) {
        if (typeof element === 'object' && element !== null && Object.hasOwn(element, key)) {
          next.push((element as Record<string, unknown>)[key]);
        }
      }
    }
    current = next;
  }
  return current;
}

function equalsText(value: unknown, text: string): boolean {
  if (typeof value === 'string') return value === text;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value) === text;
  }
  return false;
}

export function matchesProperty(document: unknown, filter: PropertyFilter): boolean {
  const found = valuesAt(document, filter.path);
  if (filter.elementPath === undefined) {
    return found.flat().some((value) => equalsText(value, filter.value));
  }
  const elements = found.filter(Array.isArray).flat();
  return valuesAt(elements, filter.elementPath)
    .flat()
    .some((value) => equalsText(value, filter.value));
}

/** The query string of the next page: the same parameters with `start` moved on. */
export function nextPageHref(path: string, params: URLSearchParams, nextStart: number): string {
  const next = new URLSearchParams();
  for (const [name, value] of params) {
    if (name !== 'start' && name !== 'page') next.append(name, value);
  }
  next.set('start', String(nextStart));
  return `${path}?${next.toString()}`;
}
