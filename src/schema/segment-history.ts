// SegmentHistoryPoint and Segment.history: one point per successful run of a definition, newest
// last, read from the jobs list filtered by the definition (one list call per 100 points). Counts
// are Float (they may pass 2^31); every point and namespace row charges the resolved-items budget.
import type { SegmentHistoryPointModel } from '../services/segment-service.ts';
import { HISTORY_POINTS_PER_CALL } from '../services/segment-service.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { itemChargeOf } from './resolved-items.ts';
import { DateTime } from './scalars.ts';
import { Segment } from './segment.ts';
import { counterEntries, NamespaceCount } from './segment-job-metrics.ts';

/** Points one history call returns at most. */
export const MAX_HISTORY_POINTS = 500;
export const DEFAULT_HISTORY_POINTS = 20;

export const SegmentHistoryPoint = builder
  .objectRef<SegmentHistoryPointModel>('SegmentHistoryPoint')
  .implement({
    description: 'The counts of one segment definition in one successful job.',
    fields: (t) => ({
      jobId: t.exposeID('jobId', { description: 'The job that ran the definition.' }),
      runTime: t.field({
        type: DateTime,
        nullable: true,
        description: 'When the job was created: the order of the history.',
        resolve: (point) => point.creationTime,
      }),
      runTimeMs: t.float({
        nullable: true,
        description: 'runTime in epoch milliseconds.',
        resolve: (point) => point.creationTime,
      }),
      endTime: t.field({
        type: DateTime,
        nullable: true,
        description: 'When the job finished (metrics.totalTime.endTimeInMs).',
        resolve: (point) => point.endTime,
      }),
      qualified: t.float({
        nullable: true,
        description: 'Profiles in the segment after this run; null when the job did not report it.',
        resolve: (point) => point.qualified,
      }),
      realized: t.float({
        nullable: true,
        description: 'Profiles that entered the segment in this run.',
        resolve: (point) => point.realized,
      }),
      exited: t.float({
        nullable: true,
        description: 'Profiles that left the segment in this run.',
        resolve: (point) => point.exited,
      }),
      byNamespace: t.field({
        type: [NamespaceCount],
        description:
          'Qualified profiles by identity namespace; empty when not reported. Each entry counts toward the operation’s resolved-items limit.',
        resolve: (point, _args, context, info) =>
          counterEntries(point.namespaces, itemChargeOf(context.resolvedItems, info)).map(
            ([namespace, count]) => ({ namespace, count }),
          ),
      }),
    }),
  });

builder.objectField(Segment, 'history', (t) =>
  t.field({
    type: [SegmentHistoryPoint],
    nullable: true,
    description: `The last \`last\` successful runs of this definition, newest last: one point per SUCCEEDED job that named the definition (the upstream's \`segments~segmentId==<id>\` filter), with the counts that job reported for it. Jobs that evaluated every definition (\`*\`) are not included: the filter cannot find them, though their metrics hold this definition's counts (read them from segmentJobs). One upstream list call per ${HISTORY_POINTS_PER_CALL} points. Null for a segment without an id. Each point counts toward the operation’s resolved-items limit.`,
    args: {
      last: t.arg.int({
        defaultValue: DEFAULT_HISTORY_POINTS,
        description: `Points, 1 to ${MAX_HISTORY_POINTS}.`,
      }),
    },
    resolve: async (segment, args, context, info) => {
      const last = args.last ?? DEFAULT_HISTORY_POINTS;
      if (last < 1 || last > MAX_HISTORY_POINTS) {
        throw badUserInput(`last: expected 1 to ${MAX_HISTORY_POINTS}, but got ${last}`);
      }
      if (segment.id === undefined) return null;
      const items = itemChargeOf(context.resolvedItems, info);
      items.check(0);
      const points = await context.segments.history(segment.id, last);
      items.charge(points.length);
      return points;
    },
  }),
);
