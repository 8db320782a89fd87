// The per-request, per-tenant DataLoader for segment definitions: every definition a operation
// needs (on jobs, in metrics, in lists) goes out as one definitions bulk-get per 100 ids. It must
// never outlive its request or serve another tenant.
import DataLoader from 'dataloader';
import type { Tenant } from '../domain/index.ts';
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import { UpstreamNotFoundError } from '../upstream/errors.ts';
import type { CallOptions, UpstreamClient } from '../upstream/types.ts';

/** A definition by id; `null` when the upstream does not know it (deleted) for this tenant. */
export type SegmentDefinitionLoader = DataLoader<string, SegmentDefinitionModel | null>;

/**
 * Creates the definition loader of one request and tenant, on the job loader's contract: one
 * `bulkGetDefinitions` call per batch (the client chunks by 100), a per-id error cached for that
 * id, a failed batch not cached.
 */
export function createSegmentDefinitionLoader(
  tenant: Tenant,
  upstream: Pick<UpstreamClient, 'bulkGetDefinitions'>,
  callOptions: CallOptions,
): SegmentDefinitionLoader {
  return new DataLoader<string, SegmentDefinitionModel | null>(
    async (ids) => {
      const results = await upstream.bulkGetDefinitions(tenant, ids, callOptions);
      return ids.map((id) => {
        const result = results.get(id);
        if (result === undefined || result instanceof UpstreamNotFoundError) return null;
        return result;
      });
    },
    { maxBatchSize: Number.POSITIVE_INFINITY },
  );
}
