// SegmentJobStatusEvent and the subscriptions that deliver it: segmentJobStatusChanged (given
// jobs) and segmentJobEvents (every job of the tenant). Streams come from the context's event
// service; the event carries the job as observed, so no resolver reaches the upstream.
import type { JobStatusEvent } from '../pubsub/index.ts';
import { builder } from './builder.ts';
import { DateTime } from './scalars.ts';
import { SegmentJob, SegmentJobStatus } from './segment-job.ts';

export const SegmentJobStatusEvent = builder
  .objectRef<JobStatusEvent>('SegmentJobStatusEvent')
  .implement({
    description:
      'One job observed with a status: its state when the subscription began (initial: true), or a change since.',
    fields: (t) => ({
      jobId: t.exposeID('jobId', { description: 'The job this event is about.' }),
      status: t.field({
        type: SegmentJobStatus,
        description: 'The status observed.',
        resolve: (event) => event.status,
      }),
      previousStatus: t.field({
        type: SegmentJobStatus,
        nullable: true,
        description:
          'The status last delivered to this subscriber for this job; null on the initial event (and, on the tenant feed, for a job first seen).',
        resolve: (event) => (event.initial ? null : event.previousStatus),
      }),
      initial: t.exposeBoolean('initial', {
        description:
          "True on a subscriber's first event per job: its state when the subscription began.",
      }),
      observedAt: t.field({
        type: DateTime,
        description: 'When the gateway observed this status (UTC).',
        resolve: (event) => event.observedAt,
      }),
      observedAtMs: t.float({
        description: 'observedAt in epoch milliseconds.',
        resolve: (event) => event.observedAt,
      }),
      job: t.field({
        type: SegmentJob,
        description: 'The job as observed with this status.',
        resolve: (event) => event.job,
      }),
    }),
  });

builder.subscriptionType({
  description:
    'Live status of segment jobs. Over WebSocket (graphql-transport-ws) or SSE on /graphql. Events of one job arrive in order; see docs/subscriptions.md.',
});

builder.subscriptionFields((t) => ({
  segmentJobStatusChanged: t.field({
    type: SegmentJobStatusEvent,
    description:
      'Status transitions of the given jobs (1..100 ids). The first event per job is its current state (initial: true); the stream completes once every job is final. An id this tenant does not have ends the stream with NOT_FOUND.',
    args: {
      ids: t.arg.idList({
        required: true,
        description: '1 to 100 job ids; repeats are watched once.',
      }),
    },
    // The stream's own return() (client completes or socket dies) releases the watch.
    subscribe: (_root, args, context) => context.events.watchJobs(args.ids.map(String)),
    resolve: (event) => event,
  }),
  segmentJobEvents: t.field({
    type: SegmentJobStatusEvent,
    description:
      "Transitions of every job of the caller's tenant, optionally only into the given statuses; includes jobs created elsewhere. Starts with the next change (no initial events) and never completes by itself.",
    args: {
      status: t.arg({
        type: [SegmentJobStatus],
        required: false,
        description: 'Deliver only changes into these statuses; omit for every change.',
      }),
    },
    subscribe: (_root, args, context) => context.events.watchTenant(args.status ?? undefined),
    resolve: (event) => event,
  }),
}));
