// Turns what a client sent (HTTP headers or a connection_init payload) into a Tenant, or a
// TenantAuthError before any upstream call. It forwards nothing but the four credential values.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayConfig, ServiceCredential } from '../config/index.ts';
import type { Tenant } from '../domain/index.ts';
import {
  type HeaderLookup,
  type HeaderSource,
  lookupInConnectionParams,
  lookupInHeaders,
  readGatewayKey,
  readPassthroughCredentials,
} from './credential-headers.ts';
import {
  createImsTokenSource,
  type FetchLike,
  type TokenSourceLogger,
} from './ims-token-source.ts';
import { TenantAuthError } from './tenant-auth-error.ts';
import { sha256Hex, tenantKey } from './tenant-key.ts';

export interface TenantResolverOptions {
  /** Used for IMS token requests. @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /** Wall clock in ms, for token expiry. @default Date.now */
  now?: (() => number) | undefined;
  logger?: TokenSourceLogger | undefined;
  /** Per IMS token request. @default 10000 */
  imsTimeoutMs?: number | undefined;
  /** Told after each IMS token request (for metrics). */
  onTokenRequest?: ((outcome: 'success' | 'failure') => void) | undefined;
}

export interface TenantResolver {
  readonly mode: 'passthrough' | 'service';
  /** From HTTP request headers. Throws `TenantAuthError`. */
  fromHeaders(headers: HeaderSource): Tenant;
  /** From a graphql-ws `connection_init` payload. Throws `TenantAuthError`. */
  fromConnectionParams(params: unknown): Tenant;
}

/** Creates the resolver for the configured auth mode. */
export function createTenantResolver(
  auth: GatewayConfig['auth'],
  options: TenantResolverOptions = {},
): TenantResolver {
  let resolve: (lookup: HeaderLookup) => Tenant;
  if (auth.mode === 'passthrough') {
    resolve = passthroughTenant;
  } else {
    const serviceTenant = createServiceTenant(auth.credential, options);
    const checkGatewayKey = createGatewayKeyCheck(auth.gatewayApiKeys);
    resolve = (lookup) => {
      checkGatewayKey(lookup);
      return serviceTenant;
    };
  }
  return {
    mode: auth.mode,
    fromHeaders: (headers) => resolve(lookupInHeaders(headers)),
    fromConnectionParams: (params) => resolve(lookupInConnectionParams(params)),
  };
}

function passthroughTenant(lookup: HeaderLookup): Tenant {
  const read = readPassthroughCredentials(lookup);
  if (!read.ok) throw new TenantAuthError(read.problems);
  const { authorization, accessToken, apiKey, orgId, sandboxName } = read.credentials;
  return {
    key: tenantKey({
      mode: 'passthrough',
      orgId,
      sandboxName,
      credentialIdentity: [apiKey, sha256Hex(accessToken)],
    }),
    orgId,
    sandboxName,
    apiKey,
    mode: 'passthrough',
    canRenew: false,
    authorization: () => Promise.resolve(authorization),
  };
}

/** The one tenant every service-mode request shares, so that they share one token cache. */
export function createServiceTenant(
  credential: ServiceCredential,
  options: TenantResolverOptions = {},
): Tenant {
  const { orgId, sandboxName, apiKey } = credential;
  if (credential.kind === 'static') {
    const authorization = /^bearer /i.test(credential.accessToken)
      ? credential.accessToken
      : `Bearer ${credential.accessToken}`;
    return {
      key: tenantKey({
        mode: 'service',
        orgId,
        sandboxName,
        credentialIdentity: [apiKey, sha256Hex(credential.accessToken)],
      }),
      orgId,
      sandboxName,
      apiKey,
      mode: 'service',
      canRenew: false,
      authorization: () => Promise.resolve(authorization),
    };
  }
  const tokens = createImsTokenSource({
    clientId: credential.clientId,
    clientSecret: credential.clientSecret,
    scopes: credential.scopes,
    imsUrl: credential.imsUrl,
    fetch: options.fetch,
    now: options.now,
    timeoutMs: options.imsTimeoutMs,
    logger: options.logger,
    onTokenRequest: options.onTokenRequest,
  });
  return {
    key: tenantKey({
      mode: 'service',
      orgId,
      sandboxName,
      credentialIdentity: [apiKey, credential.clientId],
    }),
    orgId,
    sandboxName,
    apiKey,
    mode: 'service',
    canRenew: true,
    authorization: async (authOptions) =>
      `Bearer ${await tokens.getToken(authOptions?.forceRefresh === true ? { forceRefresh: true } : undefined)}`,
  };
}

/**
 * Checks `x-gateway-key` against the configured keys in constant time. With no keys configured
 * (allowed only for the embedded upstream on loopback) every caller passes.
 */
function createGatewayKeyCheck(gatewayApiKeys: readonly string[]): (lookup: HeaderLookup) => void {
  const allowedDigests = gatewayApiKeys.map(digest);
  return (lookup) => {
    if (allowedDigests.length === 0) return;
    const problems: string[] = [];
    const presented = readGatewayKey(lookup, problems);
    if (presented === undefined) throw new TenantAuthError(problems);
    const presentedDigest = digest(presented);
    // Compare with every key, without stopping early, so timing tells nothing.
    let isKnown = false;
    for (const allowed of allowedDigests) {
      if (timingSafeEqual(allowed, presentedDigest)) isKnown = true;
    }
    if (!isKnown) {
      throw new TenantAuthError([
        'x-gateway-key: expected a key issued for this gateway, but got an unknown key',
      ]);
    }
  };
}

// Equal-length digests, because timingSafeEqual needs equal lengths.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
