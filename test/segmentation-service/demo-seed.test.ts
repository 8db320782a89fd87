import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TENANT } from '../../src/config/index.ts';
import { DEMO_DEFINITIONS } from '../../src/segmentation-service/demo-definitions.ts';
import {
  createClient,
  createJob,
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
  profiles: { totalProfiles: number };
}

const demo = { orgId: DEMO_TENANT.orgId, sandboxName: DEMO_TENANT.sandboxName };
const PROFILES = 120;
/** Adobe's definition ids are version 4 UUIDs in lower case. */
const ADOBE_ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;

async function lists(running: RunningService): Promise<Lists> {
  const client = createClient(running.baseUrl, demo);
  return {
    jobs: (await client.get<Lists['jobs']>('/segment/jobs?limit=100&sort=creationTime:asc')).body,
    definitions: (
      await client.get<Lists['definitions']>('/segment/definitions?limit=100&sort=creationTime:asc')
    ).body,
    profiles: (await client.get<Lists['profiles']>(running.profilesUrl)).body,
  };
}

describe('demo tenant seeding', () => {
  const dataDir = tempDataDir();
  let running: RunningService | undefined;
  let seeded: Lists;

  beforeAll(async () => {
    running = await startService({ dataDir, seedDemo: true, demoProfiles: PROFILES });
    seeded = await lists(running);
  });

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeds the generated profiles and every demo definition under its fixed id', () => {
    expect(seeded.profiles).toEqual({ totalProfiles: PROFILES });
    expect(
      seeded.definitions.segments.map(({ id, name, expression }) => ({
        id,
        name,
        pql: expression.value,
      })),
    ).toEqual(DEMO_DEFINITIONS.map(({ id, name, pql }) => ({ id, name, pql })));
    for (const definition of seeded.definitions.segments) {
      expect(definition.id).toMatch(ADOBE_ID_SHAPE);
    }
  });

  it('gives the definitions the same ids in another fresh data directory', async () => {
    const other = await startService({ seedDemo: true, demoProfiles: 30 });
    try {
      const { definitions } = await lists(other);
      expect(definitions.segments.map((definition) => definition.id).sort()).toEqual(
        seeded.definitions.segments.map((definition) => definition.id).sort(),
      );
    } finally {
      await other.dispose();
    }
  });

  it('spreads the jobs over the last ten days, all finished before the service started', () => {
    const times = seeded.jobs.children.map((job) => job.creationTime);
    const newest = Math.max(...seeded.jobs.children.map((job) => job.updateTime));
    expect(newest).toBeLessThan(Date.now());
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(8 * DAY_MS);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(10 * DAY_MS);
    const scheduled = seeded.jobs.children.filter((job) => job.source === 'scheduler');
    expect(scheduled).toHaveLength(10);
    for (let index = 1; index < scheduled.length; index++) {
      const gap = (scheduled[index]?.creationTime ?? 0) - (scheduled[index - 1]?.creationTime ?? 0);
      expect(gap).toBeGreaterThan(DAY_MS - 3_600_000);
      expect(gap).toBeLessThan(DAY_MS + 3_600_000);
    }
    for (const job of seeded.jobs.children) {
      expect(job.status).toBe('SUCCEEDED');
      expect(job.updateTime).toBeGreaterThan(job.creationTime);
    }
    // Every definition existed before its first run.
    for (const definition of seeded.definitions.segments) {
      const firstRun = seeded.jobs.children.find(
        (job) => job.metrics.segmentedProfileCounter?.[definition.id] !== undefined,
      );
      expect(Number(definition.creationTime)).toBeLessThan(firstRun?.creationTime ?? 0);
    }
  });

  it('ends with a wildcard job over every definition', () => {
    const newest = seeded.jobs.children.at(-1);
    expect(newest?.segments).toEqual([{ segmentId: '*' }]);
    expect(Object.keys(newest?.metrics.segmentedProfileCounter ?? {}).sort()).toEqual(
      DEMO_DEFINITIONS.map((definition) => definition.id).sort(),
    );
  });

  it('runs a new job over the demo definitions with the newest counts and nothing realized or exited', async () => {
    if (running === undefined) throw new Error('expected the seeded service');
    const client = createClient(running.baseUrl, demo);
    const ids = DEMO_DEFINITIONS.map((definition) => definition.id);
    const job = await waitForFinal(client, (await createJob(client, ids)).id);
    expect(job.status).toBe('SUCCEEDED');
    const newest = seeded.jobs.children.at(-1);
    expect(job.metrics.segmentedProfileCounter).toEqual(newest?.metrics.segmentedProfileCounter);
    expect(Object.values(job.metrics.segmentedProfileByStatusCounter ?? {})).toEqual(
      ids.map(() => ({ realized: 0, exited: 0 })),
    );
  });

  it('adds nothing when started again on the same data directory', async () => {
    await running?.stop();
    running = await startService({ dataDir, seedDemo: true, demoProfiles: PROFILES });
    const again = await lists(running);
    expect(again.profiles).toEqual(seeded.profiles);
    expect(again.definitions).toEqual(seeded.definitions);
    // The seeded jobs, unchanged, and the one the previous test created.
    expect(again.jobs._page.totalCount).toBe(seeded.jobs._page.totalCount + 1);
    expect(again.jobs.children.slice(0, seeded.jobs.children.length)).toEqual(seeded.jobs.children);
  });
});

describe('the README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it.each(DEMO_DEFINITIONS.map((definition) => [definition.name, definition] as const))(
    'names demo definition "%s" with its id and expression',
    (_name, definition) => {
      const row = readme
        .split('\n')
        .find((line) => line.startsWith('|') && line.includes(definition.id));
      expect(row).toBeDefined();
      expect(row).toContain(definition.name);
      expect(row).toContain(`\`${definition.pql}\``);
    },
  );
});
