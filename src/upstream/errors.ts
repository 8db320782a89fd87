// Typed errors of the upstream client: the only errors it throws. Each carries what a caller
// needs to map it (GraphQL code, HTTP status, upstream code, request id) and never an upstream
// body or a credential.

/** The GraphQL error code each upstream failure maps to. */
export type UpstreamErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT';

export interface UpstreamErrorDetails {
  method: string;
  /** Path below the base URL, without query string (e.g. `/segment/jobs/bulk-get`). */
  path: string;
  /** HTTP status, when a response arrived. */
  status?: number | undefined;
  /** The upstream's own error code (`error_code`, `errors[..].code`), when it sent one. */
  upstreamCode?: string | undefined;
  /** The upstream request id (`x-request-id` header or `requestId` body field). */
  requestId?: string | undefined;
  cause?: unknown;
}

/** Base of every error the upstream client throws. */
export abstract class UpstreamError extends Error {
  abstract readonly code: UpstreamErrorCode;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly upstreamCode: string | undefined;
  readonly requestId: string | undefined;

  constructor(message: string, details: UpstreamErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.upstreamCode = details.upstreamCode;
    this.requestId = details.requestId;
  }
}

/** 400 (and 422): the request was wrong. */
export class UpstreamBadRequestError extends UpstreamError {
  readonly code = 'BAD_USER_INPUT' as const;
}

/** 401: credentials missing, invalid or expired. */
export class UpstreamUnauthenticatedError extends UpstreamError {
  readonly code = 'UNAUTHENTICATED' as const;
}

/** 403: the credentials may not do this. */
export class UpstreamForbiddenError extends UpstreamError {
  readonly code = 'FORBIDDEN' as const;
}

/** 404, or a bulk-get entry that holds an error or belongs to another tenant. */
export class UpstreamNotFoundError extends UpstreamError {
  readonly code = 'NOT_FOUND' as const;
}

/** 429. `retryAfterSeconds` comes from `Retry-After` when the upstream sent one. */
export class UpstreamRateLimitedError extends UpstreamError {
  readonly code = 'RATE_LIMITED' as const;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    message: string,
    details: UpstreamErrorDetails & { retryAfterSeconds?: number | undefined },
  ) {
    super(message, details);
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** 5xx, a network fault, an open circuit, or a response that is not what the API documents. */
export class UpstreamUnavailableError extends UpstreamError {
  readonly code = 'UPSTREAM_UNAVAILABLE' as const;
}

/**
 * A create whose response was lost: the job may or may not exist upstream. Never retried,
 * so the caller knows to look before creating again.
 */
export class UpstreamOutcomeUnknownError extends UpstreamUnavailableError {}

/** No answer within the configured timeout. */
export class UpstreamTimeoutError extends UpstreamError {
  readonly code = 'UPSTREAM_TIMEOUT' as const;
}
