// What one HTTP attempt ended with, and the pure decisions about it: which network errors mean
// "never sent", what the circuit breaker learns, and which typed error each failure becomes.
import type { IncomingHttpHeaders } from 'node:http';
import { errorFromResponse, safeId } from './error-response.ts';
import {
  type UpstreamError,
  UpstreamOutcomeUnknownError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.ts';
import type { JsonBody } from './sliced-json.ts';

/** How one attempt ended. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; text: string }
  /** The body passed `limitBytes` (or declared more): reading stopped, the connection closed. */
  | {
      kind: 'too-large';
      status: number;
      headers: IncomingHttpHeaders;
      limitBytes: number;
      declaredBytes: number | undefined;
    }
  | { kind: 'timeout' }
  /** Never sent: the tenant's slots were all busy and its queue full. */
  | { kind: 'queue-full'; active: number; queued: number; maxConcurrent: number; maxQueued: number }
  /** Never sent: the attempt's deadline passed while it waited for one of the tenant's slots. */
  | { kind: 'queue-timeout'; maxConcurrent: number }
  | { kind: 'aborted' }
  | { kind: 'network'; code: string | undefined; isConnectFailure: boolean; error: unknown };

/** A complete answer, with the request id the gateway sent. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  sentRequestId: string;
  /** A long 2xx body, parsed in slices before it is read; absent: parse `text` natively. */
  json?: JsonBody | undefined;
}

/** Method and path (below the base URL, no query) of a call, for messages and details. */
export interface CallDetails {
  method: string;
  path: string;
}

// undici refuses a request it cannot send as given (e.g. a header value with a line break).
export const INVALID_REQUEST_CODE = 'UND_ERR_INVALID_ARG';

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

/** A network failure as an outcome: its code (searched through `cause`) and whether it was a connect failure. */
export function networkOutcome(error: unknown): AttemptOutcome {
  const code = errorCode(error);
  return {
    kind: 'network',
    code,
    isConnectFailure: code !== undefined && CONNECT_ERROR_CODES.has(code),
    error,
  };
}

/** What the per-tenant circuit breaker learns from an outcome. */
export function breakerVerdict(outcome: AttemptOutcome): 'success' | 'failure' | 'neutral' {
  // Nothing reached the upstream: the gateway's own limits say nothing about its health.
  if (outcome.kind === 'aborted' || outcome.kind === 'queue-full') return 'neutral';
  if (outcome.kind === 'queue-timeout') return 'neutral';
  if (outcome.kind === 'network' && outcome.code === INVALID_REQUEST_CODE) return 'neutral';
  if (outcome.kind === 'response' && outcome.status < 500) return 'success';
  // An oversized answer says the upstream is there; it is no reason to fail the tenant fast.
  if (outcome.kind === 'too-large') return 'success';
  return 'failure';
}

