// The client over answers Adobe's guide and OpenAPI allow: optional fields left out, a job that
// cannot be read among good ones, the bulk-get 404 and error-entry shapes, and the tenant check
// (org ids in any letter case, jobs with no org, foreign jobs dropped and counted).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  type ForeignJobDrop,
  type UpstreamClient,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
} from '../../src/upstream/index.ts';
import {
  bulkBody,
  type FakeUpstream,
  fakeTenant,
  jobListBody,
  type RecordedRequest,
  type ScriptedResponse,
  sampleJob,
  segmentationError,
  startFakeUpstream,
} from '../support/fake-upstream.ts';

const tenant = fakeTenant();
let fake: FakeUpstream;
let client: UpstreamClient & { readonly droppedForeignJobs: number };
const drops: ForeignJobDrop[] = [];
const warnings: string[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = createUpstreamClient({
    baseUrl: fake.baseUrl,
    maxAttempts: 1,
    breakerThreshold: 1_000,
    onForeignJobDropped: (drop) => drops.push(drop),
    logger: { warn: (_details, message) => warnings.push(message), debug: () => {} },
  });
});

afterEach(() => {
  fake.reset();
  drops.length = 0;
  warnings.length = 0;
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

function requestedIds(request: RecordedRequest): string[] {
  const body = request.body as { ids: Array<{ id: string }> };
  return body.ids.map((entry) => entry.id);
}

/** Each job of `segments[0]` with one nested field left out. */
function withSegment(id: string, segment: Record<string, unknown>): Record<string, unknown> {
  return sampleJob({ id, segments: [segment] });
}

const definition = {
  id: 'segment-1',
  expression: { type: 'PQL', format: 'pql/text', value: 'workAddress.country = "US"' },
  mergePolicyId: 'merge-policy-1',
  mergePolicy: { id: 'merge-policy-1', version: 1 },
};

/** Jobs that each leave out one field Adobe's OpenAPI does not require. */
function optionalFieldsAbsent(): Record<string, unknown>[] {
  const noOrg = sampleJob({ id: 'no-org' });
  delete noOrg.imsOrgId;
  return [
    noOrg,
    withSegment('no-segment-id', { segment: definition }),
    withSegment('no-format', {
      segmentId: 'segment-1',
      segment: { ...definition, expression: { type: 'PQL', value: 'x = 1' } },
    }),
    withSegment('no-merge-policy-version', {
      segmentId: 'segment-1',
      segment: { ...definition, mergePolicy: { id: 'merge-policy-1' } },
    }),
    sampleJob({ id: 'no-sandbox-name', sandbox: { sandboxId: 'sandbox-1', type: 'production' } }),
  ];
}

describe('fields the OpenAPI leaves optional', () => {
  it('a page whose jobs each lack one optional field reads every job', async () => {
    const jobs = optionalFieldsAbsent();
    fake.respondWith('GET /segment/jobs', [{ body: jobListBody(jobs) }]);
    const page = await client.listJobs(tenant, {});
    expect(page.jobs.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
    const [noOrg, noSegmentId, noFormat, noVersion, noSandboxName] = page.jobs;
    expect(noOrg?.imsOrgId).toBeUndefined();
    expect(noSegmentId?.segments[0]?.segmentId).toBeUndefined();
    expect(noSegmentId?.segments[0]?.segment?.id).toBe('segment-1');
    expect(noFormat?.segments[0]?.segment?.expression).toEqual({ type: 'PQL', value: 'x = 1' });
    expect(noVersion?.segments[0]?.segment?.mergePolicy).toEqual({ id: 'merge-policy-1' });
    expect(noSandboxName?.sandbox).toEqual({ sandboxId: 'sandbox-1', type: 'production' });
  });

  it('a bulk-get of such jobs returns each of them', async () => {
    const jobs = optionalFieldsAbsent();
    const results = Object.fromEntries(jobs.map((job) => [job.id as string, job]));
    fake.respondWith('POST /segment/jobs/bulk-get', [bulkBody(results)]);
    const answer = await client.bulkGetJobs(
      tenant,
      jobs.map((job) => job.id as string),
    );
    for (const job of jobs) {
      expect(answer.get(job.id as string)).toMatchObject({ id: job.id });
    }
  });
});

describe('a job that cannot be read at all', () => {
  it('a page of 20 with one unknown status: 19 jobs and the one reported by its index', async () => {
    const jobs = Array.from({ length: 20 }, (_, index) => sampleJob({ id: `job-${index}` }));
    jobs[7] = sampleJob({ id: 'job-7', status: 'ARCHIVED' });
    fake.respondWith('GET /segment/jobs', [{ body: jobListBody(jobs) }]);
    const page = await client.listJobs(tenant, {});
    expect(page.jobs).toHaveLength(19);
    expect(page.jobs.map((job) => job.id)).not.toContain('job-7');
    expect(page.unreadable).toHaveLength(1);
    expect(page.unreadable[0]).toMatchObject({ index: 7, jobId: 'job-7' });
    expect(page.unreadable[0]?.error).toBeInstanceOf(UpstreamUnavailableError);
    expect(page.unreadable[0]?.error.message).toContain('children[7].status');
  });

  it('a job with no id on a page is reported without one', async () => {
    const noId = sampleJob();
    delete noId.id;
    fake.respondWith('GET /segment/jobs', [{ body: jobListBody([sampleJob(), noId]) }]);
    const page = await client.listJobs(tenant, {});
    expect(page.jobs).toHaveLength(1);
    expect(page.unreadable).toMatchObject([{ index: 1, jobId: undefined }]);
  });

  it('a bulk-get entry that is a job without an id is UPSTREAM_UNAVAILABLE for that id alone', async () => {
    const noId = sampleJob();
    delete noId.id;
    fake.respondWith('POST /segment/jobs/bulk-get', [
      bulkBody({ good: sampleJob({ id: 'good' }), bad: noId }),
    ]);
    const answer = await client.bulkGetJobs(tenant, ['good', 'bad']);
    expect(answer.get('good')).toMatchObject({ id: 'good' });
    expect(answer.get('bad')).toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe('bulk-get error shapes', () => {
  it('a 404 for the whole request (segmentation error body): every id is unknown, no throw', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', [
      segmentationError(404, 'The entity a,b is not found.', 'UPAPI-113000-404'),
    ]);
    const answer = await client.bulkGetJobs(tenant, ['a', 'b']);
    expect([...answer.keys()]).toEqual(['a', 'b']);
    for (const entry of answer.values()) expect(entry).toBeInstanceOf(UpstreamNotFoundError);
  });

  it('a 404 for the whole request with an empty body: every id is unknown, no throw', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', [{ status: 404 }]);
    const answer = await client.bulkGetJobs(tenant, ['a', 'b']);
    for (const entry of answer.values()) expect(entry).toBeInstanceOf(UpstreamNotFoundError);
    expect(answer.size).toBe(2);
  });

  it('an entry holding errors {"500": [...]} is UPSTREAM_UNAVAILABLE, not NOT_FOUND', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', (request): ScriptedResponse => {
      const results: Record<string, unknown> = {};
      for (const id of requestedIds(request)) {
        results[id] = {
          requestId: 'req-1',
          errors: { '500': [{ code: 'UPAPI-113500-500', message: 'Internal error.' }] },
        };
      }
      return bulkBody(results);
    });
    const answer = await client.bulkGetJobs(tenant, ['a']);
    expect(answer.get('a')).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('an entry holding errors {"404": [...]} (the documented missing id) is NOT_FOUND', async () => {
    fake.respondWith('POST /segment/jobs/bulk-get', [
      bulkBody({
        a: { requestId: 'r', errors: { '404': [{ code: 404, message: 'Not found.' }] } },
      }),
    ]);
    const answer = await client.bulkGetJobs(tenant, ['a']);
    expect(answer.get('a')).toBeInstanceOf(UpstreamNotFoundError);
  });
});

describe('tenant check', () => {
  it('an org id that differs only in letter case is the caller’s', async () => {
    const job = sampleJob({ id: 'lower', imsOrgId: tenant.orgId.toLowerCase() });
    fake.respondWith('GET /segment/jobs', [{ body: jobListBody([job]) }]);
    fake.respondWith('POST /segment/jobs/bulk-get', [bulkBody({ lower: job })]);
    expect((await client.listJobs(tenant, {})).jobs.map((entry) => entry.id)).toEqual(['lower']);
    expect((await client.bulkGetJobs(tenant, ['lower'])).get('lower')).toMatchObject({
      id: 'lower',
    });
    expect(drops).toEqual([]);
  });

  it('a job with no imsOrgId is taken as the caller’s', async () => {
    const job = sampleJob({ id: 'no-org' });
    delete job.imsOrgId;
    fake.respondWith('GET /segment/jobs/no-org', [{ body: job }]);
    await expect(client.getJob(tenant, 'no-org')).resolves.toMatchObject({ id: 'no-org' });
  });

  it('a job of another org is dropped, logged and counted', async () => {
    const before = client.droppedForeignJobs;
    const foreign = sampleJob({ id: 'foreign', imsOrgId: 'OTHER@AdobeOrg' });
    fake.respondWith('GET /segment/jobs', [{ body: jobListBody([sampleJob(), foreign]) }]);
    fake.respondWith('POST /segment/jobs/bulk-get', [bulkBody({ foreign })]);
    expect((await client.listJobs(tenant, {})).jobs).toHaveLength(1);
    expect((await client.bulkGetJobs(tenant, ['foreign'])).get('foreign')).toBeInstanceOf(
      UpstreamNotFoundError,
    );
    expect(client.droppedForeignJobs - before).toBe(2);
    expect(drops).toMatchObject([
      { jobId: 'foreign', mismatch: 'imsOrgId', path: '/segment/jobs', tenantKey: tenant.key },
      { jobId: 'foreign', mismatch: 'imsOrgId', path: '/segment/jobs/bulk-get' },
    ]);
    expect(warnings).toHaveLength(2);
  });
});
