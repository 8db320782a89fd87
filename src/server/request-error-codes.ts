// Codes for request errors graphql-js leaves uncoded: a variable that is missing or of the wrong
// type fails the whole operation before any resolver runs; it is the caller's input at fault, so
// it carries `extensions.code: BAD_USER_INPUT` over HTTP, SSE and WebSocket alike.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const BAD_USER_INPUT = 'BAD_USER_INPUT';

interface ResultWithErrors {
  data?: unknown;
  errors?: readonly GraphQLError[];
}

/** A request error (no `data` at all) without a code gets BAD_USER_INPUT; others are kept. */
export function codeRequestErrors<T extends ResultWithErrors>(result: T): T {
  if ('data' in result || result.errors === undefined) return result;
  if (result.errors.every((error) => error.extensions?.code !== undefined)) return result;
  const errors = result.errors.map((error) =>
    error.extensions?.code !== undefined
      ? error
      : new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          originalError: error.originalError,
          // `http` (yoga's status for HTTP) is kept: the answer stays a 400.
          extensions: { ...error.extensions, code: BAD_USER_INPUT },
        }),
  );
  return { ...result, errors };
}

function isResult(value: unknown): value is ResultWithErrors {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}

/** Adds BAD_USER_INPUT to variable (request) errors of queries, mutations and subscriptions. */
export function useRequestErrorCodes(): Plugin {
  return {
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (isResult(result)) setResult(codeRequestErrors(result));
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult({ result, setResult }) {
        if (isResult(result)) setResult(codeRequestErrors(result));
      },
    }),
  };
}
