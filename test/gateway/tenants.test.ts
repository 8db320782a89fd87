// Tenant isolation through the real gateway in passthrough mode over the real embedded service:
// two orgs at once, each seeing only its own jobs, plus the operation log that names the tenant
// and never a credential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSegmentJobDocument,
  SegmentJobDocument,
  SegmentJobsDocument,
} from '../generated/graphql.ts';
import {
  createDefinitions,
  DEMO_HEADERS,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';

const ORG_A = 'TENANTA@AdobeOrg';
const ORG_B = 'TENANTB@AdobeOrg';
const headersA = tenantHeaders(ORG_A, 'prod', 'secret-token-a');
const headersB = tenantHeaders(ORG_B, 'dev', 'secret-token-b');

let harness: GatewayHarness;
let jobA: string;
let jobB: string;

async function createJobAs(headers: Record<string, string>, segmentId: string): Promise<string> {
  const result = await harness.execute(
    CreateSegmentJobDocument,
    { input: { segmentIds: [segmentId] } },
    headers,
  );
  const payload = result.data?.createSegmentJob;
  if (payload?.__typename !== 'CreateSegmentJobSuccess') {
    throw new Error(`expected a created job, but got ${JSON.stringify(result)}`);
  }
  return payload.job.id;
}

async function listAs(headers: Record<string, string>) {
  const result = await harness.execute(SegmentJobsDocument, { first: 100 }, headers);
  expect(result.errors).toBeUndefined();
  return result.data?.segmentJobs;
}

beforeAll(async () => {
  harness = await startGatewayHarness({ env: { AUTH_MODE: 'passthrough' } });
  const [definitionA] = await createDefinitions(harness, headersA, ['loyalty.points >= 0']);
  const [definitionB] = await createDefinitions(harness, headersB, ['homeAddress.country = "GB"']);
  jobA = await createJobAs(headersA, definitionA ?? '');
  jobB = await createJobAs(headersB, definitionB ?? '');
});

afterAll(async () => {
  await harness?.close();
});

describe('two tenants at once', () => {
  it('lists only the caller’s own jobs', async () => {
    const [listA, listB, listDemo] = await Promise.all([
      listAs(headersA),
      listAs(headersB),
      listAs(DEMO_HEADERS),
    ]);
    expect(listA?.totalCount).toBe(1);
    expect(listA?.edges.map((edge) => edge.node)).toMatchObject([
      { id: jobA, imsOrgId: ORG_A, sandbox: { sandboxName: 'prod' } },
    ]);
    expect(listB?.totalCount).toBe(1);
    expect(listB?.edges.map((edge) => edge.node)).toMatchObject([
      { id: jobB, imsOrgId: ORG_B, sandbox: { sandboxName: 'dev' } },
    ]);
    const demoIds = listDemo?.edges.map((edge) => edge.node.id) ?? [];
    expect(demoIds.length).toBeGreaterThan(0);
    expect(demoIds).not.toContain(jobA);
    expect(demoIds).not.toContain(jobB);
  });

  it('answers null for another tenant’s job id', async () => {
    const result = await harness.execute(SegmentJobDocument, { id: jobA }, headersB);
    expect(result.errors).toBeUndefined();
    expect(result.data?.segmentJob).toBeNull();
  });

  it('asks the upstream once per tenant for the same id, each under its own tenant', async () => {
    harness.resetCalls();
    const [a, b] = await Promise.all([
      harness.execute(SegmentJobDocument, { id: jobA }, headersA),
      harness.execute(SegmentJobDocument, { id: jobA }, headersB),
    ]);
    expect(a.data?.segmentJob?.id).toBe(jobA);
    expect(b.data?.segmentJob).toBeNull();
    const bulkGets = harness.callsTo('POST', '/segment/jobs/bulk-get');
    expect(bulkGets).toHaveLength(2);
    expect(new Set(bulkGets.map((call) => call.tenantKey)).size).toBe(2);
  });

  it('refuses a caller without the four headers before any upstream call', async () => {
    harness.resetCalls();
    const partial = { ...headersA, 'x-gw-ims-org-id': '' };
    const result = await harness.execute(SegmentJobsDocument, { first: 1 }, partial);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.errors?.[0]?.message).toMatch(/x-gw-ims-org-id/);
    expect(harness.calls).toHaveLength(0);
  });
});

describe('the operation log', () => {
  it('writes one line per operation with name, duration, upstream calls and tenant', async () => {
    const before = harness.logLines.length;
    await harness.execute(SegmentJobsDocument, { first: 5 }, headersB);
    const lines = harness.logLines.slice(before).filter((line) => line.msg === 'operation');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      operationName: 'SegmentJobs',
      operationType: 'query',
      upstreamCalls: 1,
      tenantOrg: ORG_B,
      tenantSandbox: 'dev',
      tenantMode: 'passthrough',
      errorCodes: [],
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
  });

  it('never contains a token or API key', () => {
    const everything = JSON.stringify(harness.logLines);
    expect(harness.logLines.length).toBeGreaterThan(0);
    for (const secret of ['secret-token-a', 'secret-token-b', 'Bearer demo', 'test-client']) {
      expect(everything).not.toContain(secret);
    }
  });
});
