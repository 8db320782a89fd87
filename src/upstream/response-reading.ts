// Reads 2xx answers into jobs: JSON and envelope checks with "expected X, but got Y" errors, each
// job by job-document.ts (an unreadable one costs that item alone), the tenant check on every job,
// and bulk-get entries (a job or the error for its id). Pure: no I/O.
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import {
  type CallDetails,
  type HttpResponse,
  headerValue,
  responseDetails,
} from './attempt-outcome.ts';
import { parseDefinitionDocument } from './definition-document.ts';
import { sanitizeText, summarizeErrorBody } from './error-response.ts';
import { type UpstreamError, UpstreamNotFoundError, UpstreamUnavailableError } from './errors.ts';
import { describeKind, isRecord, type Parsed, parseJobDocument } from './job-document.ts';
import { BULK_GET_PATH, DEFINITIONS_BULK_GET_PATH } from './paths.ts';

/** A job of a list page that could not be read: where it was and why. */
export interface UnreadableChild {
  /** Its index in `children`. */
  index: number;
  /** Its id, when it had one that is safe to show. */
  jobId: string | undefined;
  /** Where and what was wrong, as `children[3].status: expected …, but got …`. */
  problem: string;
}

/** A page of the list endpoint, before its jobs are checked against the tenant. */
export interface ParsedJobList {
  totalCount: number;
  pageSize: number;
  /** The jobs that could be read, in page order. */
  jobs: SegmentJobModel[];
  /** The jobs that could not (no id, an unknown status, a field of the wrong type). */
  unreadable: UnreadableChild[];
  hasNext: boolean;
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

/** An upstream id shown in errors only when it looks like an id (never an arbitrary value). */
export function shownJobId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:@-]{1,128}$/.test(value) ? value : undefined;
}

/**
 * Parses the list envelope (`_page`, `children`, `_links`) and every job in it. The envelope is
 * checked whole first: its problems fail the page. A job that cannot be read is set aside in
 * `unreadable`, so that it hides no other job.
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
  const unreadable: UnreadableChild[] = [];
  for (let index = 0; index < children.length; index++) {
    const child: unknown = children[index];
    const job = parseJobDocument(child, `children[${index}]`);
    if (job.ok) jobs.push(job.value);
    else {
      const jobId = isRecord(child) ? shownJobId(child.id) : undefined;
      unreadable.push({ index, jobId, problem: job.problem });
    }
  }
  const read = jobs.length + unreadable.length;
  return {
    ok: true,
    value: {
      totalCount: typeof totalCount === 'number' ? totalCount : read,
      pageSize: typeof pageSize === 'number' ? pageSize : read,
      jobs,
      unreadable,
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
 * True when a bulk-get item is an error entry rather than a job: Adobe's entry for a missing id
 * is `{requestId, errors: {"404": [...]}}`; other shapes carry `error: {status, ...}`,
 * `error_code` or a numeric `status`. A job's own `errors` is an array and its `status` a word:
 * an entry with a string `status` or `id` is read as a job (and reported for that id alone when
 * it cannot be).
 */
export function isBulkErrorEntry(item: unknown): boolean {
  if (!isRecord(item)) return true;
  if (isRecord(item.errors) || isRecord(item.error)) return true;
  if (typeof item.status === 'number') return true;
  return typeof item.status !== 'string' && typeof item.id !== 'string';
}

/** The HTTP status a bulk-get error entry reports: `status`, `error.status`, or `errors`' keys. */
function entryStatus(item: unknown): number | undefined {
  if (!isRecord(item)) return undefined;
  if (typeof item.status === 'number') return item.status;
  if (isRecord(item.error) && typeof item.error.status === 'number') return item.error.status;
  if (!isRecord(item.errors)) return undefined;
  let highest: number | undefined;
  for (const key of Object.keys(item.errors)) {
    if (!/^\d{3}$/.test(key)) continue;
    const status = Number(key);
    if (highest === undefined || status > highest) highest = status;
  }
  return highest;
}

/** Reads a 2xx JSON body with `parse`; a body that is not JSON or not the shape is an error. */
export function readJson<T>(
  response: HttpResponse,
  details: CallDetails,
  expected: string,
  parse: (value: unknown) => Parsed<T>,
): T {
  let value: unknown;
  try {
    value = bodyValue(response);
  } catch {
    throw new UpstreamUnavailableError(
      `upstream answered ${response.status} to ${details.method} ${details.path} with a body that is not JSON: expected ${expected}, but got ${describeBody(response)}`,
      responseDetails(details, response),
    );
  }
  const parsed = parse(value);
  if (!parsed.ok) {
    throw new UpstreamUnavailableError(
      `upstream answered ${response.status} to ${details.method} ${details.path} with a body that is not ${expected}: ${parsed.problem}`,
      responseDetails(details, response),
    );
  }
  return parsed.value;
}

// A long body was parsed in slices before the read (call-executor.ts); a short one is parsed here.
function bodyValue(response: HttpResponse): unknown {
  const { json } = response;
  if (json === undefined) return JSON.parse(response.text);
  if (!json.isJson) throw json.error;
  return json.value;
}

