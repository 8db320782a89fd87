// Access tokens from Adobe IMS (OAuth server-to-server client credentials): fetched on first use,
// cached, renewed before expiry, one request in flight however many callers wait. Never puts the
// client secret or a token into an error or a log.
import {
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from '../upstream/errors.ts';

/** The part of `fetch` the token source uses. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TokenSourceLogger {
  warn(details: object, message: string): void;
}

export interface ImsTokenSourceOptions {
  clientId: string;
  clientSecret: string;
  /** Comma-separated scopes. */
  scopes: string;
  /** The token endpoint, e.g. `https://ims-na1.adobelogin.com/ims/token/v3`. */
  imsUrl: string;
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /** Wall clock in ms. @default Date.now */
  now?: (() => number) | undefined;
  /** Per token request. @default 10000 */
  timeoutMs?: number | undefined;
  /** Share of a token's lifetime after which it is renewed. @default 0.9 */
  renewAtFraction?: number | undefined;
  logger?: TokenSourceLogger | undefined;
  /** Told after each token request to IMS, first one and renewals alike (for metrics). */
  onTokenRequest?: ((outcome: 'success' | 'failure') => void) | undefined;
}

export interface TokenSource {
  /** A valid access token (without the `Bearer ` prefix). `forceRefresh` asks IMS now. */
  getToken(options?: { forceRefresh?: boolean }): Promise<string>;
}

interface CachedToken {
  accessToken: string;
  renewAtMs: number;
  expiresAtMs: number;
}

/** Creates a token source for one client id. */
export function createImsTokenSource(options: ImsTokenSourceOptions): TokenSource {
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const renewAtFraction = options.renewAtFraction ?? 0.9;
  const path = pathOf(options.imsUrl);
  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;

  function refresh(): Promise<CachedToken> {
    inFlight ??= requestToken()
      .then(
        (token) => {
          options.onTokenRequest?.('success');
          return token;
        },
        (error: unknown) => {
          options.onTokenRequest?.('failure');
          throw error;
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  async function requestToken(): Promise<CachedToken> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: options.scopes,
    });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const details = { method: 'POST', path };
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(options.imsUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: body.toString(),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw new UpstreamTimeoutError(
          `Adobe IMS did not answer the token request within ${timeoutMs} ms`,
          details,
        );
      }
      throw new UpstreamUnavailableError(
        `could not reach Adobe IMS to obtain an access token (${networkCode(error)})`,
        { ...details, cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    const json = tryParseJson(text);
    if (!response.ok) throw imsError(response.status, json, details);
    return readToken(json, response.status, details);
  }

  function readToken(
    json: unknown,
    status: number,
    details: { method: string; path: string },
  ): CachedToken {
    const accessToken = isRecord(json) ? json.access_token : undefined;
    const expiresInSeconds = isRecord(json) ? json.expires_in : undefined;
    if (
      typeof accessToken !== 'string' ||
      accessToken === '' ||
      typeof expiresInSeconds !== 'number' ||
      !(expiresInSeconds > 0)
    ) {
      throw new UpstreamUnavailableError(
        `Adobe IMS answered ${status} with a body that is not a token: expected {access_token, token_type, expires_in}, but got ${describeTokenBody(json)}`,
        { ...details, status },
      );
    }
    const issuedAtMs = now();
    const lifetimeMs = expiresInSeconds * 1000;
    return {
      accessToken,
      renewAtMs: issuedAtMs + lifetimeMs * renewAtFraction,
      expiresAtMs: issuedAtMs + lifetimeMs,
    };
  }

  async function getToken(getOptions?: { forceRefresh?: boolean }): Promise<string> {
    const current = cached;
    if (getOptions?.forceRefresh !== true && current !== undefined && now() < current.renewAtMs) {
      return current.accessToken;
    }
    try {
      cached = await refresh();
      return cached.accessToken;
    } catch (error) {
      // A renewal that fails before the old token expires is not yet an outage.
      if (
        getOptions?.forceRefresh !== true &&
        current !== undefined &&
        now() < current.expiresAtMs
      ) {
        options.logger?.warn(
          { path, error: error instanceof UpstreamError ? error.message : 'unknown error' },
          'could not renew the IMS access token; using the current one until it expires',
        );
        return current.accessToken;
      }
      throw error;
    }
  }

  return { getToken };
}

function imsError(
  status: number,
  json: unknown,
  details: { method: string; path: string },
): UpstreamError {
  const code =
    isRecord(json) && typeof json.error === 'string' && /^[a-z_]{1,64}$/.test(json.error)
      ? json.error
      : undefined;
  const withStatus = { ...details, status, upstreamCode: code };
  const said = code === undefined ? '' : ` (${code})`;
  if (status === 400 || status === 401 || status === 403) {
    return new UpstreamUnauthenticatedError(
      `Adobe IMS refused the service credential with ${status}${said}: check the client id, client secret and scopes`,
      withStatus,
    );
  }
  return new UpstreamUnavailableError(
    `Adobe IMS answered ${status}${said} to the token request`,
    withStatus,
  );
}

function describeTokenBody(json: unknown): string {
  if (json === undefined) return 'a body that is not JSON';
  if (!isRecord(json)) return 'JSON that is not an object';
  const names = Object.keys(json)
    .filter((name) => /^\w{1,40}$/.test(name))
    .slice(0, 10);
  return `an object with the fields ${names.length === 0 ? '(none)' : names.join(', ')}`;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '/ims/token';
  }
}

function networkCode(error: unknown): string {
  for (let current = error, depth = 0; depth < 4; depth += 1) {
    if (typeof current !== 'object' || current === null) break;
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return 'network error';
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
