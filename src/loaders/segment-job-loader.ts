// The per-request, per-tenant DataLoader for segment jobs: every lookup of one operation goes
// out as one bulk-get. It must never outlive its request or serve another tenant.
import DataLoader from 'dataloader';
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import { UpstreamNotFoundError } from '../upstream/errors.ts';
import type { CallOptions, UpstreamClient } from '../upstream/types.ts';

/** A job by id; `null` when the upstream does not know it for this tenant. */
export type SegmentJobLoader = DataLoader<string, SegmentJobModel | null>;

/**
 * Creates the segment job loader of one request and tenant. One `bulkGetJobs` call per batch
 * (the client chunks by its bulk-get limit); a per-id error is cached for that id, a failed
 * batch is not cached at all, so a later lookup asks again.
 */
export function createSegmentJobLoader(
  tenant: Tenant,
  upstream: Pick<UpstreamClient, 'bulkGetJobs'>,
  callOptions: CallOptions,
): SegmentJobLoader {
  return new DataLoader<string, SegmentJobModel | null>(
    async (ids) => {
      const results = await upstream.bulkGetJobs(tenant, ids, callOptions);
      return ids.map((id) => {
        const result = results.get(id);
        // A missing entry and a not-found entry mean the same to a caller: no such job.
        if (result === undefined || result instanceof UpstreamNotFoundError) return null;
        return result;
      });
    },
    // The client chunks per bulk-get limit, so one batch may hold any number of ids.
    { maxBatchSize: Number.POSITIVE_INFINITY },
  );
}
