// SegmentJobMetrics: the upstream's metric maps turned into lists (GraphQL has no maps), with a
// per-segment roll-up. Counts are Float so values beyond 2^31 serialize.
import type { SegmentJobMetricsModel, TimeWindowModel } from '../domain/index.ts';
import { builder } from './builder.ts';
import { DateTime } from './scalars.ts';

export interface SegmentMetricsModel {
  segmentId: string;
  qualified: number | undefined;
  realized: number | undefined;
  exited: number | undefined;
  byNamespace: { namespace: string; count: number }[];
}

/**
 * Joins the upstream's per-segment maps (`segmentedProfileCounter`, `...ByNamespaceCounter`,
 * `...ByStatusCounter`) into one entry per segment id, in the order ids first appear.
 */
export function segmentMetricsOf(metrics: SegmentJobMetricsModel): SegmentMetricsModel[] {
  const counter = metrics.segmentedProfileCounter ?? {};
  const byNamespace = metrics.segmentedProfileByNamespaceCounter ?? {};
  const byStatus = metrics.segmentedProfileByStatusCounter ?? {};
  const ids = new Set([
    ...Object.keys(counter),
    ...Object.keys(byNamespace),
    ...Object.keys(byStatus),
  ]);
  return [...ids].map((segmentId) => ({
    segmentId,
    qualified: counter[segmentId],
    // `existing` was deprecated upstream in 2023; only realized and exited remain.
    realized: byStatus[segmentId]?.realized,
    exited: byStatus[segmentId]?.exited,
    byNamespace: Object.entries(byNamespace[segmentId] ?? {}).map(([namespace, count]) => ({
      namespace,
      count,
    })),
  }));
}

export const TimeWindow = builder.objectRef<TimeWindowModel>('TimeWindow').implement({
  description: 'A start/end/total time window. While a job runs, parts are missing (null).',
  fields: (t) => ({
    startTimeInMs: t.float({
      nullable: true,
      description: 'Start, in epoch milliseconds.',
      resolve: (window) => window.startTimeInMs,
    }),
    endTimeInMs: t.float({
      nullable: true,
      description: 'End, in epoch milliseconds.',
      resolve: (window) => window.endTimeInMs,
    }),
    totalTimeInMs: t.float({
      nullable: true,
      description: 'Duration in milliseconds.',
      resolve: (window) => window.totalTimeInMs,
    }),
    startTime: t.field({
      type: DateTime,
      nullable: true,
      description: 'Start, as a DateTime.',
      resolve: (window) => window.startTimeInMs,
    }),
    endTime: t.field({
      type: DateTime,
      nullable: true,
      description: 'End, as a DateTime.',
      resolve: (window) => window.endTimeInMs,
    }),
  }),
});

export const NamespaceCount = builder
  .objectRef<{ namespace: string; count: number }>('NamespaceCount')
  .implement({
    description: 'Profiles that qualified for a segment, by identity namespace.',
    fields: (t) => ({
      namespace: t.exposeString('namespace', { description: 'The identity namespace code.' }),
      count: t.exposeFloat('count', {
        description: 'Profiles with an identity in that namespace.',
      }),
    }),
  });

export const SegmentMetrics = builder.objectRef<SegmentMetricsModel>('SegmentMetrics').implement({
  description: 'The counts of one segment definition in a job.',
  fields: (t) => ({
    segmentId: t.exposeID('segmentId', { description: 'The segment definition id.' }),
    qualified: t.float({
      nullable: true,
      description: 'Profiles that qualified in this run.',
      resolve: (entry) => entry.qualified,
    }),
    realized: t.float({
      nullable: true,
      description: 'Profiles that entered the segment in this run.',
      resolve: (entry) => entry.realized,
    }),
    exited: t.float({
      nullable: true,
      description: 'Profiles that left the segment in this run.',
      resolve: (entry) => entry.exited,
    }),
    byNamespace: t.field({
      type: [NamespaceCount],
      description: 'Qualified profiles by identity namespace; empty when not reported.',
      resolve: (entry) => entry.byNamespace,
    }),
  }),
});

export const MergePolicyProfileCount = builder
  .objectRef<{ mergePolicyId: string; count: number }>('MergePolicyProfileCount')
  .implement({
    description: 'Profiles evaluated under one merge policy.',
    fields: (t) => ({
      mergePolicyId: t.exposeID('mergePolicyId', { description: 'The merge policy id.' }),
      count: t.exposeFloat('count', { description: 'Profiles evaluated under it.' }),
    }),
  });

export const SegmentJobMetrics = builder
  .objectRef<SegmentJobMetricsModel>('SegmentJobMetrics')
  .implement({
    description: 'What a job measured. Partial while the job runs.',
    fields: (t) => ({
      totalProfiles: t.float({
        nullable: true,
        description:
          'Profiles evaluated. Counts can exceed 2^31: never fail to serialize a large count.',
        resolve: (metrics) => metrics.totalProfiles,
      }),
      totalTime: t.field({
        type: TimeWindow,
        nullable: true,
        description: 'The whole job, from start to end.',
        resolve: (metrics) => metrics.totalTime,
      }),
      profileSegmentationTime: t.field({
        type: TimeWindow,
        nullable: true,
        description: 'The segmentation phase alone.',
        resolve: (metrics) => metrics.profileSegmentationTime,
      }),
      segments: t.field({
        type: [SegmentMetrics],
        description: 'One entry per segment definition, joining the upstream’s per-segment maps.',
        resolve: (metrics) => segmentMetricsOf(metrics),
      }),
      totalProfilesByMergePolicy: t.field({
        type: [MergePolicyProfileCount],
        description: 'Profiles evaluated, per merge policy; empty when not reported.',
        resolve: (metrics) =>
          Object.entries(metrics.totalProfilesByMergePolicy ?? {}).map(
            ([mergePolicyId, count]) => ({ mergePolicyId, count }),
          ),
      }),
    }),
  });
