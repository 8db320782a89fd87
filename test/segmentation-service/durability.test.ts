import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvaluationProgress } from '../../src/segmentation-service/index.ts';
import { DATABASE_FILE } from '../../src/segmentation-service/store.ts';
import {
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
  tempDataDir,
  waitForFinal,
} from './helpers.ts';

const PROFILES = 20_000;

describe('restart on the same DATA_DIR', () => {
  const dataDir = tempDataDir();
  let running: RunningService | undefined;
  let definition: DefinitionView;
  let waiting: JobView;
  let cancelling: JobView;
  let interrupted: JobView;
  let firstRun: JobView;

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps jobs waiting to run and jobs being cancelled across a stop', async () => {
    // Jobs never step on their own here: one stays NEW, one stays CANCELLING.
    running = await startService({ dataDir, stepMs: 60_000 });
    const client = createClient(running.baseUrl, TENANT_A);
    const profiles = Array.from({ length: PROFILES }, (_, n) => simpleProfile(`p${n}`, { n }));
    await loadProfiles(client, running.profilesUrl, profiles);
    definition = await createDefinition(client, 'Above 5000', 'n > 5000');
    waiting = await createJob(client, [definition.id]);
    cancelling = await createJob(client, [definition.id]);
    await client.delete(`/segment/jobs/${cancelling.id}`);
    await running.stop();
  });

  it('finds its data again and drives those jobs to a final status', async () => {
    running = await startService({ dataDir, stepMs: 2 });
    const client = createClient(running.baseUrl, TENANT_A);
    expect((await client.get(`/segment/definitions/${definition.id}`)).body).toEqual(definition);
    expect((await client.get(running.profilesUrl)).body).toEqual({ totalProfiles: PROFILES });
    firstRun = await waitForFinal(client, waiting.id);
    expect(firstRun.status).toBe('SUCCEEDED');
    expect(firstRun.metrics.segmentedProfileCounter).toEqual({ [definition.id]: PROFILES - 5001 });
    expect((await waitForFinal(client, cancelling.id)).status).toBe('CANCELLED');
    const again = await createDefinition(client, 'Same merge policy', 'n = 1');
    expect(again.mergePolicyId).toBe(definition.mergePolicyId);
  });

  it('stops in the middle of an evaluation, leaving the job PROCESSING', async () => {
    await running?.stop();
    let midRun: (event: EvaluationProgress) => void = () => {};
    const reachedMidRun = new Promise<EvaluationProgress>((resolve) => {
      midRun = resolve;
    });
    running = await startService({
      dataDir,
      stepMs: 2,
      evaluationChunkProfiles: 50,
      onEvaluationProgress: (event) => {
        if (event.processedProfiles < event.totalProfiles) midRun(event);
      },
    });
    const client = createClient(running.baseUrl, TENANT_A);
    interrupted = await createJob(client, [definition.id]);
    const event = await reachedMidRun;
    expect(event.jobId).toBe(interrupted.id);
    await running.stop();
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    const row = db.prepare('SELECT status FROM jobs WHERE id = ?').get(interrupted.id);
    db.close();
    expect(row).toEqual({ status: 'PROCESSING' });
  });

  it('resumes the interrupted job after a restart and finishes it, memberships intact', async () => {
    running = await startService({ dataDir, stepMs: 2 });
    const client = createClient(running.baseUrl, TENANT_A);
    const final = await waitForFinal(client, interrupted.id);
    expect(final.status).toBe('SUCCEEDED');
    expect(final.metrics.totalProfiles).toBe(PROFILES);
    expect(final.metrics.segmentedProfileCounter).toEqual({ [definition.id]: PROFILES - 5001 });
    // The first run's membership survived two restarts: nobody is new, nobody left.
    expect(final.metrics.segmentedProfileByStatusCounter).toEqual({
      [definition.id]: { realized: 0, exited: 0 },
    });
    const list = await client.get<{ _page: { totalCount: number } }>('/segment/jobs');
    expect(list.body._page.totalCount).toBe(3);
  });
});
