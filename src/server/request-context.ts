// The GraphQL context of one operation: the caller's tenant (resolved once, on first use), the
// job and segment services sharing its loaders, the budget of list items it may resolve, and the request's
// upstream call counter for the log line.
import { createGraphQLError } from 'graphql-yoga';
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import type { GatewayContext } from '../schema/index.ts';
import { createResolvedItemsBudget } from '../schema/resolved-items.ts';
import { createRequestScope } from '../services/request-scope.ts';
import { createSegmentJobEventService } from '../services/segment-job-event-service.ts';
import { createSegmentJobService } from '../services/segment-job-service.ts';
import { createSegmentService } from '../services/segment-service.ts';
import type { SubscriptionQuota } from '../services/subscription-quota.ts';
import { TenantAuthError, type TenantResolver } from '../tenants/index.ts';
import type { UpstreamCallEvent, UpstreamClient } from '../upstream/types.ts';
import type { Watcher } from '../watcher/index.ts';

/** What the server records about one operation, for its log line. */
export interface RequestState {
  /** Upstream HTTP attempts made for this operation so far. */
  upstreamCalls: number;
  /** Set once the caller's tenant is resolved. */
  tenant: Tenant | undefined;
}

export interface RequestContext extends GatewayContext {
  readonly requestState: RequestState;
  /** The caller's tenant from its credentials; throws UNAUTHENTICATED when they are refused. */
  resolveTenant(): Tenant;
}

/** What yoga (HTTP) or graphql-ws hands the context factory. */
export interface InitialContext {
  request?: { headers: Headers; signal?: AbortSignal | undefined } | undefined;
  /** Present for operations over graphql-ws: the `connection_init` payload. */
  connectionParams?: unknown;
  /** Jobs just observed by the watcher, put in the job loader before any lookup (live queries). */
  primedJobs?: readonly SegmentJobModel[] | undefined;
}

export interface RequestContextOptions {
  tenants: Pick<TenantResolver, 'fromHeaders' | 'fromConnectionParams'>;
  upstream: UpstreamClient;
  /** Live status streams; also told about jobs created or cancelled here. */
  watcher: Watcher;
  /** Open subscriptions per tenant, across WebSocket and SSE. */
  subscriptionQuota: SubscriptionQuota;
  /** List items one execution may resolve (`GRAPHQL_MAX_RESOLVED_ITEMS`). */
  maxResolvedItems: number;
  /** Called for every upstream HTTP attempt, after the per-request count. */
  onUpstreamCall?: ((event: UpstreamCallEvent) => void) | undefined;
}

function unauthenticated(error: TenantAuthError) {
  return createGraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED' } });
}

/** Creates the context of one operation from what the transport received. */
export function createRequestContext(
  initial: InitialContext,
  options: RequestContextOptions,
): RequestContext {
  const requestState: RequestState = { upstreamCalls: 0, tenant: undefined };
  const isWebSocket = 'connectionParams' in initial;
  const resolveTenant = (): Tenant => {
    try {
      const tenant = isWebSocket
        ? options.tenants.fromConnectionParams(initial.connectionParams)
        : options.tenants.fromHeaders(initial.request?.headers ?? new Headers());
      requestState.tenant = tenant;
      return tenant;
    } catch (error) {
      // Refused before any upstream call, with the header at fault named and no value echoed.
      throw error instanceof TenantAuthError ? unauthenticated(error) : error;
    }
  };
  const callOptions = {
    signal: initial.request?.signal,
    onCall: (event: UpstreamCallEvent) => {
      requestState.upstreamCalls += 1;
      options.onUpstreamCall?.(event);
    },
  };
  // One tenant and one set of loaders for the whole operation, shared by jobs and segments.
  const lazyScope = createRequestScope(resolveTenant, options.upstream, callOptions);
  let isPrimed = initial.primedJobs === undefined || initial.primedJobs.length === 0;
  const scope: typeof lazyScope = () => {
    const made = lazyScope();
    if (!isPrimed) {
      isPrimed = true;
      made.loaders.primeJobs(initial.primedJobs ?? []);
    }
    return made;
  };
  const jobs = createSegmentJobService({
    resolveTenant,
    upstream: options.upstream,
    callOptions,
    scope,
    onJobChanged: (tenant, jobId, job) => options.watcher.nudge(tenant, jobId, job),
  });
  const events = createSegmentJobEventService({
    resolveTenant,
    watcher: options.watcher,
    quota: options.subscriptionQuota,
  });
  const segments = createSegmentService({ scope, upstream: options.upstream, callOptions });
  const resolvedItems = createResolvedItemsBudget(options.maxResolvedItems);
  return { jobs, segments, events, resolvedItems, requestState, resolveTenant };
}