/**
 * The field that shows a job belongs to another org or sandbox than the tenant's, if any. Ids
 * compare without regard to letter case (IMS org ids are case-insensitive); a job that names no
 * org or sandbox is the caller's: the upstream answered to the caller's credentials.
 */
export function foreignReason(
  job: Pick<SegmentJobModel, 'imsOrgId' | 'sandbox'>,
  tenant: Tenant,
): string | undefined {
  if (job.imsOrgId !== undefined && !sameId(job.imsOrgId, tenant.orgId)) return 'imsOrgId';
  const sandboxName = job.sandbox?.sandboxName;
  if (sandboxName !== undefined && !sameId(sandboxName, tenant.sandboxName)) {
    return 'sandbox.sandboxName';
  }
  return undefined;
}

function sameId(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

/** A job or the error for one id of a bulk-get answer. `onForeign` hears of a dropped job. */
export function bulkItem(
  tenant: Tenant,
  id: string,
  item: unknown,
  response: HttpResponse,
  onForeign: (field: string) => void,
): SegmentJobModel | UpstreamError {
  const details = responseDetails({ method: 'POST', path: BULK_GET_PATH }, response);
  if (item === undefined || item === null) {
    return new UpstreamNotFoundError(
      `upstream bulk-get has no entry for job ${JSON.stringify(id)}`,
      details,
    );
  }
  if (isBulkErrorEntry(item)) return bulkErrorEntry(id, item, details);
  const parsed = parseJobDocument(item, `results[${JSON.stringify(id)}]`);
  if (!parsed.ok) {
    return new UpstreamUnavailableError(
      `upstream bulk-get entry for job ${JSON.stringify(id)} is not a segment job: ${parsed.problem}`,
      details,
    );
  }
  if (parsed.value.id !== id) {
    return new UpstreamUnavailableError(
      `upstream bulk-get entry for job ${JSON.stringify(id)}: expected a job with that id, but got another id`,
      details,
    );
  }
  const reason = foreignReason(parsed.value, tenant);
  if (reason !== undefined) {
    onForeign(reason);
    return new UpstreamNotFoundError(
      `upstream has no job ${JSON.stringify(id)} in this org and sandbox`,
      details,
    );
  }
  return parsed.value;
}

export function bulkErrorEntry(
  id: string,
  item: unknown,
  details: {
    method: string;
    path: string;
    status?: number | undefined;
    requestId?: string | undefined;
  },
  noun = 'job',
): UpstreamError {
  const summary = summarizeErrorBody(item);
  const status = entryStatus(item);
  const said = summary.title === undefined ? '' : `: ${summary.title}`;
  const entryDetails = {
    ...details,
    upstreamCode: summary.upstreamCode,
    requestId: summary.requestId ?? details.requestId,
  };
  // An entry that reports a server fault (or throttling) is no proof that the job does not exist.
  if (status !== undefined && (status >= 500 || status === 429)) {
    return new UpstreamUnavailableError(
      `upstream bulk-get could not read ${noun} ${JSON.stringify(id)}${said}`,
      entryDetails,
    );
  }
  return new UpstreamNotFoundError(
    `upstream bulk-get has no ${noun} ${JSON.stringify(id)}${said}`,
    entryDetails,
  );
}

/** A definition or the error for one id of a definitions bulk-get answer. */
export function definitionBulkItem(
  tenant: Tenant,
  id: string,
  item: unknown,
  response: HttpResponse,
  onForeign: (field: string) => void,
): SegmentDefinitionModel | UpstreamError {
  const details = responseDetails({ method: 'POST', path: DEFINITIONS_BULK_GET_PATH }, response);
  const noun = 'segment definition';
  if (item === undefined || item === null) {
    return new UpstreamNotFoundError(
      `upstream bulk-get has no entry for ${noun} ${JSON.stringify(id)}`,
      details,
    );
  }
  // A definition has no status word: an entry without a string id is an error entry.
  if (
    isRecord(item) &&
    (isRecord(item.errors) || isRecord(item.error) || typeof item.id !== 'string')
  ) {
    return bulkErrorEntry(id, item, details, noun);
  }
  const parsed = parseDefinitionDocument(item, `results[${JSON.stringify(id)}]`);
  if (!parsed.ok) {
    return new UpstreamUnavailableError(
      `upstream bulk-get entry for ${noun} ${JSON.stringify(id)} is not a ${noun}: ${parsed.problem}`,
      details,
    );
  }
  if (parsed.value.id !== id) {
    return new UpstreamUnavailableError(
      `upstream bulk-get entry for ${noun} ${JSON.stringify(id)}: expected one with that id, but got another id`,
      details,
    );
  }
  const reason = foreignReason(parsed.value, tenant);
  if (reason !== undefined) {
    onForeign(reason);
    return new UpstreamNotFoundError(
      `upstream has no ${noun} ${JSON.stringify(id)} in this org and sandbox`,
      details,
    );
  }
  return parsed.value;
}

function describeBody(response: HttpResponse): string {
  const type = headerValue(response.headers, 'content-type');
  const shownType =
    type !== undefined && /^[\w.+/;= -]{1,100}$/.test(type) ? type : 'no known content type';
  if (response.text === '') return `an empty body (${shownType})`;
  return `${Buffer.byteLength(response.text)} bytes of ${sanitizeText(shownType)}`;
}
