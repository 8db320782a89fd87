// The one Pothos schema builder: its plugins, scalar shapes and the request context type.
// Holds no domain types; each schema file adds its own.
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import { DomainError } from '../services/domain-errors.ts';
import type { SegmentJobEventService } from '../services/segment-job-event-service.ts';
import type { SegmentJobService } from '../services/segment-job-service.ts';
import type { SegmentService } from '../services/segment-service.ts';
import type { ResolvedItemsBudget } from './resolved-items.ts';

/** What every resolver receives: the request's services, already scoped to its tenant. */
export interface GatewayContext {
  /** Segment job operations of this request (tenant resolved on first use). */
  readonly jobs: SegmentJobService;
  /** Segment definition operations of this request (same tenant and loaders as `jobs`). */
  readonly segments: SegmentService;
  /** Live status streams of this subscriber's tenant. */
  readonly events: SegmentJobEventService;
  /** List items this operation may still resolve from upstream-sized data. */
  readonly resolvedItems: ResolvedItemsBudget;
}

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    /** Accepts a Date, epoch milliseconds or an ISO string; always answers ISO-8601 UTC. */
    DateTime: { Input: Date; Output: Date | number | string };
  };
}>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: {
    // Only expected failures become data; anything else stays an error and is masked.
    defaultTypes: [DomainError],
  },
});
