import { describe, expect, it } from 'vitest';
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import {
  type UpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
} from '../upstream/errors.ts';
import type { BulkGetResult, CallOptions } from '../upstream/types.ts';
import { createLoaders } from './index.ts';

const tenant: Tenant = {
  key: 'tenant-a',
  orgId: 'A@AdobeOrg',
  sandboxName: 'prod',
  apiKey: 'key',
  mode: 'passthrough',
  authorization: async () => 'Bearer token',
  canRenew: false,
};

function job(id: string, status: SegmentJobModel['status'] = 'NEW'): SegmentJobModel {
  return { id, imsOrgId: tenant.orgId, status, segments: [{ segmentId: 's1' }] };
}

/** A bulk-get double that records each batch and answers from a table or a failure. */
function recordingUpstream(answer: (id: string) => SegmentJobModel | UpstreamError | undefined) {
  const batches: string[][] = [];
  const options: CallOptions[] = [];
  let failNext: Error | undefined;
  return {
    batches,
    options,
    failNextBatch(error: Error) {
      failNext = error;
    },
    async bulkGetJobs(
      _tenant: Tenant,
      ids: readonly string[],
      callOptions?: CallOptions,
    ): Promise<BulkGetResult> {
      batches.push([...ids]);
      options.push(callOptions ?? {});
      if (failNext) {
        const error = failNext;
        failNext = undefined;
        throw error;
      }
      const results: BulkGetResult = new Map();
      for (const id of ids) {
        const value = answer(id);
        if (value !== undefined) results.set(id, value);
      }
      return results;
    },
    async bulkGetDefinitions(): Promise<never> {
      throw new Error('expected no definition lookups in job loader tests');
    },
  };
}

const notFound = (id: string) =>
  new UpstreamNotFoundError(`expected job ${id}, but it does not exist`, {
    method: 'POST',
    path: '/segment/jobs/bulk-get',
  });

describe('segment job loader', () => {
  it('batches every lookup of one tick into one bulk-get, asking duplicates once', async () => {
    const upstream = recordingUpstream((id) => job(id));
    const { segmentJob } = createLoaders(tenant, upstream);
    const results = await Promise.all(['a', 'b', 'a', 'c'].map((id) => segmentJob.load(id)));
    expect(upstream.batches).toEqual([['a', 'b', 'c']]);
    expect(results.map((result) => result?.id)).toEqual(['a', 'b', 'a', 'c']);
  });

  it('keeps 250 ids in one batch: chunking is the client’s job', async () => {
    const upstream = recordingUpstream((id) => job(id));
    const { segmentJob } = createLoaders(tenant, upstream);
    const ids = Array.from({ length: 250 }, (_, index) => `job-${index}`);
    await segmentJob.loadMany(ids);
    expect(upstream.batches).toHaveLength(1);
    expect(upstream.batches[0]).toEqual(ids);
  });

  it('serves a second lookup of the same id from its cache', async () => {
    const upstream = recordingUpstream((id) => job(id));
    const { segmentJob } = createLoaders(tenant, upstream);
    await segmentJob.load('a');
    await segmentJob.load('a');
    await segmentJob.load('b');
    expect(upstream.batches).toEqual([['a'], ['b']]);
  });

  it.each([
    ['a not-found entry', (id: string) => notFound(id)],
    ['a missing entry', () => undefined],
  ])('answers null for %s', async (_name, answer) => {
    const upstream = recordingUpstream(answer);
    const { segmentJob } = createLoaders(tenant, upstream);
    await expect(segmentJob.load('gone')).resolves.toBeNull();
  });

  it('caches a per-id error for that id only', async () => {
    const forbidden = new UpstreamForbiddenError('expected access to job b, but got 403', {
      method: 'POST',
      path: '/segment/jobs/bulk-get',
      status: 403,
    });
    const upstream = recordingUpstream((id) => (id === 'b' ? forbidden : job(id)));
    const { segmentJob } = createLoaders(tenant, upstream);
    const [a, b] = await Promise.allSettled([segmentJob.load('a'), segmentJob.load('b')]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { id: 'a' } });
    expect(b).toMatchObject({ status: 'rejected', reason: forbidden });
    await expect(segmentJob.load('b')).rejects.toBe(forbidden);
    expect(upstream.batches).toEqual([['a', 'b']]);
  });

  it('does not cache a failed batch: the next lookup asks again', async () => {
    const upstream = recordingUpstream((id) => job(id));
    const down = new UpstreamUnavailableError('expected 2xx, but got 503', {
      method: 'POST',
      path: '/segment/jobs/bulk-get',
      status: 503,
    });
    upstream.failNextBatch(down);
    const { segmentJob } = createLoaders(tenant, upstream);
    await expect(segmentJob.load('a')).rejects.toBe(down);
    await expect(segmentJob.load('a')).resolves.toMatchObject({ id: 'a' });
    expect(upstream.batches).toEqual([['a'], ['a']]);
  });

  it('primes listed jobs so lookups need no call, replacing an older state', async () => {
    const upstream = recordingUpstream((id) => job(id, 'NEW'));
    const loaders = createLoaders(tenant, upstream);
    await loaders.segmentJob.load('a');
    loaders.primeJobs([job('a', 'SUCCEEDED'), job('b', 'QUEUED')]);
    const [a, b] = await Promise.all([loaders.segmentJob.load('a'), loaders.segmentJob.load('b')]);
    expect([a?.status, b?.status]).toEqual(['SUCCEEDED', 'QUEUED']);
    expect(upstream.batches).toEqual([['a']]);
  });

  it('passes the request’s signal and call observer to the client', async () => {
    const upstream = recordingUpstream((id) => job(id));
    const controller = new AbortController();
    const onCall = () => {};
    const { segmentJob } = createLoaders(tenant, upstream, { onCall, signal: controller.signal });
    await segmentJob.load('a');
    expect(upstream.options[0]?.signal).toBe(controller.signal);
    expect(upstream.options[0]?.onCall).toBe(onCall);
  });
});
