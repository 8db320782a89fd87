// Two tenants, one definition id: the same id in two sandboxes resolves to each sandbox's own
// definition, through each request's own loader. The embedded service mints a fresh id for every
// definition, so a fake upstream plays a sandbox pair that share one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentDocument, SegmentJobsWithNamesDocument } from '../generated/graphql.ts';
import {
  bulkBody,
  type FakeUpstream,
  jobListBody,
  type RecordedRequest,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import {
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';

const ORG = 'ORG1@AdobeOrg';
const SHARED_ID = 'a3c1bb0e-1f5e-4d1f-9a57-3c9a2b1d0e11';
const SANDBOXES = ['prod', 'dev'] as const;

let fake: FakeUpstream;
let harness: GatewayHarness;

function sandboxOf(request: RecordedRequest): string {
  const value = request.headers['x-sandbox-name'];
  return typeof value === 'string' ? value : '';
}

function definitionIn(sandboxName: string): Record<string, unknown> {
  return {
    id: SHARED_ID,
    imsOrgId: ORG,
    sandbox: { sandboxName },
    name: `Gold members (${sandboxName})`,
    expression: { type: 'PQL', format: 'pql/text', value: 'loyalty.tier = "gold"' },
    schema: { name: '_xdm.context.profile' },
  };
}

beforeAll(async () => {
  fake = await startFakeUpstream((request) => {
    const sandboxName = sandboxOf(request);
    const tenant = { orgId: ORG, sandboxName };
    if (request.method === 'POST' && request.path === '/segment/definitions/bulk-get') {
      return bulkBody({ [SHARED_ID]: definitionIn(sandboxName) });
    }
    if (request.method === 'GET' && request.path === '/segment/jobs') {
      const job = sampleJob(
        {
          id: `job-${sandboxName}`,
          status: 'SUCCEEDED',
          segments: [{ segmentId: SHARED_ID }],
        },
        tenant,
      );
      return { body: jobListBody([job]) };
    }
    return { status: 404, body: { title: 'not found' } };
  });
  harness = await startGatewayHarness({
    upstreamBaseUrl: fake.baseUrl,
    env: { AUTH_MODE: 'passthrough', UPSTREAM_MAX_ATTEMPTS: '1' },
  });
});

afterAll(async () => {
  await harness?.close();
  await fake?.close();
});

describe('one definition id in two sandboxes', () => {
  it('resolves each sandbox’s own definition, on jobs and by id, at the same time', async () => {
    fake.reset();
    const results = await Promise.all(
      SANDBOXES.map(async (sandboxName) => {
        const headers = tenantHeaders(ORG, sandboxName);
        const [jobs, lookup] = await Promise.all([
          harness.execute(SegmentJobsWithNamesDocument, { first: 5 }, headers),
          harness.execute(SegmentDocument, { id: SHARED_ID }, headers),
        ]);
        return { sandboxName, jobs, lookup };
      }),
    );
    for (const { sandboxName, jobs, lookup } of results) {
      expect(jobs.errors).toBeUndefined();
      const node = jobs.data?.segmentJobs.edges[0]?.node;
      expect(node?.id).toBe(`job-${sandboxName}`);
      expect(node?.segments[0]).toEqual({
        id: SHARED_ID,
        name: `Gold members (${sandboxName})`,
        isDeleted: false,
      });
      expect(lookup.data?.segment?.name).toBe(`Gold members (${sandboxName})`);
    }
    // Each request asked its own upstream sandbox: never one bulk-get for both.
    const bulkGets = fake.requests.filter(
      (request) => request.path === '/segment/definitions/bulk-get',
    );
    expect(bulkGets.map(sandboxOf).sort()).toEqual(['dev', 'dev', 'prod', 'prod']);
  });

  it('drops a definition the upstream stamps with another sandbox: read as deleted', async () => {
    fake.reset();
    fake.respondWith('POST /segment/definitions/bulk-get', [
      bulkBody({ [SHARED_ID]: definitionIn('dev') }),
    ]);
    const result = await harness.execute(
      SegmentDocument,
      { id: SHARED_ID },
      tenantHeaders(ORG, 'prod'),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.segment).toBeNull();
  });
});
