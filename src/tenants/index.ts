// Who is asking: the tenant resolver, the service credential's token source and the auth error.
export {
  GATEWAY_KEY_HEADER,
  type HeaderSource,
  MAX_AUTHORIZATION_LENGTH,
  MAX_HEADER_LENGTH,
} from './credential-headers.ts';
export {
  createImsTokenSource,
  type FetchLike,
  type ImsTokenSourceOptions,
  type TokenSource,
} from './ims-token-source.ts';
export { TenantAuthError } from './tenant-auth-error.ts';
export { tenantKey } from './tenant-key.ts';
export {
  createServiceTenant,
  createTenantResolver,
  type TenantResolver,
  type TenantResolverOptions,
} from './tenant-resolver.ts';
