// SegmentJob: the job type, its status enum, and the fields that read or change one job
// (segmentJob, segmentJobsByIds, createSegmentJob, cancelSegmentJob).
import {
  isAllSegmentsJob,
  isFinal,
  SEGMENT_JOB_STATUSES,
  type SegmentJobModel,
  type SegmentJobStatus as SegmentJobStatusModel,
} from '../domain/index.ts';
import {
  NotFoundError,
  RateLimitedError,
  UpstreamFailureError,
  ValidationError,
} from '../services/domain-errors.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { DateTime } from './scalars.ts';
import { Segment, segmentOfJob } from './segment.ts';
import { SegmentJobMetrics } from './segment-job-metrics.ts';

/** Ids one `segmentJobsByIds` call accepts. */
export const MAX_IDS_PER_LOOKUP = 100;

const STATUS_DESCRIPTIONS: Record<SegmentJobStatusModel, string> = {
  NEW: 'Created, not yet queued.',
  QUEUED: 'Waiting for compute.',
  PROCESSING: 'Evaluating profiles.',
  SUCCEEDED: 'Finished; metrics are complete. Final.',
  FAILED: 'Finished with errors (see errors). Final.',
  CANCELLING: 'A cancel was requested; the job is stopping.',
  CANCELLED: 'Stopped by a cancel. Final.',
};

export const SegmentJobStatus = builder.enumType('SegmentJobStatus', {
  description:
    'Where a job is in its lifecycle: NEW → QUEUED → PROCESSING → SUCCEEDED or FAILED; a cancel goes through CANCELLING to CANCELLED.',
  values: Object.fromEntries(
    SEGMENT_JOB_STATUSES.map((status) => [
      status,
      { value: status, description: STATUS_DESCRIPTIONS[status] },
    ]),
  ) as Record<SegmentJobStatusModel, { value: SegmentJobStatusModel; description: string }>,
});

export const Sandbox = builder
  .objectRef<NonNullable<SegmentJobModel['sandbox']>>('Sandbox')
  .implement({
    description: 'The sandbox a job runs in.',
    fields: (t) => ({
      sandboxId: t.exposeString('sandboxId', { nullable: true, description: 'The sandbox id.' }),
      sandboxName: t.exposeString('sandboxName', {
        nullable: true,
        description:
          'The sandbox name (as sent in x-sandbox-name); null when the upstream leaves it out (optional in its API description).',
      }),
      type: t.exposeString('type', {
        nullable: true,
        description: 'production or development.',
      }),
      isDefault: t.boolean({
        nullable: true,
        description: 'True for the org’s default sandbox.',
        resolve: (sandbox) => sandbox.default,
      }),
    }),
  });

export const SegmentJobProperties = builder
  .objectRef<NonNullable<SegmentJobModel['properties']>>('SegmentJobProperties')
  .implement({
    description: 'Scheduling details of a job started by a schedule.',
    fields: (t) => ({
      scheduleId: t.exposeString('scheduleId', {
        nullable: true,
        description: 'The schedule that started the job.',
      }),
      runId: t.exposeString('runId', { nullable: true, description: 'The schedule’s run id.' }),
    }),
  });

export const SegmentJobErrorDetail = builder
  .objectRef<NonNullable<SegmentJobModel['errors']>[number]>('SegmentJobErrorDetail')
  .implement({
    description: 'An error the upstream recorded on a job (e.g. why it FAILED).',
    fields: (t) => ({
      code: t.exposeString('code', { nullable: true, description: 'The upstream’s error code.' }),
      message: t.string({
        nullable: true,
        description: 'The upstream’s message.',
        resolve: (error) => error.msg,
      }),
    }),
  });

