// The demo tenant's past runs: enough of them per definition, counts that move, metrics that
// agree with a recount by hand of each run's profiles and of the stored ones, and times taken
// from the seed's clock, the same in any data directory.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TENANT } from '../../src/config/index.ts';
import { DEMO_DEFINITIONS } from '../../src/segmentation-service/demo-definitions.ts';
import { createDemoHistory } from '../../src/segmentation-service/demo-history.ts';
import type { DemoProfile } from '../../src/segmentation-service/demo-profiles.ts';
import {
  DEMO_SCOPE,
  planDemoRuns,
  seedDemoTenant,
} from '../../src/segmentation-service/demo-seed.ts';
import type { JobDocument } from '../../src/segmentation-service/job-document.ts';
import { compilePql } from '../../src/segmentation-service/pql/index.ts';
import { silentLogger } from '../../src/segmentation-service/service-logger.ts';
import { createStore, DATABASE_FILE } from '../../src/segmentation-service/store.ts';
import { membershipChanges, recount } from './demo-recount.ts';
import {
  createClient,
  type JobView,
  type RunningService,
  startService,
  tempDataDir,
} from './helpers.ts';

const demo = { orgId: DEMO_TENANT.orgId, sandboxName: DEMO_TENANT.sandboxName };
const PROFILES = 300;
const DAY_MS = 86_400_000;

interface Point {
  jobId: string;
  qualified: number;
  realized: number;
  exited: number;
}

let running: RunningService;
/** Every seeded job, oldest first. */
let jobs: JobView[];

function pointsOf(definitionId: string): Point[] {
  return jobs.flatMap((job) => {
    const qualified = job.metrics.segmentedProfileCounter?.[definitionId];
    const status = job.metrics.segmentedProfileByStatusCounter?.[definitionId];
    if (qualified === undefined || status === undefined) return [];
    return [{ jobId: job.id, qualified, ...status }];
  });
}

beforeAll(async () => {
  running = await startService({ seedDemo: true, demoProfiles: PROFILES });
  const client = createClient(running.baseUrl, demo);
  const { body } = await client.get<{ children: JobView[] }>(
    '/segment/jobs?limit=100&sort=creationTime:asc',
  );
  jobs = body.children;
});

afterAll(async () => {
  await running?.dispose();
});

describe('demo history', () => {
  it('has at least 8 successful runs of all definitions but the one created lately', () => {
    const runs = DEMO_DEFINITIONS.map((definition) => pointsOf(definition.id).length);
    for (const [index, definition] of DEMO_DEFINITIONS.entries()) {
      if (definition.firstDay === 0) expect(runs[index]).toBeGreaterThanOrEqual(8);
      else expect(runs[index]).toBeGreaterThanOrEqual(2);
    }
    expect(runs.filter((count) => count >= 8).length).toBeGreaterThan(DEMO_DEFINITIONS.length / 2);
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);
  });

  it('shows counts that change between runs for every definition', () => {
    for (const definition of DEMO_DEFINITIONS) {
      const points = pointsOf(definition.id);
      expect(new Set(points.map((point) => point.qualified)).size).toBeGreaterThan(1);
      const moved = points.slice(1).some((point) => point.realized + point.exited > 0);
      expect(moved).toBe(true);
    }
  });

  it('has realized and exited that account for each change of qualified', () => {
    for (const definition of DEMO_DEFINITIONS) {
      const points = pointsOf(definition.id);
      const [first, ...rest] = points;
      expect(first).toMatchObject({ realized: first?.qualified, exited: 0 });
      rest.forEach((point, index) => {
        const previous = points[index] as Point;
        expect(point.qualified - previous.qualified).toBe(point.realized - point.exited);
        expect(point.realized).toBeLessThanOrEqual(point.qualified);
        expect(point.exited).toBeLessThanOrEqual(previous.qualified);
      });
    }
  });

  it('matches a recount by hand of the profiles of each run, realized and exited included', () => {
    // The plan's order and states do not depend on the clock, only its times do.
    const plan = planDemoRuns(0);
    const history = createDemoHistory(PROFILES, plan.states);
    expect(jobs.map((job) => (job.segments[0]?.segmentId === '*' ? 'wildcard' : 'listed'))).toEqual(
      plan.runs.map((run) => (run.kind === 'wildcard' ? 'wildcard' : 'listed')),
    );
    const lastMembers = new Map<string, Set<string>>();
    plan.runs.forEach((run, index) => {
      const job = jobs[index] as JobView;
      const profiles = history.profilesAt(run.state);
      expect(job.metrics.totalProfiles).toBe(PROFILES);
      if (run.kind !== 'wildcard') {
        expect(job.segments.map((segment) => segment.segmentId)).toEqual(run.definitionIds);
      }
      for (const definition of DEMO_DEFINITIONS) {
        if (!run.definitionIds.includes(definition.id)) continue;
        const members = recount(definition.name, profiles);
        expect(job.metrics.segmentedProfileCounter?.[definition.id]).toBe(members.size);
        expect(job.metrics.segmentedProfileByStatusCounter?.[definition.id]).toEqual(
          membershipChanges(members, lastMembers.get(definition.id)),
        );
        lastMembers.set(definition.id, members);
      }
    });
  });

  it('ends on the stored profiles: the newest run recounts the same from the database', () => {
    const db = new Database(join(running.dataDir, DATABASE_FILE), { readonly: true });
    let stored: DemoProfile[];
    try {
      stored = db
        .prepare<[string, string], { doc: string }>(
          'SELECT doc FROM profiles WHERE org_id = ? AND sandbox_name = ?',
        )
        .all(demo.orgId, demo.sandboxName)
        .map((row) => JSON.parse(row.doc) as DemoProfile);
    } finally {
      db.close();
    }
    expect(stored).toHaveLength(PROFILES);
    const newest = jobs.at(-1);
    for (const definition of DEMO_DEFINITIONS) {
      expect(newest?.metrics.segmentedProfileCounter?.[definition.id]).toBe(
        recount(definition.name, stored).size,
      );
    }
  });
});

