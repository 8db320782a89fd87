// The only code that speaks HTTP to the Segmentation Service: one function per endpoint, with
// timeouts, retries of idempotent calls, a per-tenant circuit breaker and typed errors. It sends
// the tenant's four credential headers and nothing a client sent.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import { errorFromResponse, safeId, sanitizeText, summarizeErrorBody } from './error-response.ts';
import {
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamOutcomeUnknownError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.ts';
import { decideRetry, isRetryableStatus, parseRetryAfterMs } from './retry-policy.ts';
import {
  bulkResultOf,
  looksLikeJob,
  type Parsed,
  parseBulkResults,
  parseJob,
  parseJobList,
} from './schemas.ts';
import type {
  BulkGetResult,
  CallOptions,
  CreateJobRequest,
  JobPage,
  ListJobsParams,
  UpstreamCallEvent,
  UpstreamClient,
} from './types.ts';

/** The subset of a pino logger the client uses. */
export interface UpstreamLogger {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

/** Options of {@link createUpstreamClient}; they map 1:1 to `UpstreamSettings`. */
export interface UpstreamClientOptions {
  /** Base URL ending before `/segment/jobs`, e.g. `https://platform.adobe.io/data/core/ups`. */
  baseUrl: string;
  /** Per attempt, from sending the request to reading the whole body. @default 10000 */
  timeoutMs?: number | undefined;
  /** Attempts in total for idempotent calls (GET, bulk-get, DELETE). @default 3 */
  maxAttempts?: number | undefined;
  /** Backoff cap of the first retry; doubles per retry. @default 200 */
  retryBaseMs?: number | undefined;
  /** Longest wait between attempts, and the longest `Retry-After` worth waiting for. @default 5000 */
  retryMaxMs?: number | undefined;
  /** Keep-alive connections to the upstream origin. @default 64 */
  connections?: number | undefined;
  /** Consecutive failed exchanges (5xx, network, timeout) of one tenant that open its circuit. @default 5 */
  breakerThreshold?: number | undefined;
  /** How long an open circuit fails fast before one probe goes through. @default 10000 */
  breakerCooldownMs?: number | undefined;
  /** Ids per bulk-get POST (the upstream accepts at most 100). @default 100 */
  bulkGetMaxIds?: number | undefined;
  /** Observes every HTTP exchange of every call. */
  onCall?: ((event: UpstreamCallEvent) => void) | undefined;
  /** Source of jitter in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
  /** Waits between attempts; resolves early when `signal` aborts. @default a cleared setTimeout */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Monotonic clock for the circuit breaker, in ms. @default performance.now */
  now?: (() => number) | undefined;
  logger?: UpstreamLogger | undefined;
  /** @default 'segment-jobs-gateway' */
  userAgent?: string | undefined;
}

const JOBS_PATH = '/segment/jobs';
const BULK_GET_PATH = '/segment/jobs/bulk-get';

// undici refuses a request it cannot send as given (e.g. a header value with a line break).
const INVALID_REQUEST_CODE = 'UND_ERR_INVALID_ARG';

// Failures before the request could have reached the upstream: safe to report as "not created".
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

type AttemptOutcome =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; text: string }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'network'; code: string | undefined; isConnectFailure: boolean; error: unknown };

interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  sentRequestId: string;
}

interface CallSpec<T> {
  tenant: Tenant;
  method: 'GET' | 'POST' | 'DELETE';
  /** Below the base URL, without query. */
  path: string;
  query?: URLSearchParams | undefined;
  body?: unknown;
  /** GET, bulk-get and DELETE: safe to send again. */
  isIdempotent: boolean;
  options: CallOptions | undefined;
  /** Reads a 2xx response. */
  read: (response: HttpResponse) => T;
}

