// SegmentJobStatusEvent and the subscriptions that deliver it: segmentJobStatusChanged (given
// jobs) and segmentJobEvents (every job of the tenant). Streams come from the context's event
// service; the event carries the job as observed, so no resolver reaches the upstream.
import { encodeFeedCursor, type JobStatusEvent } from '../pubsub/index.ts';
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
      cursor: t.string({
        nullable: true,
        description:
          'Opaque position of this event in the tenant feed: pass it as segmentJobEvents(after:) to resume after it. Set on segmentJobEvents events; null on segmentJobStatusChanged, when the gateway runs without Redis, or when Redis could not store the event.',
        resolve: (event) =>
          event.streamId === undefined ? null : encodeFeedCursor(event.streamId),
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
      "Transitions of every job of the caller's tenant, optionally only into the given statuses; includes jobs created elsewhere. Starts with the next change (no initial events) and never completes by itself. With after, first every event after that cursor (on any replica), then live ones with none missing or repeated; a cursor the feed no longer covers ends the stream with CURSOR_EXPIRED (reload the list), a malformed one is BAD_USER_INPUT, and a gateway without Redis refuses after with RESUME_UNAVAILABLE.",
    args: {
      status: t.arg({
        type: [SegmentJobStatus],
        required: false,
        description: 'Deliver only changes into these statuses; omit for every change.',
      }),
      after: t.arg.string({
        required: false,
        description: 'The cursor of the last event received: resume right after it.',
      }),
    },
    subscribe: (_root, args, context) =>
      context.events.watchTenant(args.status ?? undefined, undefined, args.after ?? undefined),
    resolve: (event) => event,
  }),
}));
