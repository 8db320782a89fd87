// Segment: a segment definition, as a job references it (its snapshot: id, expression, merge
// policy) and as the upstream defines it now (name, description, ...), read through the request's
// definition loader only when selected; the segment(id) query. Lists of segments live beside.
import type {
  JobSegmentModel,
  MergePolicyRefModel,
  SegmentDefinitionRefModel,
  SegmentExpressionModel,
} from '../domain/index.ts';
import type { EvaluationInfoModel, SegmentDefinitionModel } from '../domain/segment-definition.ts';
import { builder, type GatewayContext } from './builder.ts';
import { DateTime } from './scalars.ts';

/**
 * What a Segment is resolved from: its id, the job's snapshot of it when a job names it, and the
 * definition when a list or lookup already read it (null: the upstream does not know it).
 */
export interface SegmentModel {
  id: string | undefined;
  ref?: SegmentDefinitionRefModel | undefined;
  definition?: SegmentDefinitionModel | null | undefined;
}

/** A job's segment entry as a Segment. */
export function segmentOfJob(segment: JobSegmentModel): SegmentModel {
  return { id: segment.segment?.id ?? segment.segmentId, ref: segment.segment };
}

/** A Segment known by id alone (a metric row, a history). */
export function segmentOfId(id: string): SegmentModel {
  return { id };
}

/** The definition behind a Segment: already read, or one loader lookup batched with all others. */
export async function definitionOf(
  segment: SegmentModel,
  context: GatewayContext,
): Promise<SegmentDefinitionModel | null> {
  if (segment.definition !== undefined) return segment.definition;
  if (segment.id === undefined) return null;
  return context.segments.definition(segment.id);
}

export const SegmentExpression = builder
  .objectRef<SegmentExpressionModel>('SegmentExpression')
  .implement({
    description: 'The rule a segment definition evaluates.',
    fields: (t) => ({
      type: t.exposeString('type', {
        nullable: true,
        description: 'The expression language, e.g. PQL; null when the upstream leaves it out.',
      }),
      format: t.exposeString('format', {
        nullable: true,
        description:
          'How value is written, e.g. pql/text or pql/json; null when the upstream leaves it out.',
      }),
      value: t.exposeString('value', {
        nullable: true,
        description: 'The expression itself; null when the upstream leaves it out.',
      }),
    }),
  });

export const MergePolicyRef = builder.objectRef<MergePolicyRefModel>('MergePolicyRef').implement({
  description: 'The merge policy a segment definition evaluates profiles under.',
  fields: (t) => ({
    id: t.exposeID('id', {
      nullable: true,
      description: 'The merge policy id; null when the upstream leaves it out.',
    }),
    version: t.exposeFloat('version', {
      nullable: true,
      description: 'The merge policy version used; null when the upstream leaves it out.',
    }),
  }),
});

export const SegmentEvaluationInfo = builder
  .objectRef<EvaluationInfoModel>('SegmentEvaluationInfo')
  .implement({
    description: 'How the definition is evaluated; a mode the upstream leaves out is null.',
    fields: (t) => ({
      batch: t.exposeBoolean('batch', {
        nullable: true,
        description: 'Evaluated by batch segmentation (segment jobs).',
      }),
      continuous: t.exposeBoolean('continuous', {
        nullable: true,
        description: 'Evaluated by streaming segmentation.',
      }),
      synchronous: t.exposeBoolean('synchronous', {
        nullable: true,
        description: 'Evaluated by edge segmentation.',
      }),
    }),
  });

const DEFINITION_FIELD =
  'Read from the current definition (one definitions bulk-get per 100 segments of the operation, only when selected); null when the definition was deleted (see isDeleted).';

