// Turns an upstream error response into a typed UpstreamError: reads the three documented error
// body shapes for a code, a request id and a short title. Never copies the body or a credential
// into a message.
import {
  UpstreamBadRequestError,
  type UpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from './errors.ts';
import { isRecord } from './job-document.ts';

/** What the upstream said about an error, read from its body. */
export interface ErrorBodySummary {
  upstreamCode?: string | undefined;
  requestId?: string | undefined;
  /** The upstream's own short description, sanitised. */
  title?: string | undefined;
  /** The upstream's most specific description of what was wrong, sanitised. */
  explanation?: string | undefined;
}

/** Longest upstream title kept in a message. */
export const MAX_TITLE_LENGTH = 160;

/**
 * Reads `{error_code, message}` (gateway), `{type, title, status, detail}` (problem details) and
 * `{requestId, type, title, status, errors: {"404": [{code, message}]}}` (segmentation service).
 */
export function summarizeErrorBody(
  body: unknown,
  secrets: readonly string[] = [],
): ErrorBodySummary {
  if (!isRecord(body)) return {};
  const summary: ErrorBodySummary = {};
  const firstNested = firstNestedError(body.errors);
  summary.upstreamCode =
    codeOf(body.error_code) ??
    nonNumericCode(firstNested?.code) ??
    typeCode(body.type) ??
    codeOf(firstNested?.code) ??
    codeOf(body.code);
  summary.requestId = safeId(body.requestId) ?? safeId(body.request_id);
  const title =
    textOf(body.title) ??
    textOf(body.message) ??
    textOf(firstNested?.message) ??
    textOf(body.detail);
  if (title !== undefined) summary.title = sanitizeText(title, secrets);
  // The nested error or the detail says what was wrong; the title often only names the kind
  // of failure ("Bad request").
  const explanation = textOf(firstNested?.message) ?? textOf(body.detail);
  if (explanation !== undefined) summary.explanation = sanitizeText(explanation, secrets);
  return summary;
}

/** Context of one failed response, used to build its error. */
export interface ErrorResponseContext {
  method: string;
  path: string;
  status: number;
  /** The `x-request-id` response header, when present. */
  headerRequestId?: string | undefined;
  /** The request id the gateway sent, used when the upstream names none. */
  sentRequestId?: string | undefined;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  retryAfterSeconds?: number | undefined;
  /** Values that must never appear in a message (the access token). */
  secrets?: readonly string[] | undefined;
}

/** Maps an HTTP error status to its UpstreamError class, with a short, safe message. */
export function errorFromResponse(context: ErrorResponseContext): UpstreamError {
  const summary = summarizeErrorBody(context.body, context.secrets);
  const details = {
    method: context.method,
    path: context.path,
    status: context.status,
    upstreamCode: summary.upstreamCode,
    requestId: safeId(context.headerRequestId) ?? summary.requestId ?? context.sentRequestId,
  };
  // A client error's explanation tells the caller what to fix; a server error's detail is the
  // upstream's internals, so only its title is kept.
  const text = context.status < 500 ? (summary.explanation ?? summary.title) : summary.title;
  const said = text === undefined ? '' : `: ${text}`;
  const head = `upstream answered ${context.status} to ${context.method} ${context.path}`;
  switch (true) {
    case context.status === 400 || context.status === 422:
      return new UpstreamBadRequestError(`${head} (bad request)${said}`, details);
    case context.status === 401:
      return new UpstreamUnauthenticatedError(
        `${head} (credentials missing, invalid or expired)${said}`,
        details,
      );
    case context.status === 403:
      return new UpstreamForbiddenError(`${head} (forbidden)${said}`, details);
    case context.status === 404:
      return new UpstreamNotFoundError(`${head} (not found)${said}`, details);
    case context.status === 429: {
      const wait =
        context.retryAfterSeconds === undefined
          ? ''
          : `; retry after ${context.retryAfterSeconds} s`;
      return new UpstreamRateLimitedError(`${head} (rate limited)${said}${wait}`, {
        ...details,
        retryAfterSeconds: context.retryAfterSeconds,
      });
    }
    case context.status >= 500:
      return new UpstreamUnavailableError(`${head} (upstream failure)${said}`, details);
    default:
      // Other 4xx (405, 409, 413, ...) mean the request was not acceptable as sent.
      return new UpstreamBadRequestError(`${head} (request not accepted)${said}`, details);
  }
}

const BEARER_PATTERN = /\bbearer\s+[^\s"',;]+/gi;
// JWT-shaped values (IMS access tokens are JWTs).
const JWT_PATTERN = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const KEYED_SECRET_PATTERN =
  /\b(access_token|refresh_token|client_secret|secret|password|token|api[_-]?key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi;
// Long opaque strings (keys, hashes) are more likely secrets than words.
const LONG_OPAQUE_PATTERN = /\b[A-Za-z0-9+/_-]{40,}={0,2}/g;

/**
 * Makes upstream text safe for a message: no control characters, nothing that looks like a
 * bearer token or secret, no listed secret values, at most `maxLength` characters.
 */
export function sanitizeText(
  text: string,
  secrets: readonly string[] = [],
  maxLength = MAX_TITLE_LENGTH,
): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(BEARER_PATTERN, 'Bearer [redacted]');
  out = out.replace(JWT_PATTERN, '[redacted]');
  out = out.replace(KEYED_SECRET_PATTERN, '$1$2[redacted]');
  out = out.replace(LONG_OPAQUE_PATTERN, '[redacted]');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  out = out.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}

interface NestedError {
  code?: unknown;
  message?: unknown;
}

// `errors` is `{"404": [{code, message}]}`; take the first entry of the first list.
function firstNestedError(errors: unknown): NestedError | undefined {
  if (Array.isArray(errors)) return isRecord(errors[0]) ? errors[0] : undefined;
  if (!isRecord(errors)) return undefined;
  for (const list of Object.values(errors)) {
    if (Array.isArray(list) && isRecord(list[0])) return list[0];
  }
  return undefined;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && /^[\w.:-]{1,64}$/.test(value)) return value;
  return undefined;
}

function nonNumericCode(value: unknown): string | undefined {
  const code = codeOf(value);
  return code === undefined || /^\d+$/.test(code) ? undefined : code;
}

// `https://ns.adobe.com/aep/errors/UPAPI-113430-404` → `UPAPI-113430-404`.
function typeCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const last = value.split('/').pop() ?? '';
  return /^[A-Z][A-Z0-9]*-[\w-]{1,40}$/.test(last) ? last : undefined;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A request id is shown only when it looks like one. */
export function safeId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,128}$/.test(value) ? value : undefined;
}
