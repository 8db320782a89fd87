// The stable, opaque key of a tenant: a sha-256 over org, sandbox and credential identity, so
// that two callers with different credentials never share a cache, loader or topic.
import { createHash } from 'node:crypto';

/** Hex sha-256 of a string. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export interface TenantKeyParts {
  mode: 'passthrough' | 'service';
  orgId: string;
  sandboxName: string;
  /** What identifies the credential: api key plus a hash of the token, or the client id. */
  credentialIdentity: readonly string[];
}

/** The tenant key. JSON framing keeps `a|b`+`c` apart from `a`+`b|c`. */
export function tenantKey(parts: TenantKeyParts): string {
  return sha256Hex(
    JSON.stringify([parts.mode, parts.orgId, parts.sandboxName, ...parts.credentialIdentity]),
  );
}