export const SegmentJob = builder.objectRef<SegmentJobModel>('SegmentJob').implement({
  description: 'An asynchronous run that evaluates segment definitions over the profile store.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The job id.' }),
    status: t.expose('status', {
      type: SegmentJobStatus,
      description: 'The lifecycle status.',
    }),
    isFinal: t.boolean({
      description: 'True once the status can no longer change (SUCCEEDED, FAILED, CANCELLED).',
      resolve: (job) => isFinal(job.status),
    }),
    allSegments: t.boolean({
      description:
        "True when the job runs every segment definition (the upstream shows segmentId '*').",
      resolve: (job) => isAllSegmentsJob(job),
    }),
    segments: t.field({
      type: [Segment],
      description:
        'The definitions the job evaluates; empty when allSegments is true. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS).',
      resolve: (job, _args, context, info) => {
        if (isAllSegmentsJob(job)) return [];
        context.resolvedItems.charge(job.segments.length, info);
        return job.segments.map(segmentOfJob);
      },
    }),
    metrics: t.expose('metrics', {
      type: SegmentJobMetrics,
      nullable: true,
      description: 'What the job measured; partial while it runs, null before it starts.',
    }),
    creationTime: t.expose('creationTime', {
      type: DateTime,
      nullable: true,
      description: 'When the job was created.',
    }),
    updateTime: t.expose('updateTime', {
      type: DateTime,
      nullable: true,
      description: 'When the job last changed.',
    }),
    creationTimeMs: t.float({
      nullable: true,
      description: 'When the job was created, in epoch milliseconds (as the upstream sent it).',
      resolve: (job) => job.creationTime,
    }),
    updateTimeMs: t.float({
      nullable: true,
      description: 'When the job last changed, in epoch milliseconds (as the upstream sent it).',
      resolve: (job) => job.updateTime,
    }),
    updateEpoch: t.exposeFloat('updateEpoch', {
      nullable: true,
      description: 'When the job last changed, in epoch seconds (as the upstream sent it).',
    }),
    source: t.exposeString('source', {
      nullable: true,
      description: 'What started the job, e.g. scheduler or api.',
    }),
    imsOrgId: t.exposeString('imsOrgId', {
      nullable: true,
      description:
        'The IMS organization that owns the job; null when the upstream leaves it out (optional in its API description; the job is then the caller’s org’s).',
    }),
    sandbox: t.expose('sandbox', {
      type: Sandbox,
      nullable: true,
      description: 'The sandbox the job runs in.',
    }),
    profileInstanceId: t.exposeString('profileInstanceId', {
      nullable: true,
      description: 'The profile store instance, e.g. ups.',
    }),
    batchId: t.exposeString('batchId', {
      nullable: true,
      description: 'The batch the job wrote its results to.',
    }),
    computeJobId: t.exposeFloat('computeJobId', {
      nullable: true,
      description: 'The numeric id of the compute job.',
    }),
    computeGatewayJobId: t.exposeString('computeGatewayJobId', {
      nullable: true,
      description: 'The id of the job at the compute gateway.',
    }),
    requestId: t.exposeString('requestId', {
      nullable: true,
      description: 'The upstream request that created the job.',
    }),
    schemaName: t.string({
      nullable: true,
      description: 'The XDM schema evaluated, e.g. _xdm.context.profile.',
      resolve: (job) => job.schema?.name,
    }),
    properties: t.expose('properties', {
      type: SegmentJobProperties,
      nullable: true,
      description: 'Scheduling details, when a schedule started the job.',
    }),
    errors: t.field({
      type: [SegmentJobErrorDetail],
      description:
        'Errors the upstream recorded on the job; empty when none. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS).',
      resolve: (job, _args, context, info) => {
        const errors = job.errors ?? [];
        context.resolvedItems.charge(errors.length, info);
        return errors;
      },
    }),
  }),
});

function checkId(id: string, argument: string): void {
  if (id.trim() === '') throw badUserInput(`${argument}: expected a non-empty job id, but got ""`);
}

builder.queryType({ description: 'Read segment jobs of the caller’s org and sandbox.' });
builder.mutationType({ description: 'Create and cancel segment jobs.' });