/** Creates the upstream client. Call `close()` to release its connections. */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 5_000;
  const bulkGetMaxIds = options.bulkGetMaxIds ?? 100;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepFor;
  const userAgent = options.userAgent ?? 'segment-jobs-gateway';
  const logger = options.logger;

  const base = new URL(options.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, {
    connections: options.connections ?? 64,
    keepAliveTimeout: 30_000,
    connect: { timeout: timeoutMs },
  });
  const breaker = createCircuitBreaker({
    threshold: options.breakerThreshold ?? 5,
    cooldownMs: options.breakerCooldownMs ?? 10_000,
    now: options.now,
  });

  function report(event: UpstreamCallEvent, callOptions: CallOptions | undefined): void {
    options.onCall?.(event);
    callOptions?.onCall?.(event);
  }

  async function exchange(
    method: string,
    pathWithQuery: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<AttemptOutcome> {
    const controller = new AbortController();
    let isTimedOut = false;
    const timer = setTimeout(() => {
      isTimedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await pool.request({
        path: `${basePath}${pathWithQuery}`,
        method: method as 'GET',
        headers,
        body: body ?? null,
        signal: controller.signal,
      });
      const text = await response.body.text();
      return { kind: 'response', status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      if (isTimedOut) return { kind: 'timeout' };
      if (isAborted(signal)) return { kind: 'aborted' };
      const code = errorCode(error);
      return {
        kind: 'network',
        code,
        isConnectFailure: code !== undefined && CONNECT_ERROR_CODES.has(code),
        error,
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function call<T>(spec: CallSpec<T>): Promise<T> {
    const { tenant, method, path } = spec;
    const signal = spec.options?.signal;
    const isCreate = !spec.isIdempotent;
    const details = { method, path };
    if (isAborted(signal)) throw abortedError(details, false);

    let authorization = await authorize(tenant, details, false);
    let hasRenewed = false;
    let attempt = 0;
    let exchangeCount = 0;
    const pathWithQuery =
      spec.query === undefined || spec.query.size === 0 ? path : `${path}?${spec.query}`;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);

    for (;;) {
      attempt += 1;
      exchangeCount += 1;
      const admission = breaker.admit(tenant.key);
      if (!admission.allowed) {
        throw new UpstreamUnavailableError(
          `circuit open for this tenant after ${admission.failures} consecutive upstream failures; ${method} ${path} not sent, retry after ${admission.retryAfterMs} ms`,
          details,
        );
      }
      const sentRequestId = randomUUID();
      const headers = requestHeaders(tenant, authorization, sentRequestId, body !== undefined);
      const startedMs = performance.now();
      const outcome = await exchange(method, pathWithQuery, headers, body, signal);
      report(
        {
          tenantKey: tenant.key,
          method,
          path,
          status: outcome.kind === 'response' ? outcome.status : undefined,
          attempt: exchangeCount,
          durationMs: performance.now() - startedMs,
        },
        spec.options,
      );
      recordInBreaker(tenant.key, outcome, admission.isProbe);

      let failure: UpstreamError;
      let retryAfterMs: number | undefined;
      if (outcome.kind === 'response') {
        const response = { ...outcome, sentRequestId };
        if (outcome.status >= 200 && outcome.status < 300) return spec.read(response);
        if (outcome.status === 401 && tenant.canRenew && !hasRenewed) {
          // A fresh token may fix it; a 401 means nothing was done, so even a create may resend.
          hasRenewed = true;
          attempt -= 1;
          authorization = await authorize(tenant, details, true);
          continue;
        }
        retryAfterMs = parseRetryAfterMs(headerValue(outcome.headers, 'retry-after'), Date.now());
        failure = httpError(spec, response, authorization, retryAfterMs);
        if (!spec.isIdempotent || !isRetryableStatus(outcome.status)) throw failure;
      } else if (outcome.kind === 'aborted') {
        throw abortedError(details, isCreate);
      } else if (outcome.kind === 'network' && outcome.code === INVALID_REQUEST_CODE) {
        // Nothing was sent and sending again cannot help: a credential holds bytes HTTP forbids.
        throw new UpstreamUnavailableError(
          `could not send ${method} ${path}: a header value (credentials from the tenant) holds characters HTTP does not allow`,
          { ...details, cause: outcome.error },
        );
      } else {
        failure = transportError(outcome, details, sentRequestId, isCreate);
        if (isCreate) throw failure;
      }

      const decision = decideRetry({
        failedAttempt: attempt,
        maxAttempts,
        retryAfterMs,
        retryBaseMs,
        retryMaxMs,
        random,
      });
      if (!decision.retry) throw failure;
      logger?.debug(
        { tenantKey: tenant.key, method, path, attempt, delayMs: decision.delayMs },
        'retrying upstream call',
      );
      await sleep(decision.delayMs, signal);
      if (isAborted(signal)) throw abortedError(details, false);
    }
  }

  function recordInBreaker(key: string, outcome: AttemptOutcome, isProbe: boolean): void {
    const isNeutral =
      outcome.kind === 'aborted' ||
      (outcome.kind === 'network' && outcome.code === INVALID_REQUEST_CODE);
    if (isNeutral) breaker.recordNeutral(key, isProbe);
    else if (outcome.kind === 'response' && outcome.status < 500) breaker.recordSuccess(key);
    else breaker.recordFailure(key);
  }

  function requestHeaders(
    tenant: Tenant,
    authorization: string,
    requestId: string,
    hasBody: boolean,
  ): Record<string, string> {
    const headers: Record<string, string> = {
      authorization,
      'x-api-key': tenant.apiKey,
      'x-gw-ims-org-id': tenant.orgId,
      'x-sandbox-name': tenant.sandboxName,
      accept: 'application/json',
      'x-request-id': requestId,
      'user-agent': userAgent,
    };
    if (hasBody) headers['content-type'] = 'application/json';
    return headers;
  }

  /** Reads a 2xx JSON body with `parse`; a body that is not JSON or not the shape is an error. */
  function readJson<T>(
    response: HttpResponse,
    details: { method: string; path: string },
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

  function foreignReason(job: SegmentJobModel, tenant: Tenant): string | undefined {
    if (job.imsOrgId !== tenant.orgId) return 'imsOrgId';
    if (job.sandbox !== undefined && job.sandbox.sandboxName !== tenant.sandboxName) {
      return 'sandbox.sandboxName';
    }
    return undefined;
  }

  function warnForeign(tenant: Tenant, path: string, jobId: string, field: string): void {
    logger?.warn(
      { tenantKey: tenant.key, path, jobId, mismatch: field },
      'upstream returned a job of another org or sandbox; dropped',
    );
  }

  async function listJobs(
    tenant: Tenant,
    params: ListJobsParams,
    callOptions?: CallOptions,
  ): Promise<JobPage> {
    const query = new URLSearchParams();
    if (params.start !== undefined) query.set('start', String(params.start));
    if (params.limit !== undefined) query.set('limit', String(params.limit));
    if (params.status !== undefined) query.set('status', params.status);
    if (params.sort !== undefined)
      query.set('sort', `${params.sort.field}:${params.sort.direction}`);
    for (const property of params.properties ?? []) query.append('property', property);
    const details = { method: 'GET', path: JOBS_PATH };
    return call({
      tenant,
      method: 'GET',
      path: JOBS_PATH,
      query,
      isIdempotent: true,
      options: callOptions,
      read: (response) => {
        const page = readJson(response, details, 'a job list', parseJobList);
        const jobs = page.jobs.filter((job) => {
          const reason = foreignReason(job, tenant);
          if (reason !== undefined) warnForeign(tenant, JOBS_PATH, job.id, reason);
          return reason === undefined;
        });
        return {
          totalCount: page.totalCount,
          pageSize: page.pageSize,
          jobs,
          hasNext: page.hasNext,
        };
      },
    });
  }

  async function getJob(
    tenant: Tenant,
    id: string,
    callOptions?: CallOptions,
  ): Promise<SegmentJobModel> {
    const path = `${JOBS_PATH}/${encodeURIComponent(id)}`;
    const details = { method: 'GET', path };
    return call({
      tenant,
      method: 'GET',
      path,
      isIdempotent: true,
      options: callOptions,
      read: (response) => {
        const job = readJson(response, details, 'a segment job', (value) => parseJob(value));
        const reason = foreignReason(job, tenant);
        if (reason !== undefined) {
          warnForeign(tenant, path, job.id, reason);
          throw new UpstreamNotFoundError(
            `upstream has no job ${JSON.stringify(id)} in this org and sandbox`,
            responseDetails(details, response),
          );
        }
        return job;
      },
    });
  }

  async function bulkGetJobs(
    tenant: Tenant,
    ids: readonly string[],
    callOptions?: CallOptions,
  ): Promise<BulkGetResult> {
    const unique = [...new Set(ids)];
    const result: BulkGetResult = new Map();
    if (unique.length === 0) return result;
    const chunks: string[][] = [];
    for (let index = 0; index < unique.length; index += bulkGetMaxIds) {
      chunks.push(unique.slice(index, index + bulkGetMaxIds));
    }
    // A failed chunk fails the whole call; stop the others rather than wait for them.
    const siblings = new AbortController();
    const callerSignal = callOptions?.signal;
    const onCallerAbort = () => siblings.abort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const chunkOptions: CallOptions = { signal: siblings.signal, onCall: callOptions?.onCall };
      if (isAborted(callerSignal)) siblings.abort();
      const answers = await Promise.all(
        chunks.map((chunk) =>
          bulkGetChunk(tenant, chunk, chunkOptions).catch((error: unknown) => {
            siblings.abort();
            throw error;
          }),
        ),
      );
      for (const answer of answers) {
        for (const [id, item] of answer) result.set(id, item);
      }
      // One entry per requested id, in the order first asked.
      const ordered: BulkGetResult = new Map();
      for (const id of unique) {
        const item = result.get(id);
        if (item !== undefined) ordered.set(id, item);
      }
      return ordered;
    } finally {
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  function bulkGetChunk(
    tenant: Tenant,
    ids: readonly string[],
    callOptions: CallOptions,
  ): Promise<BulkGetResult> {
    const details = { method: 'POST', path: BULK_GET_PATH };
    return call({
      tenant,
      method: 'POST',
      path: BULK_GET_PATH,
      body: { ids: ids.map((id) => ({ id })) },
      isIdempotent: true,
      options: callOptions,
      read: (response) => {
        const results = readJson(
          response,
          details,
          'a multi-status body ({results: {...}})',
          parseBulkResults,
        );
        const out: BulkGetResult = new Map();
        for (const id of ids) {
          out.set(id, bulkItem(tenant, id, bulkResultOf(results, id), response));
        }
        return out;
      },
    });
  }

  function bulkItem(
    tenant: Tenant,
    id: string,
    item: unknown,
    response: HttpResponse,
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
      warnForeign(tenant, BULK_GET_PATH, id, reason);
      return new UpstreamNotFoundError(
        `upstream has no job ${JSON.stringify(id)} in this org and sandbox`,
        details,
      );
    }
    return parsed.value;
  }

  async function createJob(
    tenant: Tenant,
    request: CreateJobRequest,
    callOptions?: CallOptions,
  ): Promise<SegmentJobModel> {
    const body =
      request.kind === 'all'
        ? { schema: { name: request.schemaName }, segments: [{ segmentId: '*' }] }
        : request.segmentIds.map((segmentId) => ({ segmentId }));
    const details = { method: 'POST', path: JOBS_PATH };
    return call({
      tenant,
      method: 'POST',
      path: JOBS_PATH,
      body,
      isIdempotent: false,
      options: callOptions,
      read: (response) => {
        const job = readJson(response, details, 'a segment job', (value) => parseJob(value));
        if (foreignReason(job, tenant) !== undefined) {
          throw new UpstreamOutcomeUnknownError(
            `upstream answered ${details.method} ${details.path} with a job of another org or sandbox: the job may or may not have been created`,
            responseDetails(details, response),
          );
        }
        return job;
      },
    });
  }

  async function cancelJob(tenant: Tenant, id: string, callOptions?: CallOptions): Promise<void> {
    const path = `${JOBS_PATH}/${encodeURIComponent(id)}`;
    await call({
      tenant,
      method: 'DELETE',
      path,
      isIdempotent: true,
      options: callOptions,
      read: () => undefined,
    });
  }

  async function ping(callOptions?: CallOptions): Promise<void> {
    const details = { method: 'GET', path: JOBS_PATH };
    const signal = callOptions?.signal;
    if (isAborted(signal)) throw abortedError(details, false);
    const sentRequestId = randomUUID();
    const startedMs = performance.now();
    // No credentials: any HTTP answer, even 401 or 403, shows the upstream is there.
    const outcome = await exchange(
      'GET',
      `${JOBS_PATH}?limit=1`,
      { accept: 'application/json', 'x-request-id': sentRequestId, 'user-agent': userAgent },
      undefined,
      signal,
    );
    report(
      {
        tenantKey: '',
        method: 'GET',
        path: JOBS_PATH,
        status: outcome.kind === 'response' ? outcome.status : undefined,
        attempt: 1,
        durationMs: performance.now() - startedMs,
      },
      callOptions,
    );
    if (outcome.kind === 'response') return;
    if (outcome.kind === 'aborted') throw abortedError(details, false);
    throw transportError(outcome, details, sentRequestId, false);
  }

  function transportError(
    outcome: Exclude<AttemptOutcome, { kind: 'response' } | { kind: 'aborted' }>,
    details: { method: string; path: string },
    sentRequestId: string,
    isCreate: boolean,
  ): UpstreamError {
    const withId = { ...details, requestId: sentRequestId };
    if (outcome.kind === 'timeout') {
      if (isCreate) {
        return new UpstreamOutcomeUnknownError(
          `the upstream did not answer ${details.method} ${details.path} within ${timeoutMs} ms: the job may or may not have been created; list jobs before creating it again`,
          withId,
        );
      }
      return new UpstreamTimeoutError(
        `the upstream did not answer ${details.method} ${details.path} within ${timeoutMs} ms`,
        withId,
      );
    }
    const what = outcome.code === undefined ? 'a network error' : `network error ${outcome.code}`;
    if (isCreate && !outcome.isConnectFailure) {
      return new UpstreamOutcomeUnknownError(
        `the upstream's answer to ${details.method} ${details.path} was lost (${what}): the job may or may not have been created; list jobs before creating it again`,
        { ...withId, cause: outcome.error },
      );
    }
    return new UpstreamUnavailableError(
      `could not reach the upstream for ${details.method} ${details.path} (${what})`,
      { ...withId, cause: outcome.error },
    );
  }

  function httpError(
    spec: CallSpec<unknown>,
    response: HttpResponse,
    authorization: string,
    retryAfterMs: number | undefined,
  ): UpstreamError {
    const error = errorFromResponse({
      method: spec.method,
      path: spec.path,
      status: response.status,
      headerRequestId: headerValue(response.headers, 'x-request-id'),
      sentRequestId: response.sentRequestId,
      body: tryParseJson(response.text),
      retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
      secrets: [authorization, authorization.replace(/^bearer\s+/i, ''), spec.tenant.apiKey],
    });
    // A gateway in front of the upstream gave up waiting: the create may have gone through.
    if (!spec.isIdempotent && (response.status === 502 || response.status === 504)) {
      return new UpstreamOutcomeUnknownError(
        `${error.message}: the job may or may not have been created; list jobs before creating it again`,
        responseDetails(spec, response),
      );
    }
    return error;
  }

  return {
    listJobs,
    getJob,
    bulkGetJobs,
    createJob,
    cancelJob,
    ping,
    close: async () => {
      await pool.close();
    },
  };
}

/** Fetches the tenant's Authorization value; failures become upstream errors. */
async function authorize(
  tenant: Tenant,
  details: { method: string; path: string },
  forceRefresh: boolean,
): Promise<string> {
  try {
    return await tenant.authorization(forceRefresh ? { forceRefresh: true } : undefined);
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamUnavailableError(
      `could not obtain credentials for ${details.method} ${details.path}`,
      { ...details, cause: error },
    );
  }
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

function abortedError(details: { method: string; path: string }, isCreate: boolean): UpstreamError {
  if (isCreate) {
    return new UpstreamOutcomeUnknownError(
      `${details.method} ${details.path} was aborted by the caller after it was sent: the job may or may not have been created`,
      details,
    );
  }
  return new UpstreamUnavailableError(
    `${details.method} ${details.path} was aborted by the caller`,
    details,
  );
}

function responseDetails(
  details: { method: string; path: string },
  response: HttpResponse,
): { method: string; path: string; status: number; requestId: string | undefined } {
  return {
    method: details.method,
    path: details.path,
    status: response.status,
    requestId: safeId(headerValue(response.headers, 'x-request-id')) ?? response.sentRequestId,
  };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function tryParseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeBody(response: HttpResponse): string {
  const type = headerValue(response.headers, 'content-type');
  const shownType =
    type !== undefined && /^[\w.+/;= -]{1,100}$/.test(type) ? type : 'no known content type';
  if (response.text === '') return `an empty body (${shownType})`;
  return `${Buffer.byteLength(response.text)} bytes of ${sanitizeText(shownType)}`;
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 4; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

// A function, not a property read, so that TypeScript does not keep a narrowing across awaits.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (isAborted(signal) || ms <= 0) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
