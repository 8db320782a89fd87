// SegmentJobMetrics: the upstream's metric maps turned into lists (GraphQL has no maps), with a
// per-segment roll-up. Counts are Float so values beyond 2^31 serialize. Every list charges the
// operation's resolved-items budget before it is built, and a map is read only when selected.
import type { SegmentJobMetricsModel, TimeWindowModel } from '../domain/index.ts';
import { toQueryError } from '../services/upstream-error-mapping.ts';
import { builder } from './builder.ts';
import { type ItemCharge, itemChargeOf, UNLIMITED_ITEMS } from './resolved-items.ts';
import { DateTime } from './scalars.ts';
import { Segment, segmentOfId } from './segment.ts';

export interface SegmentMetricsModel {
  segmentId: string;
  qualified: number | undefined;
  realized: number | undefined;
  exited: number | undefined;
  /** The segment's counts by namespace as the upstream sent them; listed when selected. */
  namespaces: Readonly<Record<string, number>> | undefined;
}

/**
 * Joins the upstream's per-segment maps (`segmentedProfileCounter`, `...ByNamespaceCounter`,
 * `...ByStatusCounter`) into one entry per segment id, in the order ids first appear. Charges
 * `items` one per entry before building any, and refuses as soon as the ids seen so far (or one
 * map alone) pass what is left, before reading the next map.
 */
export function segmentMetricsOf(
  metrics: SegmentJobMetricsModel,
  items: ItemCharge = UNLIMITED_ITEMS,
): SegmentMetricsModel[] {
  items.check(0);
  const ids = new Set<string>();
  const addIds = (map: Readonly<Record<string, unknown>> | undefined): void => {
    if (map === undefined) return;
    const keys = Object.keys(map);
    // The union is at least as large as either part: refuse before building it.
    items.check(Math.max(ids.size, keys.length));
    for (const key of keys) ids.add(key);
    items.check(ids.size);
  };
  const counter = metrics.segmentedProfileCounter;
  addIds(counter);
  const byNamespace = metrics.segmentedProfileByNamespaceCounter;
  addIds(byNamespace);
  const byStatus = metrics.segmentedProfileByStatusCounter;
  addIds(byStatus);
  items.charge(ids.size);
  const entries: SegmentMetricsModel[] = [];
  for (const segmentId of ids) {
    const status = byStatus?.[segmentId];
    entries.push({
      segmentId,
      qualified: counter?.[segmentId],
      // `existing` was deprecated upstream in 2023; only realized and exited remain.
      realized: status?.realized,
      exited: status?.exited,
      namespaces: byNamespace?.[segmentId],
    });
  }
  return entries;
}

/** A counter map as a list of `[key, count]`, charged to `items` before it is built. */
export function counterEntries(
  counter: Readonly<Record<string, number>> | undefined,
  items: ItemCharge = UNLIMITED_ITEMS,
): [string, number][] {
  items.check(0);
  if (counter === undefined) return [];
  const keys = Object.keys(counter);
  items.charge(keys.length);
  return keys.map((key) => [key, counter[key] as number]);
}

// A metric map is read (and checked) on first use; one the upstream sent malformed fails here
// as an upstream error, and only the metrics of that job.
function readingMaps<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw toQueryError(error);
  }
}

export const TimeWindow = builder.objectRef<TimeWindowModel>('TimeWindow').implement({
  description: 'A start/end/total time window. While a job runs, parts are missing (null).',
  fields: (t) => ({
    startTimeInMs: t.exposeFloat('startTimeInMs', {
      nullable: true,
      description: 'Start, in epoch milliseconds.',
    }),
    endTimeInMs: t.exposeFloat('endTimeInMs', {
      nullable: true,
      description: 'End, in epoch milliseconds.',
    }),
    totalTimeInMs: t.exposeFloat('totalTimeInMs', {
      nullable: true,
      description: 'Duration in milliseconds.',
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
    segment: t.field({
      type: Segment,
      description:
        'The segment definition these counts are for; its definition fields (name, ...) are read through the same loader as a job’s segments.',
      resolve: (entry) => segmentOfId(entry.segmentId),
    }),
    qualified: t.exposeFloat('qualified', {
      nullable: true,
      description: 'Profiles that qualified in this run.',
    }),
    realized: t.exposeFloat('realized', {
      nullable: true,
      description: 'Profiles that entered the segment in this run.',
    }),
    exited: t.exposeFloat('exited', {
      nullable: true,
      description: 'Profiles that left the segment in this run.',
    }),
    byNamespace: t.field({
      type: [NamespaceCount],
      description:
        'Qualified profiles by identity namespace; empty when not reported. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS).',
      resolve: (entry, _args, context, info) =>
        counterEntries(entry.namespaces, itemChargeOf(context.resolvedItems, info)).map(
          ([namespace, count]) => ({ namespace, count }),
        ),
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
      totalProfiles: t.exposeFloat('totalProfiles', {
        nullable: true,
        description:
          'Profiles evaluated. Counts can exceed 2^31: never fail to serialize a large count.',
      }),
      totalTime: t.expose('totalTime', {
        type: TimeWindow,
        nullable: true,
        description: 'The whole job, from start to end.',
      }),
      profileSegmentationTime: t.expose('profileSegmentationTime', {
        type: TimeWindow,
        nullable: true,
        description: 'The segmentation phase alone.',
      }),
      segments: t.field({
        type: [SegmentMetrics],
        description:
          'One entry per segment definition, joining the upstream’s per-segment maps. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS, 20000 by default); past it the operation ends with a BAD_USER_INPUT error.',
        resolve: (metrics, _args, context, info) =>
          readingMaps(() => segmentMetricsOf(metrics, itemChargeOf(context.resolvedItems, info))),
      }),
      totalProfilesByMergePolicy: t.field({
        type: [MergePolicyProfileCount],
        description:
          'Profiles evaluated, per merge policy; empty when not reported. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS).',
        resolve: (metrics, _args, context, info) => {
          const items = itemChargeOf(context.resolvedItems, info);
          // Past the budget already: refused before the map is read.
          items.check(0);
          return readingMaps(() =>
            counterEntries(metrics.totalProfilesByMergePolicy, items).map(
              ([mergePolicyId, count]) => ({ mergePolicyId, count }),
            ),
          );
        },
      }),
    }),
  });
