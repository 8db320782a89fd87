import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  createClient,
  createDefinition,
  createJob,
  type DefinitionView,
  errorMessage,
  type JobView,
  loadProfiles,
  type RunningService,
  type ServiceErrorView,
  simpleProfile,
  startService,
  TENANT_A,
  TENANT_B,
  waitFor,
  waitForFinal,
} from './helpers.ts';

const STATUS_ORDER = ['NEW', 'QUEUED', 'PROCESSING', 'SUCCEEDED'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface JobList {
  _page: { totalCount: number; pageSize: number };
  children: JobView[];
  _links: { next: { href?: string } };
}

describe('segment job lifecycle (step 150 ms)', () => {
  let running: RunningService;
  let client: Client;
  let definitions: DefinitionView[];

  beforeAll(async () => {
    running = await startService({ stepMs: 150 });
    client = createClient(running.baseUrl, TENANT_A);
    await loadProfiles(client, running.profilesUrl, [
      simpleProfile('p1', { workAddress: { country: 'US' } }),
      simpleProfile('p2', { workAddress: { country: 'FR' } }),
    ]);
    definitions = [
      await createDefinition(client, 'US workers', 'workAddress.country = "US"'),
      await createDefinition(client, 'FR workers', 'workAddress.country = "FR"'),
    ];
  });
  afterAll(() => running.dispose());

  it('answers a create with the full NEW job, as the guide documents it', async () => {
    const response = await client.post<JobView>(
      '/segment/jobs',
      definitions.map((definition) => ({ segmentId: definition.id })),
      { headers: { 'x-request-id': 'create-request-1' } },
    );
    expect(response.status).toBe(200);
    const job = response.body;
    expect(job.id).toMatch(UUID);
    expect(job).toMatchObject({
      imsOrgId: TENANT_A.orgId,
      sandbox: { sandboxName: 'prod', type: 'production', default: true },
      profileInstanceId: 'ups',
      source: 'api',
      status: 'NEW',
      requestId: 'create-request-1',
      schema: { name: '_xdm.context.profile' },
      properties: {},
      metrics: { totalTime: { startTimeInMs: job.creationTime }, profileSegmentationTime: {} },
      _links: {
        cancel: { href: `/segment/jobs/${job.id}`, method: 'DELETE' },
        checkStatus: { href: `/segment/jobs/${job.id}`, method: 'GET' },
      },
      updateEpoch: Math.floor(job.updateTime / 1000),
    });
    expect(job.batchId).toMatch(UUID);
    expect(job.computeGatewayJobId).toMatch(UUID);
    expect(Number.isInteger(job.computeJobId)).toBe(true);
    expect(job.errors).toBeUndefined();
    const first = definitions[0] as DefinitionView;
    expect(job.segments[0]).toEqual({
      segmentId: first.id,
      segment: {
        id: first.id,
        expression: first.expression,
        mergePolicyId: first.mergePolicyId,
        mergePolicy: { id: first.mergePolicyId, version: 1 },
      },
    });
    await waitForFinal(client, job.id);
  });

  it('moves NEW → QUEUED → PROCESSING → SUCCEEDED, changing updateTime on each step', async () => {
    const job = await createJob(client, [definitions[0]?.id ?? '']);
    const seen: JobView[] = [job];
    await waitFor(async () => {
      const { body } = await client.get<JobView>(`/segment/jobs/${job.id}`);
      if (body.status !== seen.at(-1)?.status) seen.push(body);
      return body.status === 'SUCCEEDED' ? body : undefined;
    }, 'the job to succeed');
    expect(seen.map((view) => view.status)).toEqual(STATUS_ORDER);
    for (let index = 1; index < seen.length; index++) {
      expect(seen[index]?.updateTime).toBeGreaterThan(seen[index - 1]?.updateTime ?? 0);
    }
    const processing = seen[2] as JobView;
    expect(processing.metrics.profileSegmentationTime.startTimeInMs).toBeTypeOf('number');
    expect(processing.metrics.totalProfiles).toBeUndefined();
    expect(seen[3]?.metrics.totalProfiles).toBe(2);
  });

  it('cancels a job that is not final: 204 with no body, CANCELLING, then CANCELLED', async () => {
    const job = await createJob(client, [definitions[0]?.id ?? '']);
    const response = await client.delete(`/segment/jobs/${job.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const cancelling = await client.get<JobView>(`/segment/jobs/${job.id}`);
    expect(cancelling.body.status).toBe('CANCELLING');
    const final = await waitForFinal(client, job.id);
    expect(final.status).toBe('CANCELLED');
    expect(final.metrics.totalTime.endTimeInMs).toBeTypeOf('number');
    expect(final.metrics.segmentedProfileCounter).toBeUndefined();
  });

  it('deletes a finished job: 204, then 404 on GET and on a second DELETE', async () => {
    const job = await createJob(client, [definitions[0]?.id ?? '']);
    await waitForFinal(client, job.id);
    expect((await client.delete(`/segment/jobs/${job.id}`)).status).toBe(204);
    const after = await client.get<ServiceErrorView>(`/segment/jobs/${job.id}`);
    expect(after.status).toBe(404);
    expect(after.body).toMatchObject({
      status: 404,
      title: 'Not found',
      type: 'https://ns.adobe.com/aep/errors/UPAPI-1404-404',
    });
    expect(errorMessage(after.body)).toBe(`segment job ${job.id} not found`);
    expect((await client.delete(`/segment/jobs/${job.id}`)).status).toBe(404);
  });

  it('fails a job whose definition was deleted before it ran, saying which one', async () => {
    const doomed = await createDefinition(client, 'Doomed', 'workAddress.country = "DE"');
    const job = await createJob(client, [doomed.id]);
    expect((await client.delete(`/segment/definitions/${doomed.id}`)).status).toBe(200);
    const final = await waitForFinal(client, job.id);
    expect(final.status).toBe('FAILED');
    expect(final.errors).toEqual([
      { code: 'SEGMENT_DEFINITION_NOT_FOUND', msg: expect.stringContaining(doomed.id) },
    ]);
  });
});

describe('segment job creation rules', () => {
  let running: RunningService;
  let client: Client;
  let definition: DefinitionView;

  beforeAll(async () => {
    running = await startService({ stepMs: 5 });
    client = createClient(running.baseUrl, TENANT_A);
    await loadProfiles(client, running.profilesUrl, [
      simpleProfile('p1', { loyalty: { tier: 'gold' } }),
      simpleProfile('p2', { loyalty: { tier: 'bronze' } }),
    ]);
    definition = await createDefinition(client, 'Gold', 'loyalty.tier = "gold"');
    await createDefinition(client, 'Bronze', 'loyalty.tier = "bronze"');
  });
  afterAll(() => running.dispose());

  it.each([
    ['an empty array', [], /\[\]|at least|>=1/],
    ['a number id', [{ segmentId: 1 }], /\[0\]\.segmentId: .*expected string/],
    ['an object without segments', { schema: { name: 's' } }, /segments: .*expected array/],
    [
      'a wildcard body without schema',
      { segments: [{ segmentId: '*' }] },
      /schema: .*expected object/,
    ],
    ['ids mixed with "*"', [{ segmentId: '*' }, { segmentId: 'x' }], /either segment ids or/],
    ['a string', 'abc', /expected an array of \{"segmentId"\}.*but got a string/],
  ])('rejects %s with 400', async (_, body, message) => {
    const response = await client.post('/segment/jobs', body);
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toMatch(message);
  });

  it('rejects unknown segment ids with 400 naming them', async () => {
    const response = await client.post('/segment/jobs', [
      { segmentId: definition.id },
      { segmentId: 'no-such-definition' },
    ]);
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toBe(
      'expected existing segment definition ids, but these are unknown: no-such-definition',
    );
  });

  it('runs the wildcard job over every definition and shows segmentId "*"', async () => {
    const response = await client.post<JobView>('/segment/jobs', {
      schema: { name: '_xdm.context.profile' },
      segments: [{ segmentId: '*' }],
    });
    expect(response.status).toBe(200);
    expect(response.body.segments).toEqual([{ segmentId: '*' }]);
    const final = await waitForFinal(client, response.body.id);
    expect(final.status).toBe('SUCCEEDED');
    expect(final.segments).toEqual([{ segmentId: '*' }]);
    expect(Object.values(final.metrics.segmentedProfileCounter ?? {})).toEqual([1, 1]);
  });

  it('runs a job over more than 1500 definitions, showing segmentId "*"', async () => {
    const tenant = { orgId: 'MANY@AdobeOrg', sandboxName: 'prod' };
    const many = createClient(running.baseUrl, tenant);
    await loadProfiles(many, running.profilesUrl, [simpleProfile('m1', { n: 3 })]);
    const ids: string[] = [];
    const create = async (index: number) => {
      ids[index] = (await createDefinition(many, `n above ${index}`, `n > ${index % 5}`)).id;
    };
    const total = 1501;
    for (let offset = 0; offset < total; offset += 50) {
      const batch = Array.from({ length: Math.min(50, total - offset) }, (_, i) => offset + i);
      await Promise.all(batch.map(create));
    }
    const job = await createJob(many, ids);
    expect(job.segments).toEqual([{ segmentId: '*' }]);
    const final = await waitForFinal(many, job.id);
    expect(final.status).toBe('SUCCEEDED');
    const counters = final.metrics.segmentedProfileCounter ?? {};
    expect(Object.keys(counters)).toHaveLength(total);
    // n = 3 qualifies for "n > 0|1|2" and not for "n > 3|4".
    expect(counters[ids[2] ?? '']).toBe(1);
    expect(counters[ids[3] ?? '']).toBe(0);
  }, 60_000);
});

describe('segment job limits', () => {
  let running: RunningService;

  beforeAll(async () => {
    running = await startService({ stepMs: 60_000, maxActiveJobs: 2 });
  });
  afterAll(() => running.dispose());

  it('answers 429 once the tenant has maxActiveJobs unfinished jobs, other tenants unaffected', async () => {
    const client = createClient(running.baseUrl, TENANT_A);
    const definition = await createDefinition(client, 'Any', 'a = 1');
    await createJob(client, [definition.id]);
    await createJob(client, [definition.id]);
    const refused = await client.post<ServiceErrorView>('/segment/jobs', [
      { segmentId: definition.id },
    ]);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ status: 429, title: 'Too many requests' });
    expect(errorMessage(refused.body)).toMatch(/^too many segmentation jobs in processing/);

    const other = createClient(running.baseUrl, TENANT_B);
    const otherDefinition = await createDefinition(other, 'Any', 'a = 1');
    expect((await other.post('/segment/jobs', [{ segmentId: otherDefinition.id }])).status).toBe(
      200,
    );
  });
});

describe('listing segment jobs', () => {
  let running: RunningService;
  let client: Client;
  let jobs: JobView[];
  let gold: DefinitionView;
  let silver: DefinitionView;
  const cancelled = new Set<string>();

  beforeAll(async () => {
    // Jobs never step on their own here, so statuses and times are exactly what the test made.
    running = await startService({ stepMs: 60_000 });
    client = createClient(running.baseUrl, TENANT_A);
    gold = await createDefinition(client, 'Gold', 'tier = "gold"');
    silver = await createDefinition(client, 'Silver', 'tier = "silver"');
    jobs = [];
    for (let index = 0; index < 7; index++) {
      const ids =
        index % 3 === 0 ? [gold.id, silver.id] : index % 3 === 1 ? [gold.id] : [silver.id];
      jobs.push(await createJob(client, ids));
    }
    for (const job of [jobs[1], jobs[4]]) {
      if (job === undefined) continue;
      await client.delete(`/segment/jobs/${job.id}`);
      cancelled.add(job.id);
    }
  });
  afterAll(() => running.dispose());

  async function listAll(query: string): Promise<{ ids: string[]; pages: JobList[] }> {
    const pages: JobList[] = [];
    let path: string | undefined = `/segment/jobs?${query}`;
    while (path !== undefined) {
      const response: { status: number; body: JobList } = await client.get<JobList>(path);
      expect(response.status).toBe(200);
      pages.push(response.body);
      path = response.body._links.next.href;
      if (pages.length > 20) throw new Error('too many pages');
    }
    return { ids: pages.flatMap((page) => page.children.map((job) => job.id)), pages };
  }

  const byCreation = (direction: 1 | -1) => (a: JobView, b: JobView) =>
    direction * (a.creationTime - b.creationTime) || a.id.localeCompare(b.id);

  it('pages with start and limit, following _links.next until it is empty', async () => {
    const { ids, pages } = await listAll('limit=3');
    expect(pages.map((page) => page._page)).toEqual([
      { totalCount: 7, pageSize: 3 },
      { totalCount: 7, pageSize: 3 },
      { totalCount: 7, pageSize: 1 },
    ]);
    expect(pages[0]?._links.next.href).toBe('/segment/jobs?limit=3&start=3');
    expect(pages[2]?._links.next).toEqual({});
    expect(ids).toEqual([...jobs].sort(byCreation(-1)).map((job) => job.id));
  });

  it('defaults to 20 per page and answers an offset past the end with no children', async () => {
    const all = await client.get<JobList>('/segment/jobs');
    expect(all.body._page).toEqual({ totalCount: 7, pageSize: 7 });
    expect(all.body._links.next).toEqual({});
    const past = await client.get<JobList>('/segment/jobs?start=50');
    expect(past.body).toEqual({
      _page: { totalCount: 7, pageSize: 0 },
      children: [],
      _links: { next: {} },
    });
  });

  it.each([
    ['creationTime:asc', (a: JobView, b: JobView) => byCreation(1)(a, b)],
    ['creationTime:desc', (a: JobView, b: JobView) => byCreation(-1)(a, b)],
  ])('sorts by %s', async (sort, compare) => {
    const { ids } = await listAll(`sort=${sort}&limit=2`);
    expect(ids).toEqual([...jobs].sort(compare).map((job) => job.id));
  });

  it('sorts by updateTime and by status (lifecycle order), ties broken by id', async () => {
    const current = (await listAll('limit=100')).pages[0]?.children ?? [];
    const byUpdate = [...current].sort(
      (a, b) => b.updateTime - a.updateTime || a.id.localeCompare(b.id),
    );
    expect((await listAll('sort=updateTime:desc&limit=4')).ids).toEqual(byUpdate.map((j) => j.id));

    const statusIds = (await listAll('sort=status:asc&limit=4')).ids;
    const expected = [...current]
      .sort(
        (a, b) =>
          Number(cancelled.has(a.id)) - Number(cancelled.has(b.id)) || a.id.localeCompare(b.id),
      )
      .map((job) => job.id);
    expect(statusIds).toEqual(expected);
    expect(statusIds.slice(-2).every((id) => cancelled.has(id))).toBe(true);
  });

  it('filters by status', async () => {
    const { ids } = await listAll('status=CANCELLING');
    expect(new Set(ids)).toEqual(cancelled);
    expect((await listAll('status=SUCCEEDED')).ids).toEqual([]);
  });

  it('filters by property, array~key==value, and ANDs repeated property filters', async () => {
    const withGold = jobs.filter((job) => job.segments.some((s) => s.segmentId === gold.id));
    const withBoth = withGold.filter((job) => job.segments.some((s) => s.segmentId === silver.id));
    const goldIds = (await listAll(`property=segments~segmentId==${gold.id}&limit=2`)).ids;
    expect(new Set(goldIds)).toEqual(new Set(withGold.map((job) => job.id)));
    const bothIds = (
      await listAll(
        `property=segments~segmentId==${gold.id}&property=segments~segmentId==${silver.id}`,
      )
    ).ids;
    expect(new Set(bothIds)).toEqual(new Set(withBoth.map((job) => job.id)));
    expect(bothIds.length).toBeLessThan(goldIds.length);

    const newIds = (await listAll('property=status==NEW')).ids;
    expect(newIds).toHaveLength(7 - cancelled.size);
    const first = jobs[0] as JobView;
    expect((await listAll(`property=computeJobId==${String(first.computeJobId)}`)).ids).toEqual([
      first.id,
    ]);
  });

  it('keeps the filters in _links.next', async () => {
    const page = await client.get<JobList>(
      `/segment/jobs?property=segments~segmentId==${gold.id}&limit=1`,
    );
    expect(page.body._links.next.href).toBe(
      `/segment/jobs?property=segments%7EsegmentId%3D%3D${gold.id}&limit=1&start=1`,
    );
  });

  it.each([
    ['limit=0', 'from 1 to 100'],
    ['limit=500', 'from 1 to 100'],
    ['start=-3', '0 or more'],
    ['status=RUNNING', 'NEW, QUEUED, PROCESSING, SUCCEEDED, FAILED, CANCELLING, CANCELLED'],
    ['sort=creationTime:sideways', 'creationTime:asc|creationTime:desc'],
    ['property=nonsense', 'path==value or array~key==value'],
  ])('rejects %s with 400 saying what is allowed', async (query, allowed) => {
    const response = await client.get(`/segment/jobs?${query}`);
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toContain(allowed);
  });
});

describe('bulk-get of segment jobs', () => {
  let running: RunningService;
  let client: Client;
  let jobs: JobView[];

  beforeAll(async () => {
    running = await startService({ stepMs: 60_000 });
    client = createClient(running.baseUrl, TENANT_A);
    const definition = await createDefinition(client, 'Any', 'a = 1');
    jobs = [await createJob(client, [definition.id]), await createJob(client, [definition.id])];
  });
  afterAll(() => running.dispose());

  it('answers 207 with each job, and an error entry for an unknown id', async () => {
    const ids = [...jobs.map((job) => job.id), 'unknown-id'];
    const response = await client.post<{ results: Record<string, unknown> }>(
      '/segment/jobs/bulk-get',
      { ids: ids.map((id) => ({ id })) },
    );
    expect(response.status).toBe(207);
    expect(Object.keys(response.body.results).sort()).toEqual([...ids].sort());
    expect(response.body.results[jobs[0]?.id ?? '']).toEqual(jobs[0]);
    expect(response.body.results['unknown-id']).toEqual({
      id: 'unknown-id',
      error: { status: 404, code: 'UPAPI-1404-404', message: 'segment job unknown-id not found' },
    });
  });

  it.each([
    ['0 ids', { ids: [] }, />=1/],
    ['101 ids', { ids: Array.from({ length: 101 }, (_, i) => ({ id: `j${i}` })) }, /<=100/],
    ['no ids field', {}, /ids: .*expected array/],
    ['an id that is not a string', { ids: [{ id: 5 }] }, /ids\[0\]\.id/],
  ])('rejects %s with 400', async (_, body, message) => {
    const response = await client.post('/segment/jobs/bulk-get', body);
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toMatch(message);
  });

  it('accepts exactly 100 ids', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => ({
      id: i === 0 ? (jobs[0]?.id ?? '') : `j${i}`,
    }));
    expect((await client.post('/segment/jobs/bulk-get', { ids })).status).toBe(207);
  });
});
