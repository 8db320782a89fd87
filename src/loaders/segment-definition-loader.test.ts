import { describe, expect, it } from 'vitest';
import type { Tenant } from '../domain/index.ts';
import type { SegmentDefinitionModel } from '../domain/segment-definition.ts';
import { UpstreamNotFoundError, UpstreamUnavailableError } from '../upstream/errors.ts';
import type { CallOptions, DefinitionBulkGetResult } from '../upstream/types.ts';
import { createLoaders } from './index.ts';

function tenant(name: string, sandboxName = 'prod'): Tenant {
  return {
    key: `tenant-${name}-${sandboxName}`,
    orgId: `${name}@AdobeOrg`,
    sandboxName,
    apiKey: 'key',
    mode: 'passthrough',
    authorization: async () => 'Bearer token',
    canRenew: false,
  };
}

/** Definitions per tenant key; records each batch with the tenant it was asked for. */
function recordingUpstream(definitions: Record<string, Record<string, string>>) {
  const batches: { tenantKey: string; ids: string[] }[] = [];
  let failNext: Error | undefined;
  return {
    batches,
    failNextBatch(error: Error) {
      failNext = error;
    },
    async bulkGetJobs(): Promise<never> {
      throw new Error('expected no job lookups in definition loader tests');
    },
    async bulkGetDefinitions(
      asked: Tenant,
      ids: readonly string[],
      _options?: CallOptions,
    ): Promise<DefinitionBulkGetResult> {
      batches.push({ tenantKey: asked.key, ids: [...ids] });
      if (failNext) {
        const error = failNext;
        failNext = undefined;
        throw error;
      }
      const names = definitions[asked.key] ?? {};
      const results: DefinitionBulkGetResult = new Map();
      for (const id of ids) {
        const name = names[id];
        results.set(
          id,
          name === undefined
            ? new UpstreamNotFoundError(`no definition ${id}`, {
                method: 'POST',
                path: '/segment/definitions/bulk-get',
              })
            : ({ id, name } satisfies SegmentDefinitionModel),
        );
      }
      return results;
    },
  };
}

describe('segment definition loader', () => {
  it('batches every lookup of one tick into one bulk-get, duplicates once', async () => {
    const a = tenant('a');
    const upstream = recordingUpstream({ [a.key]: { d1: 'one', d2: 'two' } });
    const { segmentDefinition } = createLoaders(a, upstream);
    const found = await Promise.all(['d1', 'd2', 'd1'].map((id) => segmentDefinition.load(id)));
    expect(found.map((definition) => definition?.name)).toEqual(['one', 'two', 'one']);
    expect(upstream.batches).toEqual([{ tenantKey: a.key, ids: ['d1', 'd2'] }]);
  });

  it('answers null for a definition the upstream no longer knows (deleted)', async () => {
    const a = tenant('a');
    const upstream = recordingUpstream({ [a.key]: { d1: 'one' } });
    const { segmentDefinition } = createLoaders(a, upstream);
    await expect(segmentDefinition.load('gone')).resolves.toBeNull();
  });

  it('resolves the same id separately for two tenants: each asks with its own tenant', async () => {
    const prod = tenant('org', 'prod');
    const dev = tenant('org', 'dev');
    const upstream = recordingUpstream({
      [prod.key]: { same: 'prod definition' },
      [dev.key]: { same: 'dev definition' },
    });
    const prodLoaders = createLoaders(prod, upstream);
    const devLoaders = createLoaders(dev, upstream);
    const [fromProd, fromDev] = await Promise.all([
      prodLoaders.segmentDefinition.load('same'),
      devLoaders.segmentDefinition.load('same'),
    ]);
    expect([fromProd?.name, fromDev?.name]).toEqual(['prod definition', 'dev definition']);
    expect(upstream.batches).toEqual([
      { tenantKey: prod.key, ids: ['same'] },
      { tenantKey: dev.key, ids: ['same'] },
    ]);
  });

  it('does not cache a failed batch, and primes listed definitions', async () => {
    const a = tenant('a');
    const upstream = recordingUpstream({ [a.key]: { d1: 'one' } });
    upstream.failNextBatch(
      new UpstreamUnavailableError('expected 2xx, but got 503', {
        method: 'POST',
        path: '/segment/definitions/bulk-get',
        status: 503,
      }),
    );
    const loaders = createLoaders(a, upstream);
    await expect(loaders.segmentDefinition.load('d1')).rejects.toThrow(/503/);
    await expect(loaders.segmentDefinition.load('d1')).resolves.toMatchObject({ name: 'one' });
    loaders.primeDefinitions([{ id: 'd9', name: 'listed' }]);
    await expect(loaders.segmentDefinition.load('d9')).resolves.toMatchObject({ name: 'listed' });
    expect(upstream.batches.map((batch) => batch.ids)).toEqual([['d1'], ['d1']]);
  });
});
