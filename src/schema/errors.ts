// The Error interface and the expected-failure types that mutations return as union members,
// plus the helper for protocol-level input errors. Only DomainError subclasses become data.
import { createGraphQLError } from 'graphql-yoga';
import {
  DomainError,
  NotFoundError,
  RateLimitedError,
  UpstreamFailureError,
  ValidationError,
} from '../services/domain-errors.ts';
import { builder } from './builder.ts';

/** A GraphQL error for bad arguments: says what is wrong and what is allowed. */
export function badUserInput(message: string): Error {
  return createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description:
    'Every expected failure a mutation can return implements Error: switch on __typename, or read code and message.',
  fields: (t) => ({
    message: t.exposeString('message', {
      description: 'What went wrong, in words a person can act on.',
    }),
    code: t.exposeString('code', {
      description:
        'A stable code: BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or UPSTREAM_OUTCOME_UNKNOWN.',
    }),
  }),
});

builder.objectType(DomainError, {
  name: 'BaseError',
  description: 'An expected failure with no more specific type; read code and message.',
  interfaces: [ErrorInterface],
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description:
    'The input was not acceptable. Nothing was sent to the upstream, or it refused the input.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.exposeString('field', {
      description:
        'The input field at fault (e.g. segmentIds), or input when the combination is wrong.',
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The Segmentation Service does not know the id for this org and sandbox.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    id: t.exposeID('id', {
      nullable: true,
      description: 'The id that was not found, when the operation named a single id.',
    }),
  }),
});

builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description:
    'The Segmentation Service refused because too many jobs are in progress or requests come too fast. Retry later.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    retryAfterSeconds: t.exposeFloat('retryAfterSeconds', {
      nullable: true,
      description: 'Seconds to wait before retrying, when the upstream said (Retry-After).',
    }),
  }),
});

builder.objectType(UpstreamFailureError, {
  name: 'UpstreamError',
  description:
    'The Segmentation Service failed, did not answer in time, or its answer was lost. With UPSTREAM_OUTCOME_UNKNOWN the job may exist: look before creating it again.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    requestId: t.exposeString('requestId', {
      nullable: true,
      description: 'The upstream request id, for support tickets.',
    }),
    status: t.exposeInt('status', {
      nullable: true,
      description:
        'The HTTP status the upstream answered with; null on a timeout or network fault.',
    }),
  }),
});
