// The demo seed after listening (`npm start`), in the service's thread or on one of its own: the
// service answers while it runs, it ends with the same tenant as a seed before listening, and a
// stop during it leaves only finished jobs.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TENANT } from '../../src/config/index.ts';
import {
  createClient,
  type DefinitionView,
  type JobView,
  type RunningService,
  startService,
  tempDataDir,
} from './helpers.ts';

const demo = { orgId: DEMO_TENANT.orgId, sandboxName: DEMO_TENANT.sandboxName };
/** Enough profiles for the seed to yield to the event loop many times (2,000 per slice). */
const PROFILES = 6_000;

interface JobList {
  _page: { totalCount: number };
  children: JobView[];
}
interface DefinitionList {
  page: { totalCount: number };
  segments: DefinitionView[];
}

async function tenantShape(running: RunningService) {
  const client = createClient(running.baseUrl, demo);
  const jobs = (await client.get<JobList>('/segment/jobs?limit=100&sort=creationTime:asc')).body;
  const definitions = (await client.get<DefinitionList>('/segment/definitions?limit=100')).body;
  return {
    statuses: jobs.children.map((job) => job.status),
    totalProfiles: jobs.children.map((job) => job.metrics.totalProfiles),
    definitionIds: definitions.segments.map((definition) => definition.id).sort(),
  };
}

describe('demo seed after listening', () => {
  const dirs: string[] = [];
  const running: RunningService[] = [];

  afterAll(async () => {
    for (const service of running) await service.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function start(seedAfterListening: boolean, dataDir = tempDataDir(), seedOnThread = false) {
    if (!dirs.includes(dataDir)) dirs.push(dataDir);
    const service = await startService({
      dataDir,
      seedDemo: true,
      demoProfiles: PROFILES,
      seedAfterListening,
      seedOnThread,
    });
    running.push(service);
    return service;
  }

  it.each([
    { where: 'in the same thread', seedOnThread: false },
    { where: 'on a thread of its own', seedOnThread: true },
  ])(
    'answers while the seed runs $where, then holds the same demo tenant as a seed before listening',
    async ({ seedOnThread }) => {
      const background = await start(true, tempDataDir(), seedOnThread);
      let isSeeded = false;
      const seeded = background.demoSeeded.then((result) => {
        isSeeded = true;
        return result;
      });
      const client = createClient(background.baseUrl, demo);
      const meanwhile = await client.get<JobList>('/segment/jobs?limit=100');
      expect(meanwhile.status).toBe(200);
      expect(isSeeded).toBe(false);
      expect(await seeded).toBe(true);

      const foreground = await start(false);
      expect(await foreground.demoSeeded).toBe(true);
      const [after, before] = await Promise.all([tenantShape(background), tenantShape(foreground)]);
      expect(after).toEqual(before);
      expect(after.statuses.length).toBeGreaterThan(10);
      expect(new Set(after.statuses)).toEqual(new Set(['SUCCEEDED']));
    },
  );

  it.each([
    { where: 'in the same thread', seedOnThread: false },
    { where: 'on a thread of its own', seedOnThread: true },
  ])(
    'stops between two runs when stopped while seeding $where, leaving only finished jobs',
    async ({ seedOnThread }) => {
      const dataDir = tempDataDir();
      const first = await start(true, dataDir, seedOnThread);
      await first.stop();
      expect(await first.demoSeeded).toBe(true);
      // Restarted on the same data: the tenant is not empty, so nothing is seeded again.
      const again = await start(false, dataDir);
      expect(await again.demoSeeded).toBe(false);
      const shape = await tenantShape(again);
      expect(shape.statuses.every((status) => status === 'SUCCEEDED')).toBe(true);
    },
  );
});
