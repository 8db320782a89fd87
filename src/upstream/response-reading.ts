// Reads 2xx answers into jobs: JSON and shape checks with "expected X, but got Y" errors, the
// tenant check on every job, and bulk-get entries (a job or the error for its id). Pure: no I/O.
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import {
  type CallDetails,
  type HttpResponse,
  headerValue,
  responseDetails,
} from './attempt-outcome.ts';
import { sanitizeText, summarizeErrorBody } from './error-response.ts';
import { type UpstreamError, UpstreamNotFoundError, UpstreamUnavailableError } from './errors.ts';
import { BULK_GET_PATH } from './paths.ts';
import { looksLikeJob, type Parsed, parseJob } from './schemas.ts';

/** Reads a 2xx JSON body with `parse`; a body that is not JSON or not the shape is an error. */
export function readJson<T>(
  response: HttpResponse,
  details: CallDetails,
  expected: string,
  parse: (value: unknown) => Parsed<T>,
): T {
  let value: unknown;
  try {
    value = JSON.parse(response.text);
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

/** The field that shows a job belongs to another org or sandbox than the tenant's, if any. */
export function foreignReason(job: SegmentJobModel, tenant: Tenant): string | undefined {
  if (job.imsOrgId !== tenant.orgId) return 'imsOrgId';
  if (job.sandbox !== undefined && job.sandbox.sandboxName !== tenant.sandboxName) {
    return 'sandbox.sandboxName';
  }
  return undefined;
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
  if (!looksLikeJob(item)) return bulkErrorEntry(id, item, details);
  const parsed = parseJob(item, `results[${JSON.stringify(id)}]`);
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

function bulkErrorEntry(
  id: string,
  item: unknown,
  details: {
    method: string;
    path: string;
    status?: number | undefined;
    requestId?: string | undefined;
  },
): UpstreamError {
  const summary = summarizeErrorBody(item);
  const entryStatus =
    typeof item === 'object' && item !== null && 'status' in item ? item.status : undefined;
  const said = summary.title === undefined ? '' : `: ${summary.title}`;
  const entryDetails = {
    ...details,
    upstreamCode: summary.upstreamCode,
    requestId: summary.requestId ?? details.requestId,
  };
  // An entry that reports a server fault is not proof that the job does not exist.
  if (typeof entryStatus === 'number' && entryStatus >= 500) {
    return new UpstreamUnavailableError(
      `upstream bulk-get could not read job ${JSON.stringify(id)}${said}`,
      entryDetails,
    );
  }
  return new UpstreamNotFoundError(
    `upstream bulk-get has no job ${JSON.stringify(id)}${said}`,
    entryDetails,
  );
}

function describeBody(response: HttpResponse): string {
  const type = headerValue(response.headers, 'content-type');
  const shownType =
    type !== undefined && /^[\w.+/;= -]{1,100}$/.test(type) ? type : 'no known content type';
  if (response.text === '') return `an empty body (${shownType})`;
  return `${Buffer.byteLength(response.text)} bytes of ${sanitizeText(shownType)}`;
}
