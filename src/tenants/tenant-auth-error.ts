// The error a caller gets when its credentials are missing or malformed, before any upstream
// call. Its message names the header and what is allowed, never the value sent.

/** Credentials missing or invalid at the gateway (passthrough headers or gateway key). */
export class TenantAuthError extends Error {
  readonly code = 'UNAUTHENTICATED' as const;
  /** One line per header that is missing or wrong. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Missing or invalid credentials: ${problems.join('; ')}`);
    this.name = 'TenantAuthError';
    this.problems = problems;
  }
}
