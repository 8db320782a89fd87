// Runs one upstream call to its end: credentials, the per-tenant circuit breaker, attempts over
// the exchange, token renewal on 401, retries of idempotent calls and typed errors. Endpoint
// shapes are not its business: a call spec says what to send and how to read a 2xx.
import { randomUUID } from 'node:crypto';
import type { Tenant } from '../domain/index.ts';
import {
  abortedError,
  answerStep,
  breakerVerdict,
  type CallDetails,
  type HttpResponse,
  headerValue,
  httpError,
  INVALID_REQUEST_CODE,
  secretsOf,
  slotError,
  tooLargeError,
  transportError,
} from './attempt-outcome.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import { UpstreamError, UpstreamUnavailableError } from './errors.ts';
import { type HttpExchange, isAborted } from './http-exchange.ts';
import { withQuery } from './paths.ts';
import { decideRetry, isRetryableStatus, parseRetryAfterMs } from './retry-policy.ts';
import { parseLongBody, SLICED_BODY_MIN_CHARS } from './sliced-json.ts';
import type { CallOptions, UpstreamCallEvent } from './types.ts';
import { endUpstreamSpan, startUpstreamSpan, traceHeaders } from './upstream-span.ts';

/** The subset of a pino logger the client uses. */
export interface UpstreamLogger {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export interface CallSpec<T> {
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

export interface CallExecutorOptions {
  exchange: HttpExchange['exchange'];
  breaker: CircuitBreaker;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** The longest `Retry-After` believed; longer ones read as this. */
  retryAfterMaxMs: number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  userAgent: string;
  logger: UpstreamLogger | undefined;
  onCall: ((event: UpstreamCallEvent) => void) | undefined;
}

export interface CallExecutor {
  call<T>(spec: CallSpec<T>): Promise<T>;
  /** One uncredentialed GET: resolves on any HTTP answer. */
  ping(options?: CallOptions): Promise<void>;
}

export function createCallExecutor(options: CallExecutorOptions): CallExecutor {
  const { exchange, breaker, timeoutMs, userAgent, logger } = options;

  function report(event: UpstreamCallEvent, callOptions: CallOptions | undefined): void {
    options.onCall?.(event);
    callOptions?.onCall?.(event);
  }

  async function call<T>(spec: CallSpec<T>): Promise<T> {
    const { tenant, method, path } = spec;
    const signal = spec.options?.signal;
    const isCreate = !spec.isIdempotent;
    const details: CallDetails = { method, path };
    if (isAborted(signal)) throw abortedError(details, false);

    let authorization = await authorize(tenant, details, false);
    let hasRenewed = false;
    let attempt = 0;
    let exchangeCount = 0;
    const pathWithQuery = withQuery(path, spec.query);
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
      const span = startUpstreamSpan(method, path, exchangeCount);
      const headers = {
        ...requestHeaders(tenant, authorization, sentRequestId, body !== undefined, userAgent),
        ...traceHeaders(span),
      };
      const startedMs = performance.now();
      const outcome = await exchange({
        method,
        pathWithQuery,
        headers,
        body,
        signal,
        limitKey: tenant.key,
      });
      endUpstreamSpan(
        span,
        outcome.kind === 'response' || outcome.kind === 'too-large' ? outcome.status : undefined,
        outcome.kind,
      );
      report(
        {
          tenantKey: tenant.key,
          method,
          path,
          status:
            outcome.kind === 'response' || outcome.kind === 'too-large'
              ? outcome.status
              : undefined,
          attempt: exchangeCount,
          durationMs: performance.now() - startedMs,
        },
        spec.options,
      );
      const verdict = breakerVerdict(outcome);
      if (verdict === 'neutral') breaker.recordNeutral(tenant.key, admission.isProbe);
      else if (verdict === 'success') breaker.recordSuccess(tenant.key);
      else breaker.recordFailure(tenant.key);

      let failure: UpstreamError;
      let retryAfterMs: number | undefined;
      if (outcome.kind === 'response') {
        const response = { ...outcome, sentRequestId };
        const step = answerStep({
          status: outcome.status,
          isIdempotent: spec.isIdempotent,
          canRenew: tenant.canRenew,
          hasRenewed,
          isRetryableStatus: isRetryableStatus(outcome.status),
        });
        if (step === 'read') {
          if (response.text.length <= SLICED_BODY_MIN_CHARS) return spec.read(response);
          // A long body is parsed in slices, so that the loop keeps turning for other tenants.
          const json = await parseLongBody(response.text, signal);
          if (isAborted(signal)) throw abortedError(details, isCreate);
          return spec.read({ ...response, json });
        }
        if (step === 'renew-token') {
          hasRenewed = true;
          attempt -= 1;
          authorization = await authorize(tenant, details, true);
          continue;
        }
        retryAfterMs = parseRetryAfterMs(
          headerValue(outcome.headers, 'retry-after'),
          Date.now(),
          options.retryAfterMaxMs,
        );
        failure = httpError(
          {
            method,
            path,
            isIdempotent: spec.isIdempotent,
            secrets: secretsOf(authorization, tenant.apiKey),
          },
          response,
          retryAfterMs,
        );
        if (step === 'fail') throw failure;
      } else if (outcome.kind === 'queue-full' || outcome.kind === 'queue-timeout') {
        // Not sent: waiting in the queue again would only add to the tenant's backlog.
        throw slotError(outcome, details, timeoutMs);
      } else if (outcome.kind === 'too-large') {
        // Asking again would read as much again: the answer is what it is.
        throw tooLargeError(outcome, details, sentRequestId);
      } else if (outcome.kind === 'aborted') {
        throw abortedError(details, isCreate);
      } else if (outcome.kind === 'network' && outcome.code === INVALID_REQUEST_CODE) {
        // Nothing was sent and sending again cannot help: a credential holds bytes HTTP forbids.
        throw new UpstreamUnavailableError(
          `could not send ${method} ${path}: a header value (credentials from the tenant) holds characters HTTP does not allow`,
          { ...details, cause: outcome.error },
        );
      } else {
        failure = transportError(outcome, details, sentRequestId, isCreate, timeoutMs);
        if (isCreate) throw failure;
      }

      const decision = decideRetry({
        failedAttempt: attempt,
        maxAttempts: options.maxAttempts,
        retryAfterMs,
        retryBaseMs: options.retryBaseMs,
        retryMaxMs: options.retryMaxMs,
        random: options.random,
      });
      if (!decision.retry) throw failure;
      logger?.debug(
        { tenantKey: tenant.key, method, path, attempt, delayMs: decision.delayMs },
        'retrying upstream call',
      );
      await options.sleep(decision.delayMs, signal);
      if (isAborted(signal)) throw abortedError(details, false);
    }
  }