builder.queryFields((t) => ({
  segmentJob: t.field({
    type: SegmentJob,
    nullable: true,
    description: 'One job; null when the upstream does not know it (for this tenant).',
    args: { id: t.arg.id({ required: true, description: 'The job id.' }) },
    resolve: (_root, { id }, context) => {
      checkId(id, 'id');
      return context.jobs.get(id);
    },
  }),
  segmentJobsByIds: t.field({
    type: [SegmentJob],
    nullable: { list: false, items: true },
    description: `Many jobs by id (1..${MAX_IDS_PER_LOOKUP}), in the order asked; null for an id the upstream does not know, and null with an error at its index for a job the upstream could not return (e.g. UPSTREAM_UNAVAILABLE); the others still arrive.`,
    args: {
      ids: t.arg.idList({ required: true, description: `1 to ${MAX_IDS_PER_LOOKUP} job ids.` }),
    },
    resolve: async (_root, { ids }, context) => {
      if (ids.length < 1 || ids.length > MAX_IDS_PER_LOOKUP) {
        throw badUserInput(
          `ids: expected 1 to ${MAX_IDS_PER_LOOKUP} job ids, but got ${ids.length}`,
        );
      }
      for (const [index, id] of ids.entries()) checkId(id, `ids[${index}]`);
      const results = await context.jobs.getMany(ids);
      // A failed item is null with its own error at its index; the others still arrive.
      return results.map((result) => (result instanceof Error ? Promise.reject(result) : result));
    },
  }),
}));

const mutationErrorTypes = [ValidationError, NotFoundError, RateLimitedError, UpstreamFailureError];

export const CreateSegmentJobInput = builder.inputType('CreateSegmentJobInput', {
  description: 'Exactly one of segmentIds (1..1500 ids) or allSegments: true.',
  fields: (t) => ({
    segmentIds: t.idList({
      description: 'The segment definitions to evaluate: 1 to 1500 distinct, non-empty ids.',
    }),
    allSegments: t.boolean({ description: 'true: evaluate every segment definition.' }),
    schemaName: t.string({
      defaultValue: '_xdm.context.profile',
      description: 'The XDM schema an all-segments job evaluates.',
    }),
  }),
});

builder.mutationFields((t) => ({
  createSegmentJob: t.field({
    type: SegmentJob,
    description:
      'Starts a job. Expected failures (bad input, unknown definitions, too many jobs in progress, upstream down) are returned as typed errors.',
    args: {
      input: t.arg({
        type: CreateSegmentJobInput,
        required: true,
        description: 'What to evaluate.',
      }),
    },
    errors: {
      types: mutationErrorTypes,
      union: {
        name: 'CreateSegmentJobResult',
        description: 'The created job, or why it was not created.',
      },
      result: {
        name: 'CreateSegmentJobSuccess',
        description: 'The job was created.',
      },
      dataField: { name: 'job', description: 'The new job, as the upstream created it (NEW).' },
    },
    resolve: (_root, { input }, context) => context.jobs.create(input),
  }),
  cancelSegmentJob: t.field({
    type: SegmentJob,
    description:
      'Cancels a job. A running job moves to CANCELLING, then CANCELLED. A job that had already finished is deleted by the upstream; the answer is then its last known state.',
    args: { id: t.arg.id({ required: true, description: 'The job to cancel.' }) },
    errors: {
      types: mutationErrorTypes,
      union: {
        name: 'CancelSegmentJobResult',
        description: 'The job after the cancel request, or why it could not be cancelled.',
      },
      result: {
        name: 'CancelSegmentJobSuccess',
        description: 'The cancel request was accepted.',
      },
      dataField: {
        name: 'job',
        description:
          'The job as it stands after the request (CANCELLING or already final). For a job that had already finished, the state read just before the request.',
      },
    },
    resolve: (_root, { id }, context) => {
      if (id.trim() === '') {
        throw new ValidationError('expected a non-empty job id, but got ""', 'id');
      }
      return context.jobs.cancel(id);
    },
  }),
}));
