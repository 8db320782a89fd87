// Refuses GraphQL requests a browser would send cross-site without a CORS preflight (a GET, or a
// POST with a form or text/plain body) unless they carry a header only a script can set, or the
// caller trusts them (a persisted GET: see docs/limits.md). It owns this one check; CORS itself
// and the GraphiQL page are answered before it runs.
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** Headers that prove the request was preflighted (any value). */
export const CSRF_HEADERS = [
  'x-graphql-yoga-csrf',
  'graphql-require-preflight',
  'apollo-require-preflight',
] as const;

/** Content types a browser sends cross-site without asking the server first. */
const SIMPLE_CONTENT_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

/** True when a browser would have asked (preflighted) before sending `headers` cross-site. */
export function isPreflighted(headers: Pick<Headers, 'get' | 'has'>): boolean {
  const contentType = headers.get('content-type');
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== '' && !SIMPLE_CONTENT_TYPES.has(mediaType)) return true;
  return CSRF_HEADERS.some((name) => headers.has(name));
}

export interface CsrfPreventionOptions {
  /**
   * Lets a request through that is not preflighted, e.g. a GET that names a persisted operation
   * by hash and carries no document text (it can only run what the app itself ships, and never
   * a mutation: yoga refuses mutations over GET). @default none
   */
  isTrusted?: ((request: Request) => boolean) | undefined;
}

/**
 * A yoga plugin answering 403 (`extensions.code` CSRF_PREFLIGHT_REQUIRED) to a GraphQL request
 * that is not preflighted: send `content-type: application/json`, or one of
 * {@link CSRF_HEADERS} with a GET.
 */
export function useCsrfPrevention(options: CsrfPreventionOptions = {}): Plugin {
  return {
    onRequestParse({ request }) {
      if (isPreflighted(request.headers)) return;
      if (options.isTrusted?.(request) === true) return;
      throw createGraphQLError(
        `Refused a request a browser could send from another site without asking first: expected content-type application/json, or a ${CSRF_HEADERS[0]} header (any value) on a GET (urql: fetchOptions: { headers: { '${CSRF_HEADERS[0]}': '1' } }), but got ${describe(request)}.`,
        { extensions: { code: 'CSRF_PREFLIGHT_REQUIRED', http: { status: 403 } } },
      );
    },
  };
}

function describe(request: Request): string {
  const contentType = request.headers.get('content-type');
  return contentType === null
    ? `a ${request.method} without content-type`
    : `a ${request.method} with content-type ${(contentType.split(';', 1)[0] ?? '').trim().slice(0, 100)}`;
}
