// Who is asking: the credentials of one org and sandbox, and the key that scopes every cache,
// loader, watched set and pubsub topic. Pure: no I/O of its own, no globals.

/**
 * A caller of the upstream. Either passthrough (the client's own four headers) or service
 * (the gateway's credential, with a token it obtains and renews).
 */
export interface Tenant {
  /** Stable and opaque: a hash of org, sandbox and credential identity. Never shared across tenants. */
  readonly key: string;
  readonly orgId: string;
  readonly sandboxName: string;
  /** Sent as `x-api-key`. */
  readonly apiKey: string;
  /** `'passthrough'` or `'service'`, for logs. */
  readonly mode: 'passthrough' | 'service';
  /**
   * The `Authorization` header value. A service tenant obtains its token on first use, caches it
   * and renews it before expiry; `forceRefresh` renews it now (after an upstream 401).
   */
  authorization(options?: { forceRefresh?: boolean }): Promise<string>;
  /** True when `authorization({forceRefresh: true})` can yield a different token. */
  readonly canRenew: boolean;
}
