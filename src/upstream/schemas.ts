// The shapes the Segmentation Service answers with, checked at the edge in one pass each: list
// pages and bulk-get envelopes here, each job by job-document.ts. Tolerant of unknown fields
// (dropped), nulls and the documented oddities; a problem never echoes an upstream value.
import type { SegmentJobModel } from '../domain/index.ts';
import { describeKind, isRecord, type Parsed, parseJobDocument } from './job-document.ts';

export { isRecord, type Parsed } from './job-document.ts';

/** A page of the list endpoint, before its jobs are checked against the tenant. */
export interface ParsedJobList {
  totalCount: number;
  pageSize: number;
  jobs: SegmentJobModel[];
  hasNext: boolean;
}

/** Parses one job. `at` prefixes the problem's path (e.g. `children[3]`). */
export function parseJob(value: unknown, at = ''): Parsed<SegmentJobModel> {
  return parseJobDocument(value, at);
}

function problem(path: string, expected: string, value: unknown): { ok: false; problem: string } {
  return { ok: false, problem: `${path}: expected ${expected}, but got ${describeKind(value)}` };
}

function isAbsent(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

function isOptionalNumber(value: unknown): boolean {
  return isAbsent(value) || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Parses the list envelope (`_page`, `children`, `_links`) and every job in it. The envelope is
 * checked whole before any job, so its problems are reported first.
 */
export function parseJobList(value: unknown): Parsed<ParsedJobList> {
  if (!isRecord(value)) return problem('body', 'a job list ({_page, children, _links})', value);
  const page = value._page;
  let totalCount: unknown;
  let pageSize: unknown;
  if (!isAbsent(page)) {
    if (!isRecord(page)) return problem('_page', 'an object', page);
    totalCount = page.totalCount;
    if (!isOptionalNumber(totalCount)) return problem('_page.totalCount', 'a number', totalCount);
    pageSize = page.pageSize;
    if (!isOptionalNumber(pageSize)) return problem('_page.pageSize', 'a number', pageSize);
  }
  const children = value.children;
  if (!Array.isArray(children)) return problem('children', 'an array', children);
  const href = nextHref(value._links);
  if (typeof href === 'object') return href;
  const jobs: SegmentJobModel[] = [];
  for (let index = 0; index < children.length; index++) {
    const job = parseJobDocument(children[index], `children[${index}]`);
    if (!job.ok) return job;
    jobs.push(job.value);
  }
  return {
    ok: true,
    value: {
      totalCount: typeof totalCount === 'number' ? totalCount : jobs.length,
      pageSize: typeof pageSize === 'number' ? pageSize : jobs.length,
      jobs,
      hasNext: href !== undefined && href !== '',
    },
  };
}

// `_links.next.href`, every level optional; a problem when a level has the wrong type.
function nextHref(links: unknown): string | undefined | { ok: false; problem: string } {
  if (isAbsent(links)) return undefined;
  if (!isRecord(links)) return problem('_links', 'an object', links);
  const next = links.next;
  if (isAbsent(next)) return undefined;
  if (!isRecord(next)) return problem('_links.next', 'an object', next);
  const href = next.href;
  if (isAbsent(href)) return undefined;
  if (typeof href !== 'string') return problem('_links.next.href', 'a string', href);
  return href;
}

/**
 * Parses the bulk-get envelope `{results: {<id>: item}}`; items are classified by the caller.
 * The results object is returned as parsed, not copied: read it with {@link bulkResultOf}.
 */
export function parseBulkResults(value: unknown): Parsed<Record<string, unknown>> {
  if (!isRecord(value)) return problem('body', 'a multi-status body ({results: {...}})', value);
  const results = value.results;
  if (!isRecord(results)) return problem('results', 'an object', results);
  return { ok: true, value: results };
}

/** The bulk-get item for `id`: only an own entry counts, so `constructor` is not an item. */
export function bulkResultOf(results: Record<string, unknown>, id: string): unknown {
  return Object.hasOwn(results, id) ? results[id] : undefined;
}

/**
 * True when a bulk-get item is a job rather than an error entry: a job always carries a string
 * `id` and a string `status`; error entries carry a numeric status or error fields instead.
 */
export function looksLikeJob(item: unknown): boolean {
  if (!isRecord(item)) return false;
  return typeof item.id === 'string' && typeof item.status === 'string';
}
