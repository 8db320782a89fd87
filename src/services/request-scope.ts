// The tenant and loaders of one request, made on first use and shared by every service of that
// request, so that jobs and segments read through the same loaders. Holds nothing else.
import type { Tenant } from '../domain/index.ts';
import { createLoaders, type Loaders } from '../loaders/index.ts';
import type { CallOptions, UpstreamClient } from '../upstream/types.ts';

export interface RequestScope {
  tenant: Tenant;
  loaders: Loaders;
}

/**
 * A lazy scope: the first call resolves the tenant (throwing the error the caller should see
 * when it cannot) and creates the loaders; later calls return the same scope. Resolving lazily
 * keeps operations that never reach the upstream (`{ __typename }`, introspection) free of
 * credentials.
 */
export function createRequestScope(
  resolveTenant: () => Tenant,
  upstream: Pick<UpstreamClient, 'bulkGetJobs' | 'bulkGetDefinitions'>,
  callOptions: CallOptions,
): () => RequestScope {
  let scope: RequestScope | undefined;
  return () => {
    if (scope === undefined) {
      const tenant = resolveTenant();
      scope = { tenant, loaders: createLoaders(tenant, upstream, callOptions) };
    }
    return scope;
  };
}
