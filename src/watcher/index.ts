// The watcher's public surface: what the server and the subscription resolvers import.

export { FeedCursorExpiredError, FeedResumeUnavailableError } from './feed-resume.ts';
export { createFleet, type Fleet, type FleetOptions, type FleetRole } from './fleet.ts';
export {
  createWatcher,
  type Watcher,
  type WatcherOptions,
  type WatchJobsOptions,
  type WatchTenantOptions,
} from './status-watcher.ts';
export type { TenantWatchStats, WatcherLogger } from './tenant-poller.ts';