export const Segment = builder.objectRef<SegmentModel>('Segment').implement({
  description:
    'A segment definition: what a job recorded of it (id, version, expression, merge policy) and the definition as it stands now (name, description, ...).',
  fields: (t) => ({
    id: t.id({
      nullable: true,
      description:
        'The segment definition id (segment.id, else segmentId); null when the upstream sends neither (both optional in its API description).',
      resolve: (segment) => segment.id,
    }),
    version: t.float({
      nullable: true,
      description: 'The definition version the job evaluated, when the upstream says.',
      resolve: (segment) => segment.ref?.version,
    }),
    expression: t.field({
      type: SegmentExpression,
      nullable: true,
      description:
        'The expression: the job’s own snapshot when the job document carries one (no upstream call), else the current definition’s.',
      resolve: async (segment, _args, context) =>
        segment.ref?.expression ?? (await definitionOf(segment, context))?.expression,
    }),
    mergePolicyId: t.id({
      nullable: true,
      description:
        'The id of the merge policy: the job’s snapshot when it carries one, else the current definition’s.',
      resolve: async (segment, _args, context) =>
        segment.ref?.mergePolicyId ??
        segment.ref?.mergePolicy?.id ??
        (await definitionOf(segment, context))?.mergePolicyId,
    }),
    mergePolicy: t.field({
      type: MergePolicyRef,
      nullable: true,
      description: 'The merge policy and its version, when the job document includes it.',
      resolve: (segment) => segment.ref?.mergePolicy,
    }),
    isDeleted: t.boolean({
      nullable: true,
      description:
        'True when the upstream no longer knows this definition (deleted since a job ran it): its definition fields are null. Null with an error when the upstream could not be asked.',
      resolve: async (segment, _args, context) =>
        segment.id !== undefined && (await definitionOf(segment, context)) === null,
    }),
    name: t.string({
      nullable: true,
      description: `The definition’s name, e.g. "Gold members in the US". ${DEFINITION_FIELD}`,
      resolve: async (segment, _args, context) => (await definitionOf(segment, context))?.name,
    }),
    description: t.string({
      nullable: true,
      description: `The definition’s description. ${DEFINITION_FIELD}`,
      resolve: async (segment, _args, context) =>
        (await definitionOf(segment, context))?.description,
    }),
    schemaName: t.string({
      nullable: true,
      description: `The XDM schema the definition applies to, e.g. _xdm.context.profile. ${DEFINITION_FIELD}`,
      resolve: async (segment, _args, context) =>
        (await definitionOf(segment, context))?.schemaName,
    }),
    evaluationInfo: t.field({
      type: SegmentEvaluationInfo,
      nullable: true,
      description: `Which evaluation modes are enabled. ${DEFINITION_FIELD}`,
      resolve: async (segment, _args, context) =>
        (await definitionOf(segment, context))?.evaluationInfo,
    }),
    creationTime: t.field({
      type: DateTime,
      nullable: true,
      description: `When the definition was created. ${DEFINITION_FIELD}`,
      resolve: async (segment, _args, context) =>
        (await definitionOf(segment, context))?.creationTime,
    }),
    updateTime: t.field({
      type: DateTime,
      nullable: true,
      description: `When the definition last changed. ${DEFINITION_FIELD}`,
      resolve: async (segment, _args, context) =>
        (await definitionOf(segment, context))?.updateTime,
    }),
    creationTimeMs: t.float({
      nullable: true,
      description: 'When the definition was created, in epoch milliseconds.',
      resolve: async (segment, _args, context) =>
        (await definitionOf(segment, context))?.creationTime,
    }),
    updateTimeMs: t.float({
      nullable: true,
      description: 'When the definition last changed, in epoch milliseconds.',
      resolve: async (segment, _args, context) =>
        (await definitionOf(segment, context))?.updateTime,
    }),
  }),
});

builder.queryFields((t) => ({
  segment: t.field({
    type: Segment,
    nullable: true,
    description:
      'One segment definition; null when the upstream does not know it (for this tenant). Lookups anywhere in one operation share one definitions bulk-get per 100 ids.',
    args: { id: t.arg.id({ required: true, description: 'The segment definition id.' }) },
    resolve: async (_root, { id }, context) => {
      const definition = await context.segments.get(id);
      return definition === null ? null : { id: definition.id, definition };
    },
  }),
}));
