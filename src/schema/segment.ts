// Segment: a segment definition as a job references it (its PQL expression and merge policy).
import type { JobSegmentModel } from '../domain/index.ts';
import { builder } from './builder.ts';

export const SegmentExpression = builder
  .objectRef<{ type: string; format: string; value: string }>('SegmentExpression')
  .implement({
    description: 'The rule a segment definition evaluates.',
    fields: (t) => ({
      type: t.exposeString('type', { description: 'The expression language, e.g. PQL.' }),
      format: t.exposeString('format', {
        description: 'How value is written, e.g. pql/text or pql/json.',
      }),
      value: t.exposeString('value', { description: 'The expression itself.' }),
    }),
  });

export const MergePolicyRef = builder
  .objectRef<{ id: string; version: number }>('MergePolicyRef')
  .implement({
    description: 'The merge policy a segment definition evaluates profiles under.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'The merge policy id.' }),
      version: t.exposeFloat('version', { description: 'The merge policy version used.' }),
    }),
  });

export const Segment = builder.objectRef<JobSegmentModel>('Segment').implement({
  description: 'A segment definition a job evaluates.',
  fields: (t) => ({
    id: t.id({
      description: 'The segment definition id.',
      resolve: (segment) => segment.segment?.id ?? segment.segmentId,
    }),
    version: t.float({
      nullable: true,
      description: 'The definition version the job evaluated, when the upstream says.',
      resolve: (segment) => segment.segment?.version,
    }),
    expression: t.field({
      type: SegmentExpression,
      nullable: true,
      description: 'The definition’s expression, when the upstream includes it.',
      resolve: (segment) => segment.segment?.expression,
    }),
    mergePolicyId: t.id({
      nullable: true,
      description: 'The id of the merge policy the definition uses.',
      resolve: (segment) => segment.segment?.mergePolicyId ?? segment.segment?.mergePolicy?.id,
    }),
    mergePolicy: t.field({
      type: MergePolicyRef,
      nullable: true,
      description: 'The merge policy and its version, when the upstream includes it.',
      resolve: (segment) => segment.segment?.mergePolicy,
    }),
  }),
});
