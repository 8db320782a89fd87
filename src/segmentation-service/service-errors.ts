// The errors the embedded service answers with and their two wire shapes: Adobe's API gateway
// shape for credentials, the segmentation service's shape for everything else. No I/O here.

/** Base of the `type` URL of every segmentation-service error body. */
export const ERROR_TYPE_BASE = 'https://ns.adobe.com/aep/errors/';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  422: 'Unprocessable entity',
  429: 'Too many requests',
  500: 'Internal server error',
};

/** The service error code for an HTTP status, e.g. `UPAPI-1404-404`. */
export function serviceErrorCode(status: number): string {
  return `UPAPI-1${status}-${status}`;
}

/** An expected failure answered in the segmentation service's error shape. */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    options: { code?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ServiceError';
    this.status = status;
    this.code = options.code ?? serviceErrorCode(status);
    this.headers = options.headers ?? {};
  }
}

/** A credential problem, answered the way Adobe's API gateway does: `{error_code, message}`. */
export class GatewayError extends Error {
  readonly status: number;
  readonly errorCode: string;

  constructor(status: number, errorCode: string, message: string) {
    super(message);
    this.name = 'GatewayError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

export function badRequest(message: string): ServiceError {
  return new ServiceError(400, message);
}

export function notFound(message: string): ServiceError {
  return new ServiceError(404, message);
}

export interface ServiceErrorBody {
  requestId: string;
  type: string;
  title: string;
  status: number;
  errors: Record<string, { code: string; message: string }[]>;
}

export function serviceErrorBody(error: ServiceError, requestId: string): ServiceErrorBody {
  return {
    requestId,
    type: `${ERROR_TYPE_BASE}${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    errors: { [String(error.status)]: [{ code: error.code, message: error.message }] },
  };
}

export function gatewayErrorBody(error: GatewayError): { error_code: string; message: string } {
  return { error_code: error.errorCode, message: error.message };
}

/** The entry of a bulk-get result for an id the tenant does not have. */
export interface BulkGetErrorEntry {
  id: string;
  error: { status: 404; code: string; message: string };
}

export function bulkGetError(id: string, what: string): BulkGetErrorEntry {
  return {
    id,
    error: { status: 404, code: serviceErrorCode(404), message: `${what} ${id} not found` },
  };
}

// Enough ids to act on without flooding a message.
const MAX_IDS_IN_NONE_FOUND = 10;

/**
 * The whole-request 404 of a bulk-get where no id is known to the tenant (Adobe documents this
 * answer for its audiences bulk-get, with code UPAPI-113000-404; ours keeps the service's codes).
 */
export function bulkGetNoneFound(what: string, ids: readonly string[]): ServiceError {
  const unique = [...new Set(ids)];
  const shown = unique.slice(0, MAX_IDS_IN_NONE_FOUND).join(', ');
  const more = unique.length - MAX_IDS_IN_NONE_FOUND;
  return notFound(
    `expected at least one known ${what} id, but none of these was found: ${shown}${more > 0 ? ` and ${more} more` : ''}`,
  );
}
