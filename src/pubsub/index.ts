// The job event bus and its topics: the only things resolvers and the watcher import from here.

export {
  type CursorDecoding,
  compareStreamIds,
  decodeFeedCursor,
  encodeFeedCursor,
  isStreamId,
} from './feed-cursor.ts';
export {
  type BusLogger,
  createJobEventBus,
  type JobEventBus,
  type JobEventBusOptions,
} from './job-event-bus.ts';
export { isJobStatusEvent, type JobStatusEvent } from './job-status-event.ts';
export { jobTopic, tenantFeedTopic } from './topics.ts';
