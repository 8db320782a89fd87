// Counts the watcher's work from outside it: its upstream reads (bulk-gets of watched jobs, feed
// list pages), timed and counted, and the events it publishes. Wrappers only: what the watcher
// does, and when, is unchanged.
import type { JobEventBus } from '../pubsub/index.ts';
import type { UpstreamClient } from '../upstream/types.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';

type Recorder = Pick<GatewayMetrics, 'recordWatcherRead' | 'recordPublished'>;

async function timed<T>(
  metrics: Recorder,
  kind: 'jobs' | 'feed',
  read: () => Promise<T>,
): Promise<T> {
  const startedMs = performance.now();
  try {
    const result = await read();
    metrics.recordWatcherRead(kind, 'ok', performance.now() - startedMs);
    return result;
  } catch (error) {
    metrics.recordWatcherRead(kind, 'error', performance.now() - startedMs);
    throw error;
  }
}

/** The client the watcher gets: the same calls, its bulk-gets and list pages timed. */
export function instrumentWatcherUpstream(
  upstream: UpstreamClient,
  metrics: Recorder,
): UpstreamClient {
  return Object.assign(Object.create(upstream) as UpstreamClient, {
    bulkGetJobs: (...args: Parameters<UpstreamClient['bulkGetJobs']>) =>
      timed(metrics, 'jobs', () => upstream.bulkGetJobs(...args)),
    listJobs: (...args: Parameters<UpstreamClient['listJobs']>) =>
      timed(metrics, 'feed', () => upstream.listJobs(...args)),
  });
}

/** The bus the watcher publishes on: the same bus, each publish counted by topic kind. */
export function instrumentBus(bus: JobEventBus, metrics: Recorder): JobEventBus {
  return Object.assign(Object.create(bus) as JobEventBus, {
    publish: (topic: string, event: Parameters<JobEventBus['publish']>[1]) => {
      metrics.recordPublished(topic.endsWith('/feed') ? 'feed' : 'job');
      bus.publish(topic, event);
    },
  });
}
