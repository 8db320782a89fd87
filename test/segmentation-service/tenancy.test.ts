import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  createClient,
  createDefinition,
  createJob,
  type DefinitionView,
  type JobView,
  loadProfiles,
  type RunningService,
  simpleProfile,
  startService,
  TENANT_A,
  TENANT_A_DEV,
  TENANT_B,
  waitForFinal,
} from './helpers.ts';

describe('tenant isolation by org and sandbox', () => {
  let running: RunningService;
  let owner: Client;
  let definition: DefinitionView;
  let job: JobView;

  beforeAll(async () => {
    running = await startService({ stepMs: 5 });
    owner = createClient(running.baseUrl, TENANT_A);
    await loadProfiles(owner, running.profilesUrl, [
      simpleProfile('a1', { x: 1 }),
      simpleProfile('a2', { x: 2 }),
    ]);
    definition = await createDefinition(owner, 'Shared name', 'x = 1');
    job = await createJob(owner, [definition.id]);
    await waitForFinal(owner, job.id);
  });
  afterAll(() => running.dispose());

  describe.each([
    ['another org', TENANT_B],
    ['the same org in another sandbox', TENANT_A_DEV],
  ])('%s', (_, tenant) => {
    let other: Client;
    beforeAll(() => {
      other = createClient(running.baseUrl, tenant);
    });

    it('sees none of the jobs, definitions or profiles', async () => {
      const jobs = await other.get<{ _page: { totalCount: number } }>('/segment/jobs');
      expect(jobs.body._page.totalCount).toBe(0);
      const definitions = await other.get<{ page: { totalCount: number } }>('/segment/definitions');
      expect(definitions.body.page.totalCount).toBe(0);
      expect((await other.get(running.profilesUrl)).body).toEqual({ totalProfiles: 0 });
    });

    it('gets 404, not 403, for the ids of another tenant, and changes nothing', async () => {
      expect((await other.get(`/segment/jobs/${job.id}`)).status).toBe(404);
      expect((await other.delete(`/segment/jobs/${job.id}`)).status).toBe(404);
      expect((await other.get(`/segment/definitions/${definition.id}`)).status).toBe(404);
      expect(
        (await other.patch(`/segment/definitions/${definition.id}`, { name: 'stolen' })).status,
      ).toBe(404);
      expect((await other.delete(`/segment/definitions/${definition.id}`)).status).toBe(404);
      // No id of the request is this tenant's: one 404 for the whole bulk-get.
      const bulk = await other.post('/segment/jobs/bulk-get', { ids: [{ id: job.id }] });
      expect(bulk.status).toBe(404);
      const create = await other.post('/segment/jobs', [{ segmentId: definition.id }]);
      expect(create.status).toBe(400);

      expect((await owner.get(`/segment/jobs/${job.id}`)).status).toBe(200);
      expect(
        (await owner.get<DefinitionView>(`/segment/definitions/${definition.id}`)).body.name,
      ).toBe('Shared name');
    });

    it('may reuse a definition name, and runs over its own profiles only', async () => {
      await loadProfiles(other, running.profilesUrl, [simpleProfile('o1', { x: 1 })]);
      const own = await createDefinition(other, 'Shared name', 'x = 1');
      const final = await waitForFinal(other, (await createJob(other, [own.id])).id);
      expect(final.metrics.totalProfiles).toBe(1);
      expect(final.metrics.segmentedProfileCounter).toEqual({ [own.id]: 1 });
      const owned = await owner.get<{ totalProfiles: number }>(running.profilesUrl);
      expect(owned.body.totalProfiles).toBe(2);
    });
  });
});
