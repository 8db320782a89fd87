// Refuses graphql-sse's single connection mode (a PUT reserving a stream, then requests carrying
// its token) with a message saying what to use instead. The gateway serves SSE in graphql-sse's
// distinct connections mode only; this module owns that one refusal and nothing else.
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** graphql-sse's header (and query parameter) naming a reserved stream. */
const TOKEN_HEADER = 'x-graphql-event-stream-token';
const TOKEN_PARAMETER = 'token';

/**
 * A yoga plugin answering 405 (`extensions.code` SSE_SINGLE_CONNECTION_UNSUPPORTED) to a PUT
 * (graphql-sse's reservation) and to any request carrying a reservation token. Runs before the
 * CSRF guard, so the client learns the mode is the problem, not its headers.
 */
export function useSseSingleConnectionRefusal(): Plugin {
  return {
    onRequestParse({ request }) {
      const hasToken =
        request.headers.has(TOKEN_HEADER) ||
        new URL(request.url, 'http://localhost').searchParams.has(TOKEN_PARAMETER);
      if (request.method !== 'PUT' && !hasToken) return;
      throw createGraphQLError(
        `graphql-sse's single connection mode is not served: expected its distinct connections mode (createClient({ url, singleConnection: false }), the default: one POST with accept: text/event-stream per operation), but got ${request.method === 'PUT' ? 'a PUT reserving a stream' : `a ${request.method} with a stream token`}. Many operations on one connection: use graphql-ws.`,
        {
          extensions: {
            code: 'SSE_SINGLE_CONNECTION_UNSUPPORTED',
            http: { status: 405, headers: { allow: 'GET, POST' } },
          },
        },
      );
    },
  };
}
