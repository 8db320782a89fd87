// Which browser origins may call the GraphQL endpoint over HTTP. With ALLOWED_ORIGINS set, an
// origin not on the list gets no CORS headers at all, so its browser keeps the answer from it.
// It does not stop a request from arriving: the CSRF guard does that for simple requests.

/** CORS answer for one request: the caller's origin echoed back, or none. */
export type CorsDecision = { origin: string[]; credentials: false } | false;

/**
 * yoga's `cors` option for `allowedOrigins`: undefined (yoga's default: any origin) when the
 * list is empty; otherwise a factory allowing only listed origins, without credentials (the
 * gateway authenticates with headers, never cookies).
 */
export function corsForOrigins(
  allowedOrigins: readonly string[],
): ((request: Request) => CorsDecision) | undefined {
  if (allowedOrigins.length === 0) return undefined;
  const allowed = new Set(allowedOrigins);
  return (request) => {
    const origin = request.headers.get('origin');
    return origin !== null && allowed.has(origin)
      ? { origin: [origin], credentials: false }
      : false;
  };
}
