// The org and sandbox every piece of stored data belongs to, and the identifiers derived from
// them. Pure: no I/O, no credentials (the service never stores tokens or API keys).
import { createHash } from 'node:crypto';

/** Who owns a row: data is isolated by org AND sandbox. */
export interface TenantScope {
  readonly orgId: string;
  readonly sandboxName: string;
}

export interface SandboxDocument {
  sandboxId: string;
  sandboxName: string;
  type: 'production' | 'development';
  default: boolean;
}

/** The production sandbox every org has; the others are development sandboxes. */
export const DEFAULT_SANDBOX_NAME = 'prod';

/** A deterministic UUID-formatted id from its parts, stable across restarts and data dirs. */
export function stableUuid(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\u001f')).digest('hex');
  // Version 8 (custom) and the RFC 4122 variant bits keep it a well-formed UUID.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function sandboxDocument(scope: TenantScope): SandboxDocument {
  const isDefault = scope.sandboxName === DEFAULT_SANDBOX_NAME;
  return {
    sandboxId: stableUuid('sandbox', scope.orgId, scope.sandboxName),
    sandboxName: scope.sandboxName,
    type: isDefault ? 'production' : 'development',
    default: isDefault,
  };
}

/** A map key for per-tenant caches. */
export function scopeKey(scope: TenantScope): string {
  return `${scope.orgId}\u001f${scope.sandboxName}`;
}

/** The tenant's default merge policy id: stable, so definitions keep pointing at it. */
export function defaultMergePolicyId(scope: TenantScope): string {
  return stableUuid('merge-policy', scope.orgId, scope.sandboxName, 'default');
}
