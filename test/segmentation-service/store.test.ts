import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefinitionDocument } from '../../src/segmentation-service/definition-document.ts';
import { createJobDocument, withStatus } from '../../src/segmentation-service/job-document.ts';
import { createStore, type SegmentationStore } from '../../src/segmentation-service/store.ts';
import { tempDataDir } from './helpers.ts';

const scope = { orgId: 'STORE@AdobeOrg', sandboxName: 'prod' };

describe('membership storage', () => {
  const dirs: string[] = [];
  const stores: SegmentationStore[] = [];

  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function open(dataDir = tempDataDir()) {
    if (!dirs.includes(dataDir)) dirs.push(dataDir);
    const store = createStore({ dataDir });
    stores.push(store);
    return { store, dataDir };
  }

  function processingJob(store: SegmentationStore, definitionId: string) {
    const definition = createDefinitionDocument({
      scope,
      name: `d-${definitionId}`,
      expression: { type: 'PQL', format: 'pql/text', value: 'a = 1' },
      schemaName: 's',
      mergePolicyId: store.defaultMergePolicy(scope).id,
      nowMs: 1,
    });
    const created = createJobDocument({
      scope,
      definitions: [definition],
      schemaName: 's',
      computeJobId: store.nextComputeJobId(),
      requestId: 'r',
      nowMs: 10,
    });
    const doc = withStatus(created, 'PROCESSING', 20);
    store.insertJob({ scope, doc, definitionIds: [definitionId] }, 100);
    return doc;
  }

  it('keeps a staged membership invisible until the job finishes, then replaces the previous one', () => {
    const { store } = open();
    const first = processingJob(store, 'def');
    store.saveMembershipDraft(scope, 'def', first.id, '["a","b"]', 30);
    expect(store.getMembership(scope, 'def')).toBeUndefined();
    expect(store.finishJob(scope, withStatus(first, 'SUCCEEDED', 40), ['def'])).toBe(true);
    expect(store.getMembership(scope, 'def')).toEqual(['a', 'b']);

    const second = processingJob(store, 'def');
    store.saveMembershipDraft(scope, 'def', second.id, '["c"]', 50);
    expect(store.getMembership(scope, 'def')).toEqual(['a', 'b']);
    store.finishJob(scope, withStatus(second, 'SUCCEEDED', 60), ['def']);
    expect(store.getMembership(scope, 'def')).toEqual(['c']);
  });

  it('discards what a job staged when it cannot finish, or on reopening', () => {
    const { store, dataDir } = open();
    const cancelled = processingJob(store, 'def');
    store.saveMembershipDraft(scope, 'def', cancelled.id, '["x"]', 30);
    store.updateJob(withStatus(cancelled, 'CANCELLED', 35));
    expect(store.finishJob(scope, withStatus(cancelled, 'SUCCEEDED', 40), ['def'])).toBe(false);
    expect(store.getMembership(scope, 'def')).toBeUndefined();

    const interrupted = processingJob(store, 'def');
    store.saveMembershipDraft(scope, 'def', interrupted.id, '["y"]', 30);
    store.close();
    stores.pop();
    const reopened = open(dataDir).store;
    expect(reopened.finishJob(scope, withStatus(interrupted, 'SUCCEEDED', 40), ['def'])).toBe(true);
    // The draft was dropped on reopening, so there was nothing to promote.
    expect(reopened.getMembership(scope, 'def')).toBeUndefined();
  });
});
