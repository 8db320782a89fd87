// Checks the four headers every Adobe call carries and derives the tenant from them. Any
// non-empty bearer token and API key are accepted; tokens are never stored or logged.
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from './service-errors.ts';
import type { TenantScope } from './tenant-scope.ts';

const MAX_HEADER_LENGTH = 256;

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return (text ?? '').trim();
}

function requiredHeader(headers: IncomingHttpHeaders, name: string): string {
  const value = header(headers, name);
  if (value === '') {
    throw new GatewayError(400, '400003', `Missing required header: ${name}`);
  }
  if (value.length > MAX_HEADER_LENGTH) {
    throw new GatewayError(
      400,
      '400003',
      `expected header ${name} of at most ${MAX_HEADER_LENGTH} characters, but got ${value.length}`,
    );
  }
  return value;
}

/**
 * The tenant of a request: 401 `401013` without a `Bearer` token, 403 `403000` without an
 * API key, 400 `400003` without org or sandbox (Adobe's API gateway codes and body shape).
 */
export function readCredentials(headers: IncomingHttpHeaders): TenantScope {
  const authorization = header(headers, 'authorization');
  const token = /^Bearer\s+(\S.*)$/i.exec(authorization)?.[1]?.trim() ?? '';
  if (token === '') throw new GatewayError(401, '401013', 'Oauth token is not valid');
  if (header(headers, 'x-api-key') === '') {
    throw new GatewayError(403, '403000', 'Api Key is required');
  }
  return {
    orgId: requiredHeader(headers, 'x-gw-ims-org-id'),
    sandboxName: requiredHeader(headers, 'x-sandbox-name'),
  };
}