describe('seeding with an injected clock', () => {
  const nowMs = Date.UTC(2024, 0, 15, 12);
  const dirs = [tempDataDir(), tempDataDir(), tempDataDir()];

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function seedInto(dataDir: string): Promise<JobDocument[]> {
    const store = createStore({ dataDir });
    try {
      expect(
        await seedDemoTenant({
          store,
          compile: compilePql,
          profileCount: 80,
          logger: silentLogger,
          now: () => nowMs,
        }),
      ).toBe(true);
      const { jobs: seeded } = store.listJobs(DEMO_SCOPE, {
        start: 0,
        limit: 100,
        sort: { field: 'creationTime', direction: 'asc' },
        properties: [],
      });
      for (const definition of store.allDefinitions(DEMO_SCOPE)) {
        expect(definition.creationTime).toBeGreaterThan(nowMs - 11 * DAY_MS);
        const firstRun = seeded.find(
          (job) => job.metrics.segmentedProfileCounter?.[definition.id] !== undefined,
        );
        expect(definition.creationTime).toBeLessThan(firstRun?.creationTime ?? 0);
      }
      return seeded;
    } finally {
      store.close();
    }
  }

  it('stamps every time from the clock, one scheduled run a day, the newest before now', async () => {
    const seeded = await seedInto(dirs[0] as string);
    for (const job of seeded) {
      expect(job.creationTime).toBeGreaterThan(nowMs - 10 * DAY_MS);
      expect(job.updateTime).toBeLessThan(nowMs);
      expect(job.metrics.totalTime.endTimeInMs).toBe(job.updateTime);
    }
    const scheduled = seeded.filter((job) => job.source === 'scheduler');
    expect(scheduled.map((job) => Math.round((nowMs - job.creationTime) / DAY_MS))).toEqual([
      9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
    ]);
  });

  it('gives the same runs and counts in another data directory with the same clock', async () => {
    const first = await seedInto(dirs[1] as string);
    const second = await seedInto(dirs[2] as string);
    const shape = (job: JobDocument) => ({
      creationTime: job.creationTime,
      updateTime: job.updateTime,
      source: job.source,
      segments: job.segments.map((segment) => segment.segmentId),
      metrics: job.metrics,
    });
    expect(second.map(shape)).toEqual(first.map(shape));
  });
});
