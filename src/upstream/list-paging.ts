// Paging a list endpoint (jobs or definitions) the way the upstream says, as pure decisions: which
// parameters a next page is asked with (only the query of its next href, checked), where an item
// sits relative to the last one served (its sort key, then its id), and so which items to drop.
import type { SegmentJobModel } from '../domain/index.ts';
import type { JobSortField, ListJobsParams } from './types.ts';

/** What every list's parameters have in common; the next href is checked against them. */
export interface ListParams {
  start?: string | undefined;
  limit?: number | undefined;
  status?: string | undefined;
  sort?: { field: string; direction: 'asc' | 'desc' } | undefined;
  properties?: readonly string[] | undefined;
}

/** A job's value of the list's sort field; null when the job does not carry it. */
export type SortKey = number | string | null;

/** The last job served: later pages drop every job at or before it. */
export interface ListMark {
  key: SortKey;
  id: string;
}

/** Where a listing stands: the parameters of the upstream page to (re-)read, and the mark. */
export interface ListPosition<P extends ListParams = ListJobsParams> {
  params: P;
  /** Undefined on the first page. */
  after?: ListMark | undefined;
}

/** An upstream `start` the gateway passes on: an opaque token, no separators, bounded. */
export const START_TOKEN = /^[A-Za-z0-9._:~-]{1,64}$/;

/** The list order when none is asked for: the upstream's default, newest first. */
export const DEFAULT_SORT = { field: 'creationTime', direction: 'desc' } as const;

/** `_links.next.href` of a list body, if it is a non-empty string. */
export function readNextHref(body: unknown): string | undefined {
  const links = field(body, '_links');
  const href = field(field(links, 'next'), 'href');
  return typeof href === 'string' && href !== '' ? href : undefined;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/**
 * The parameters of the page after one asked with `sent`, from the upstream's next href: only
 * its query string is used (never its host or path), and of that only `start`, which must be one
 * bounded token. Undefined (no next page to follow) when there is no usable start, when the href
 * asks for another list (other limit, status, sort or property), or when it would not move on.
 */
export function nextPageParams<P extends ListParams>(
  href: string | undefined,
  sent: P,
): P | undefined {
  if (href === undefined) return undefined;
  const queryAt = href.indexOf('?');
  if (queryAt < 0) return undefined;
  const hashAt = href.indexOf('#', queryAt);
  const query = new URLSearchParams(href.slice(queryAt + 1, hashAt < 0 ? undefined : hashAt));
  const starts = query.getAll('start');
  const start = starts[0];
  if (starts.length !== 1 || start === undefined || !START_TOKEN.test(start)) return undefined;
  if (start === sent.start) return undefined;
  if (!isSameList(query, sent)) return undefined;
  return { ...sent, start };
}

/** True when the href's list parameters, where present, are the ones sent. */
function isSameList(query: URLSearchParams, sent: ListParams): boolean {
  const same = (name: string, value: string | undefined): boolean =>
    !query.has(name) || (query.getAll(name).length === 1 && query.get(name) === value);
  const sort = sent.sort === undefined ? undefined : `${sent.sort.field}:${sent.sort.direction}`;
  const properties = query.getAll('property');
  const sentProperties = sent.properties ?? [];
  return (
    same('limit', sent.limit === undefined ? undefined : String(sent.limit)) &&
    same('status', sent.status) &&
    same('sort', sort) &&
    (properties.length === 0 ||
      (properties.length === sentProperties.length &&
        properties.every((value, index) => value === sentProperties[index])))
  );
}

/** The job's value of `sortField`. */
export function sortKeyOf(job: SegmentJobModel, sortField: JobSortField): SortKey {
  const value = job[sortField];
  return value === undefined ? null : value;
}

/**
 * True when `job` comes at or before `mark` in the list's order: by the sort key in the list's
 * direction, then by id ascending (the embedded service's tie-break). A job or mark without a
 * key cannot be placed: only the marked job itself is dropped then (kept rather than skipped).
 */
export function isAtOrBefore(
  job: SegmentJobModel,
  mark: ListMark,
  sort: { field: JobSortField; direction: 'asc' | 'desc' },
): boolean {
  return isPlacedAtOrBefore({ key: sortKeyOf(job, sort.field), id: job.id }, mark, sort.direction);
}

/** {@link isAtOrBefore} for any listed item, given its sort key and id. */
export function isPlacedAtOrBefore(
  item: ListMark,
  mark: ListMark,
  direction: 'asc' | 'desc',
): boolean {
  if (item.id === mark.id) return true;
  const { key } = item;
  if (key === null || mark.key === null || typeof key !== typeof mark.key) return false;
  if (key !== mark.key) return direction === 'asc' ? key < mark.key : key > mark.key;
  return item.id < mark.id;
}

/**
 * Whether a page that is still short after a call should read on: only while the upstream
 * gave a next page and the call budget of one page is not spent.
 */
export function shouldReadOn(
  served: number,
  want: number,
  hasNext: boolean,
  callsMade: number,
  maxCalls: number,
): boolean {
  return served < want && hasNext && callsMade < maxCalls;
}
