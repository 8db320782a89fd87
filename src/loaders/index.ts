// Per-request data loaders over the upstream client. Created for one request and one tenant;
// never shared across requests or tenants.
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import type { CallOptions, UpstreamClient } from '../upstream/types.ts';
import {
  createSegmentDefinitionLoader,
  type SegmentDefinitionLoader,
} from './segment-definition-loader.ts';
import { createSegmentJobLoader, type SegmentJobLoader } from './segment-job-loader.ts';

export type { SegmentDefinitionLoader } from './segment-definition-loader.ts';
export type { SegmentJobLoader } from './segment-job-loader.ts';

export interface Loaders {
  segmentJob: SegmentJobLoader;
  segmentDefinition: SegmentDefinitionLoader;
  /** Puts definitions a list call just returned into the definition loader. */
  primeDefinitions(definitions: readonly SegmentDefinitionModel[]): void;
  /**
   * Puts jobs the upstream just returned into the job loader, replacing what it held, so later
   * lookups in the same request need no call.
   */
  primeJobs(jobs: readonly SegmentJobModel[]): void;
}

export interface LoaderOptions {
  /** Reports every upstream HTTP attempt made for this request. */
  onCall?: CallOptions['onCall'];
  /** Aborts upstream calls when the request goes away. */
  signal?: AbortSignal | undefined;
}

/** Creates the loaders of one request for one tenant. */
export function createLoaders(
  tenant: Tenant,
  upstream: Pick<UpstreamClient, 'bulkGetJobs' | 'bulkGetDefinitions'>,
  options: LoaderOptions = {},
): Loaders {
  const segmentJob = createSegmentJobLoader(tenant, upstream, {
    onCall: options.onCall,
    signal: options.signal,
  });
  const segmentDefinition = createSegmentDefinitionLoader(tenant, upstream, {
    onCall: options.onCall,
    signal: options.signal,
  });
  return {
    segmentJob,
    segmentDefinition,
    primeJobs(jobs) {
      for (const job of jobs) segmentJob.clear(job.id).prime(job.id, job);
    },
    primeDefinitions(definitions) {
      for (const definition of definitions) {
        segmentDefinition.clear(definition.id).prime(definition.id, definition);
      }
    },
  };
}
