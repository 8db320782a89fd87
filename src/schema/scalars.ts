// Custom scalars. DateTime is an ISO-8601 instant in UTC; parsing rejects anything else with
// a message that says what is allowed.
import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.ts';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

const EXAMPLE = '2024-01-31T12:00:00.000Z';

function badDateTime(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** Parses an ISO-8601 date-time with a zone, or throws a GraphQLError saying what is allowed. */
export function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) {
    throw badDateTime(
      `DateTime: expected an ISO-8601 date-time with a zone such as ${EXAMPLE}, but got ${JSON.stringify(value)}`,
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw badDateTime(`DateTime: expected a real calendar date-time, but got "${value}"`);
  }
  return date;
}

/** Serializes a Date, epoch milliseconds or a date string as ISO-8601 UTC. */
export function serializeDateTime(value: unknown): string {
  const date =
    value instanceof Date
      ? value
      : typeof value === 'number' || typeof value === 'string'
        ? new Date(value)
        : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new GraphQLError(
      `DateTime: expected a Date, epoch milliseconds or an ISO string, but got ${JSON.stringify(value)}`,
    );
  }
  return date.toISOString();
}

export const DateTime = builder.scalarType('DateTime', {
  description: `An instant, as an ISO-8601 string in UTC (e.g. ${EXAMPLE}). Inputs must carry a zone (Z or ±hh:mm).`,
  serialize: serializeDateTime,
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) {
      throw badDateTime(
        `DateTime: expected an ISO-8601 string literal such as "${EXAMPLE}", but got a ${ast.kind} literal`,
      );
    }
    return parseDateTime(ast.value);
  },
});