  async function ping(callOptions?: CallOptions): Promise<void> {
    const path = '/segment/jobs';
    const details: CallDetails = { method: 'GET', path };
    const signal = callOptions?.signal;
    if (isAborted(signal)) throw abortedError(details, false);
    const sentRequestId = randomUUID();
    const startedMs = performance.now();
    // No credentials: any HTTP answer, even 401 or 403, shows the upstream is there.
    const outcome = await exchange({
      method: 'GET',
      pathWithQuery: `${path}?limit=1`,
      headers: {
        accept: 'application/json',
        'x-request-id': sentRequestId,
        'user-agent': userAgent,
      },
      body: undefined,
      signal,
      limitKey: undefined,
    });
    report(
      {
        tenantKey: '',
        method: 'GET',
        path,
        status:
          outcome.kind === 'response' || outcome.kind === 'too-large' ? outcome.status : undefined,
        attempt: 1,
        durationMs: performance.now() - startedMs,
      },
      callOptions,
    );
    if (outcome.kind === 'response' || outcome.kind === 'too-large') return;
    if (outcome.kind === 'aborted') throw abortedError(details, false);
    if (outcome.kind === 'queue-full' || outcome.kind === 'queue-timeout') {
      throw slotError(outcome, details, timeoutMs);
    }
    throw transportError(outcome, details, sentRequestId, false, timeoutMs);
  }

  return { call, ping };
}

/** The headers of a credentialed call: the tenant's four, and the gateway's own. */
export function requestHeaders(
  tenant: Tenant,
  authorization: string,
  requestId: string,
  hasBody: boolean,
  userAgent: string,
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

/** Fetches the tenant's Authorization value; failures become upstream errors. */
async function authorize(
  tenant: Tenant,
  details: CallDetails,
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
