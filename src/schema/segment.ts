// Segment: a segment definition as a job references it (its PQL expression and merge policy).
// Adobe's OpenAPI requires none of these parts, so each is null when the upstream leaves it out.
import type {
  JobSegmentModel,
  MergePolicyRefModel,
  SegmentExpressionModel,
} from '../domain/index.ts';
import { builder } from './builder.ts';

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

export const Segment = builder.objectRef<JobSegmentModel>('Segment').implement({
  description: 'A segment definition a job evaluates.',
  fields: (t) => ({
    id: t.id({
      nullable: true,
      description:
        'The segment definition id (segment.id, else segmentId); null when the upstream sends neither (both optional in its API description).',
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
