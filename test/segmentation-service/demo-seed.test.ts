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
  waitForFinal,
} from './helpers.ts';

interface Lists {
  jobs: { _page: { totalCount: number }; children: JobView[] };
  definitions: { page: { totalCount: number }; segments: DefinitionView[] };
}

describe('demo tenant seeding', () => {
  const dataDir = tempDataDir();
  let running: RunningService | undefined;
  const demo = { orgId: DEMO_TENANT.orgId, sandboxName: DEMO_TENANT.sandboxName };

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function lists(baseUrl: string): Promise<Lists> {
    const client = createClient(baseUrl, demo);
    return {
      jobs: (await client.get<Lists['jobs']>('/segment/jobs')).body,
      definitions: (await client.get<Lists['definitions']>('/segment/definitions')).body,
    };
  }

  it('seeds profiles, a handful of definitions and two finished jobs with real metrics', async () => {
    running = await startService({ dataDir, seedDemo: true, demoProfiles: 400 });
    const client = createClient(running.baseUrl, demo);
    expect((await client.get(running.profilesUrl)).body).toEqual({ totalProfiles: 400 });
    const { jobs, definitions } = await lists(running.baseUrl);
    expect(definitions.page.totalCount).toBeGreaterThanOrEqual(5);
    expect(definitions.page.totalCount).toBeLessThanOrEqual(8);
    expect(jobs._page.totalCount).toBe(2);
    for (const job of jobs.children) {
      expect(job.status).toBe('SUCCEEDED');
      expect(job.metrics.totalProfiles).toBe(400);
      const counts = Object.values(job.metrics.segmentedProfileCounter ?? {});
      expect(counts.length).toBeGreaterThan(0);
      expect(counts.some((count) => count > 0 && count < 400)).toBe(true);
    }
    const wildcard = jobs.children.find((job) => job.segments[0]?.segmentId === '*');
    expect(Object.keys(wildcard?.metrics.segmentedProfileCounter ?? {})).toHaveLength(
      definitions.page.totalCount,
    );
  });

  it('runs new jobs over the demo definitions', async () => {
    if (running === undefined) throw new Error('expected the seeded service');
    const client = createClient(running.baseUrl, demo);
    const { definitions } = await lists(running.baseUrl);
    const response = await client.post<JobView>(
      '/segment/jobs',
      definitions.segments.map((definition) => ({ segmentId: definition.id })),
    );
    expect((await waitForFinal(client, response.body.id)).status).toBe('SUCCEEDED');
  });

  it('does not seed again when the demo tenant has data', async () => {
    await running?.stop();
    running = await startService({ dataDir, seedDemo: true, demoProfiles: 400 });
    const { jobs, definitions } = await lists(running.baseUrl);
    expect(jobs._page.totalCount).toBe(3);
    expect(definitions.segments.map((definition) => definition.name)).toHaveLength(
      definitions.page.totalCount,
    );
    expect(definitions.page.totalCount).toBeLessThanOrEqual(8);
  });
});
