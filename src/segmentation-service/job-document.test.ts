import { describe, expect, it } from 'vitest';
import { createDefinitionDocument } from './definition-document.ts';
import { createJobDocument, MAX_LISTED_SEGMENTS, withStatus } from './job-document.ts';

const scope = { orgId: 'ORG@AdobeOrg', sandboxName: 'prod' };
const definitions = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    createDefinitionDocument({
      scope,
      name: `d${index}`,
      expression: { type: 'PQL', format: 'pql/text', value: 'a = 1' },
      schemaName: '_xdm.context.profile',
      mergePolicyId: 'mp',
      nowMs: 1,
    }),
  );
const job = (input: ReturnType<typeof definitions> | 'all') =>
  createJobDocument({
    scope,
    definitions: input,
    schemaName: 's',
    computeJobId: 7,
    requestId: 'r',
    nowMs: 1_000,
  });

describe('createJobDocument', () => {
  it.each([
    ['lists each of up to 1500 definitions', MAX_LISTED_SEGMENTS, MAX_LISTED_SEGMENTS],
    ['shows "*" above 1500 definitions', MAX_LISTED_SEGMENTS + 1, 1],
  ])('%s', (_, count, shown) => {
    expect(job(definitions(count)).segments).toHaveLength(shown);
  });

  it('shows "*" for the wildcard job', () => {
    expect(job('all').segments).toEqual([{ segmentId: '*' }]);
  });

  it('starts NEW with partial metrics and links to itself', () => {
    const created = job(definitions(1));
    expect(created).toMatchObject({
      status: 'NEW',
      metrics: { totalTime: { startTimeInMs: 1_000 }, profileSegmentationTime: {} },
      _links: { cancel: { method: 'DELETE' }, checkStatus: { method: 'GET' } },
      updateEpoch: 1,
    });
    expect(created._links.cancel.href).toBe(`/segment/jobs/${created.id}`);
    expect(created.segments[0]?.segment?.mergePolicy).toEqual({ id: 'mp', version: 1 });
  });
});

describe('withStatus', () => {
  it('always moves updateTime forward, even within one millisecond', () => {
    const created = job('all');
    const queued = withStatus(created, 'QUEUED', created.updateTime);
    const processing = withStatus(queued, 'PROCESSING', created.updateTime);
    expect(queued.updateTime).toBeGreaterThan(created.updateTime);
    expect(processing.updateTime).toBeGreaterThan(queued.updateTime);
  });
});