/** The error of an attempt that got no answer (timeout or network fault). */
export function transportError(
  outcome: Extract<AttemptOutcome, { kind: 'timeout' } | { kind: 'network' }>,
  details: CallDetails,
  sentRequestId: string,
  isCreate: boolean,
  timeoutMs: number,
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

/** The error of an answer whose body passed `UPSTREAM_MAX_BODY_BYTES`. Never retried. */
export function tooLargeError(
  outcome: Extract<AttemptOutcome, { kind: 'too-large' }>,
  details: CallDetails,
  sentRequestId: string,
): UpstreamError {
  const what =
    outcome.declaredBytes === undefined
      ? `a body over the limit of ${outcome.limitBytes} bytes (UPSTREAM_MAX_BODY_BYTES); stopped reading it`
      : `a body of ${outcome.declaredBytes} bytes (content-length), over the limit of ${outcome.limitBytes} bytes (UPSTREAM_MAX_BODY_BYTES); not read`;
  return new UpstreamUnavailableError(
    `upstream answered ${outcome.status} to ${details.method} ${details.path} with ${what}`,
    {
      ...details,
      status: outcome.status,
      requestId: safeId(headerValue(outcome.headers, 'x-request-id')) ?? sentRequestId,
    },
  );
}

/**
 * The body length a response declares, when it declares a usable one. Undefined without a
 * `content-length` or with one that is not a plain decimal number (undici refuses those anyway).
 */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headerValue(headers, 'content-length');
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** The error of an attempt that never got one of its tenant's slots. Never retried. */
export function slotError(
  outcome: Extract<AttemptOutcome, { kind: 'queue-full' } | { kind: 'queue-timeout' }>,
  details: CallDetails,
  timeoutMs: number,
): UpstreamError {
  if (outcome.kind === 'queue-full') {
    return new UpstreamRateLimitedError(
      `too many upstream calls for this tenant: ${outcome.active} in flight and ${outcome.queued} queued (UPSTREAM_MAX_CONCURRENCY_PER_TENANT=${outcome.maxConcurrent}, UPSTREAM_MAX_QUEUED_PER_TENANT=${outcome.maxQueued}); ${details.method} ${details.path} not sent, retry later`,
      { ...details, retryAfterSeconds: 1 },
    );
  }
  return new UpstreamTimeoutError(
    `${details.method} ${details.path} waited ${timeoutMs} ms for one of this tenant's ${outcome.maxConcurrent} upstream slots (UPSTREAM_MAX_CONCURRENCY_PER_TENANT) and was not sent`,
    details,
  );
}

/** The error of a call its caller aborted. */
export function abortedError(details: CallDetails, isCreate: boolean): UpstreamError {
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

/** What `httpError` needs to know about the call. */
export interface HttpErrorContext extends CallDetails {
  isIdempotent: boolean;
  /** The Authorization value and API key sent: never echoed in a message. */
  secrets: readonly string[];
}

/** The error of a non-2xx answer. */
export function httpError(
  context: HttpErrorContext,
  response: HttpResponse,
  retryAfterMs: number | undefined,
): UpstreamError {
  const error = errorFromResponse({
    method: context.method,
    path: context.path,
    status: response.status,
    headerRequestId: headerValue(response.headers, 'x-request-id'),
    sentRequestId: response.sentRequestId,
    body: tryParseJson(response.text),
    retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
    secrets: context.secrets,
  });
  // A gateway in front of the upstream gave up waiting: the create may have gone through.
  if (!context.isIdempotent && (response.status === 502 || response.status === 504)) {
    return new UpstreamOutcomeUnknownError(
      `${error.message}: the job may or may not have been created; list jobs before creating it again`,
      responseDetails(context, response),
    );
  }
  return error;
}

/** The secrets a call's messages must never hold: the Authorization value, its token, the API key. */
export function secretsOf(authorization: string, apiKey: string): string[] {
  return [authorization, authorization.replace(/^bearer\s+/i, ''), apiKey];
}

/** Error details of an answer: its status and the best request id for a support ticket. */
export function responseDetails(
  details: CallDetails,
  response: HttpResponse,
): { method: string; path: string; status: number; requestId: string | undefined } {
  return {
    method: details.method,
    path: details.path,
    status: response.status,
    requestId: safeId(headerValue(response.headers, 'x-request-id')) ?? response.sentRequestId,
  };
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The longest error body read for its explanation. Every documented error shape is a few hundred
 * bytes; a longer one is not parsed at all (one synchronous parse of a body near
 * UPSTREAM_MAX_BODY_BYTES would hold the loop for hundreds of milliseconds) and the error keeps
 * only its status.
 */
export const MAX_ERROR_BODY_CHARS = 64 * 1024;

function tryParseJson(text: string): unknown {
  if (text === '' || text.length > MAX_ERROR_BODY_CHARS) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 4; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

/** What the call does after an answer arrived. */
export type AnswerStep = 'read' | 'renew-token' | 'fail' | 'maybe-retry';

/**
 * The step after an HTTP answer: read a 2xx; renew the token once on a 401 when the tenant can
 * (a 401 means nothing was done, so even a create may be resent); otherwise fail, or let the
 * retry policy decide for an idempotent call and a retryable status.
 */
export function answerStep(input: {
  status: number;
  isIdempotent: boolean;
  canRenew: boolean;
  hasRenewed: boolean;
  isRetryableStatus: boolean;
}): AnswerStep {
  if (input.status >= 200 && input.status < 300) return 'read';
  if (input.status === 401 && input.canRenew && !input.hasRenewed) return 'renew-token';
  if (!input.isIdempotent || !input.isRetryableStatus) return 'fail';
  return 'maybe-retry';
}
