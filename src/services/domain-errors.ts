// Expected failures of the gateway's operations, as classes under one base. The schema exposes
// them as union members; anything that is not a DomainError stays an error and is masked.

/** Base of every expected failure a mutation can return as data. */
export class DomainError extends Error {
  /** A stable, SCREAMING_CASE code a client can switch on. */
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The input was not acceptable; `field` names the input field at fault. */
export class ValidationError extends DomainError {
  readonly field: string;

  constructor(message: string, field: string) {
    super(message, 'BAD_USER_INPUT');
    this.field = field;
  }
}

/** The upstream does not know the id (for this tenant). */
export class NotFoundError extends DomainError {
  /** The id that was not found, when the operation was about one id. */
  readonly id: string | undefined;

  constructor(message: string, id: string | undefined) {
    super(message, 'NOT_FOUND');
    this.id = id;
  }
}

/** The upstream refused because of load or quota; retry later. */
export class RateLimitedError extends DomainError {
  /** From the upstream's `Retry-After`, when it sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, retryAfterSeconds: number | undefined) {
    super(message, 'RATE_LIMITED');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The upstream failed, timed out, or its answer was lost. */
export class UpstreamFailureError extends DomainError {
  readonly status: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    message: string,
    code: string,
    details: { status?: number | undefined; requestId?: string | undefined },
  ) {
    super(message, code);
    this.status = details.status;
    this.requestId = details.requestId;
  }
}
