// Open subscriptions per tenant, over every transport (WebSocket and SSE alike). It only counts;
// the event service takes a slot when a stream starts and gives it back once when it ends.
import { createGraphQLError } from 'graphql-yoga';

export interface SubscriptionQuota {
  /** Takes a slot for the tenant, or throws RATE_LIMITED at the limit. Returns its release. */
  acquire(tenantKey: string): () => void;
  /** Open subscriptions of the tenant right now. */
  count(tenantKey: string): number;
  /** Open subscriptions of every tenant right now. */
  total(): number;
}

/** @param maxPerTenant open subscriptions one tenant may hold across all connections. */
export function createSubscriptionQuota(maxPerTenant: number): SubscriptionQuota {
  const open = new Map<string, number>();
  return {
    acquire(tenantKey) {
      const current = open.get(tenantKey) ?? 0;
      if (current >= maxPerTenant) {
        throw createGraphQLError(
          `Too many subscriptions for this tenant: the limit is ${maxPerTenant}. Complete one before starting another.`,
          { extensions: { code: 'RATE_LIMITED' } },
        );
      }
      open.set(tenantKey, current + 1);
      let isReleased = false;
      return () => {
        if (isReleased) return;
        isReleased = true;
        const left = (open.get(tenantKey) ?? 1) - 1;
        if (left <= 0) open.delete(tenantKey);
        else open.set(tenantKey, left);
      };
    },
    count: (tenantKey) => open.get(tenantKey) ?? 0,
    total() {
      let sum = 0;
      for (const count of open.values()) sum += count;
      return sum;
    },
  };
}
