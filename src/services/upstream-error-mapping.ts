// How upstream failures reach a caller: as GraphQL errors with a code for queries, as typed
// domain errors for mutations. Never copies an upstream body or a credential; anything that
// is not an upstream error passes through untouched (and is masked by the server).
import { createGraphQLError } from 'graphql-yoga';
import {
  UpstreamError,
  UpstreamOutcomeUnknownError,
  UpstreamRateLimitedError,
} from '../upstream/errors.ts';
import {
  type DomainError,
  NotFoundError,
  RateLimitedError,
  UpstreamFailureError,
  ValidationError,
} from './domain-errors.ts';

/** Extensions every upstream-caused GraphQL error carries. */
function upstreamExtensions(error: UpstreamError): Record<string, unknown> {
  const extensions: Record<string, unknown> = { code: error.code };
  if (error.requestId !== undefined) extensions.requestId = error.requestId;
  if (error instanceof UpstreamRateLimitedError && error.retryAfterSeconds !== undefined) {
    extensions.retryAfterSeconds = error.retryAfterSeconds;
  }
  return extensions;
}

/**
 * Maps a failure of a query to what the caller sees: an upstream error becomes a GraphQL error
 * whose `extensions.code` keeps its meaning (plus `requestId`, `retryAfterSeconds`).
 */
export function toQueryError(error: unknown): unknown {
  if (!(error instanceof UpstreamError)) return error;
  return createGraphQLError(error.message, { extensions: upstreamExtensions(error) });
}

/** What the mutation was about, to name it in a typed error. */
export interface MutationSubject {
  /** The job id, for NOT_FOUND. */
  id?: string | undefined;
  /** The input field to blame for an upstream 400. */
  field: string;
}

/**
 * Maps a failure of a mutation: expected upstream outcomes become domain errors (returned as
 * union members); credentials problems stay GraphQL errors, because no payload can fix them.
 */
export function toMutationError(error: unknown, subject: MutationSubject): unknown {
  if (!(error instanceof UpstreamError)) return error;
  const domainError = toDomainError(error, subject);
  return domainError ?? toQueryError(error);
}

function toDomainError(error: UpstreamError, subject: MutationSubject): DomainError | undefined {
  if (error instanceof UpstreamOutcomeUnknownError) {
    // The create may have happened: the caller must look before trying again.
    return new UpstreamFailureError(
      `${error.message}; the job may or may not have been created: list the jobs before creating it again`,
      'UPSTREAM_OUTCOME_UNKNOWN',
      { status: error.status, requestId: error.requestId },
    );
  }
  switch (error.code) {
    case 'BAD_USER_INPUT':
      return new ValidationError(error.message, subject.field);
    case 'NOT_FOUND':
      return new NotFoundError(error.message, subject.id);
    case 'RATE_LIMITED':
      return new RateLimitedError(
        error.message,
        error instanceof UpstreamRateLimitedError ? error.retryAfterSeconds : undefined,
      );
    case 'UPSTREAM_UNAVAILABLE':
    case 'UPSTREAM_TIMEOUT':
      return new UpstreamFailureError(error.message, error.code, {
        status: error.status,
        requestId: error.requestId,
      });
    case 'UNAUTHENTICATED':
    case 'FORBIDDEN':
      return undefined;
  }
}
