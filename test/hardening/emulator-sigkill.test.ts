// `npm run emulator` as a real process, killed with SIGKILL while jobs run and started again on
// the same DATA_DIR: nothing stored is lost, every job ends, and a poller that keeps asking
// across the restart never sees a job move backwards. Then SIGTERM: a clean exit and database.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { canTransition, isSegmentJobStatus } from '../../src/domain/index.ts';
import { DATABASE_FILE } from '../../src/segmentation-service/store.ts';
import {
  type Client,
  createClient,
  createDefinition,
  createJob,
  type DefinitionView,
  type JobView,
  loadProfiles,
  simpleProfile,
  TENANT_A,
  tempDataDir,
  tenantHeaders,
  waitFor,
} from '../segmentation-service/helpers.ts';
import { type EmulatorProcess, startEmulatorProcess } from '../support/process-harness.ts';

const PROFILES = 4_000;
// Each status lasts a step: long enough that a job seen PROCESSING (or NEW, or CANCELLING) is
// still so when the kill lands a few requests later, even on a loaded machine.
const STEP_MS = 1_000;
const SIGNAL_TIMEOUT_MS = 10_000;
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

interface Observation {
  status: string;
  updateTime: number;
}

interface JobList {
  _page: { totalCount: number };
  children: JobView[];
}

/**
 * Bulk-gets every known job over and over, wherever the service listens now, recording each
 * change it sees. Failed polls (the process is down) are counted and polling goes on.
 */
function createStatusPoller(baseUrl: () => string, ids: () => readonly string[]) {
  const history = new Map<string, Observation[]>();
  let failedPolls = 0;
  let polls = 0;
  let isRunning = true;

  function record(id: string, job: JobView): void {
    const seen = history.get(id) ?? [];
    const last = seen.at(-1);
    if (last?.status !== job.status || last.updateTime !== job.updateTime) {
      seen.push({ status: job.status, updateTime: job.updateTime });
    }
    history.set(id, seen);
  }

  async function pollOnce(): Promise<void> {
    const known = ids();
    if (known.length === 0) return;
    const response = await fetch(`${baseUrl()}/segment/jobs/bulk-get`, {
      method: 'POST',
      headers: { ...tenantHeaders(TENANT_A), 'content-type': 'application/json' },
      body: JSON.stringify({ ids: known.map((id) => ({ id })) }),
      signal: AbortSignal.timeout(2_000),
    });
    if (response.status !== 207) throw new Error(`expected 207, but got ${response.status}`);
    const { results } = (await response.json()) as { results: Record<string, JobView> };
    for (const id of known) {
      const job = results[id];
      if (job !== undefined && 'status' in job) record(id, job);
    }
  }

  const loop = (async () => {
    while (isRunning) {
      polls += 1;
      try {
        await pollOnce();
      } catch {
        failedPolls += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();

  return {
    history,
    counts: () => ({ polls, failedPolls }),
    async stop(): Promise<void> {
      isRunning = false;
      await loop;
    },
  };
}

async function listAllJobs(client: Client): Promise<JobView[]> {
  const jobs: JobView[] = [];
  for (let start = 0; ; start += 100) {
    const { status, body } = await client.get<JobList>(`/segment/jobs?limit=100&start=${start}`);
    if (status !== 200) throw new Error(`expected 200 listing jobs, but got ${status}`);
    jobs.push(...body.children);
    if (jobs.length >= body._page.totalCount || body.children.length === 0) return jobs;
  }
}

async function definitionIds(client: Client): Promise<string[]> {
  const { body } = await client.get<{ segments: DefinitionView[]; page: { totalCount: number } }>(
    '/segment/definitions?limit=100',
  );
  expect(body.page.totalCount).toBe(body.segments.length);
  return body.segments.map((definition) => definition.id).sort();
}

async function profileCount(client: Client, profilesUrl: string): Promise<number> {
  const { body } = await client.get<{ totalProfiles: number }>(profilesUrl);
  return body.totalProfiles;
}

function waitForStatus(client: Client, jobId: string, status: string): Promise<JobView> {
  return waitFor(async () => {
    const { body } = await client.get<JobView>(`/segment/jobs/${jobId}`);
    if (FINAL.has(body.status) && body.status !== status) {
      throw new Error(`expected job ${jobId} to reach ${status}, but it ended ${body.status}`);
    }
    return body.status === status ? body : undefined;
  }, `job ${jobId} to be ${status}`);
}

function readRows(dataDir: string): { id: string; status: string }[] {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare('SELECT id, status FROM jobs').all() as { id: string; status: string }[];
  } finally {
    db.close();
  }
}

describe('the emulator process killed with SIGKILL in the middle of jobs', {
  timeout: 30_000,
}, () => {
  const dataDir = tempDataDir();
  const env = { EMULATOR_STEP_MS: String(STEP_MS), EMULATOR_MAX_ACTIVE_JOBS: '50' };
  const processes: EmulatorProcess[] = [];
  let current: EmulatorProcess;
  let client: Client;
  const jobIds: string[] = [];
  let poller: ReturnType<typeof createStatusPoller> | undefined;

  const definitions: DefinitionView[] = [];
  const expectedMembers = new Map<string, number>();
  const named: Record<string, string> = {};
  let before: { jobs: JobView[]; definitionIds: string[]; profiles: number };
  let killedRows: { id: string; status: string }[] = [];

  async function start(): Promise<void> {
    current = await startEmulatorProcess({ dataDir, env });
    processes.push(current);
    client = createClient(current.baseUrl, TENANT_A);
  }

  async function newJob(name: string, body: unknown): Promise<string> {
    const response = await client.post<JobView>('/segment/jobs', body);
    if (response.status !== 200) throw new Error(`creating ${name}: ${response.text}`);
    named[name] = response.body.id;
    jobIds.push(response.body.id);
    return response.body.id;
  }

  afterAll(async () => {
    await poller?.stop();
    await Promise.all(processes.map((child) => child.dispose()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is killed while jobs are NEW, QUEUED, PROCESSING and CANCELLING', async () => {
    await start();
    const profiles = Array.from({ length: PROFILES }, (_, n) => simpleProfile(`p${n}`, { n }));
    expect((await loadProfiles(client, current.profilesUrl, profiles)).totalProfiles).toBe(
      PROFILES,
    );
    const plan: [string, string, number][] = [
      ['Below 1000', 'n < 1000', 1000],
      ['From 2500', 'n >= 2500', PROFILES - 2500],
      ['Three of them', 'n in [1, 2, 3]', 3],
      ['Between 100 and 200', 'n > 100 and n < 200', 99],
    ];
    for (const [name, pql, members] of plan) {
      const definition = await createDefinition(client, name, pql);
      definitions.push(definition);
      expectedMembers.set(definition.id, members);
    }
    const [below1000, from2500, three, between] = definitions.map((d) => d.id) as [
      string,
      string,
      string,
      string,
    ];

    // A finished job from before the crash must come back exactly as it was.
    await newJob('finished', [{ segmentId: below1000 }]);
    await waitForStatus(client, named.finished as string, 'SUCCEEDED');

    poller = createStatusPoller(
      () => current.baseUrl,
      () => jobIds,
    );
    const doomed = await createDefinition(client, 'Deleted before it runs', 'n = 1');
    await newJob('failing', [{ segmentId: doomed.id }]);
    expect((await client.delete(`/segment/definitions/${doomed.id}`)).status).toBe(200);
    await newJob('rerun', [{ segmentId: below1000 }]);
    await newJob('pair', [{ segmentId: from2500 }, { segmentId: three }]);
    await newJob('wildcard', {
      schema: { name: '_xdm.context.profile' },
      segments: [{ segmentId: '*' }],
    });
    await newJob('single', [{ segmentId: between }]);
    await waitForStatus(client, named.rerun as string, 'QUEUED');
    await newJob('queued', [{ segmentId: from2500 }]);
    await waitForStatus(client, named.rerun as string, 'PROCESSING');
    await newJob('new', [{ segmentId: three }]);
    await newJob('cancelled', [{ segmentId: between }]);
    expect((await client.delete(`/segment/jobs/${named.cancelled}`)).status).toBe(204);

    before = {
      jobs: await listAllJobs(client),
      definitionIds: await definitionIds(client),
      profiles: await profileCount(client, current.profilesUrl),
    };
    const exit = await current.signal('SIGKILL', SIGNAL_TIMEOUT_MS);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });

    expect(before.jobs.map((job) => job.id).sort()).toEqual([...jobIds].sort());
    expect(before.definitionIds).toEqual(definitions.map((d) => d.id).sort());
    expect(before.profiles).toBe(PROFILES);
    killedRows = readRows(dataDir);
    expect(killedRows.map((row) => row.id).sort()).toEqual([...jobIds].sort());
    const statusAtKill = (name: string) => killedRows.find((row) => row.id === named[name])?.status;
    // The kill landed mid-run: the jobs seen PROCESSING had not finished.
    expect(statusAtKill('rerun')).toBe('PROCESSING');
    expect(statusAtKill('cancelled')).toBe('CANCELLING');
    expect(['NEW', 'QUEUED']).toContain(statusAtKill('new'));
  });

  it('starts again on the same DATA_DIR with every job, definition and profile', async () => {
    await start();
    const jobs = await listAllJobs(client);
    expect(jobs.map((job) => job.id).sort()).toEqual(before.jobs.map((job) => job.id).sort());
    expect(await definitionIds(client)).toEqual(before.definitionIds);
    expect(await profileCount(client, current.profilesUrl)).toBe(PROFILES);
    const finished = jobs.find((job) => job.id === named.finished);
    expect(finished).toEqual(before.jobs.find((job) => job.id === named.finished));
  });

  it('drives every job to a final status, with metrics counted over every profile', async () => {
    const jobs = await waitFor(async () => {
      const all = await listAllJobs(client);
      return all.every((job) => FINAL.has(job.status)) ? all : undefined;
    }, 'every job to reach a final status');
    const byName = (name: string) => jobs.find((job) => job.id === named[name]) as JobView;

    expect(byName('failing').status).toBe('FAILED');
    expect(byName('failing').errors?.[0]?.code).toBe('SEGMENT_DEFINITION_NOT_FOUND');
    expect(byName('cancelled').status).toBe('CANCELLED');
    for (const name of ['finished', 'rerun', 'pair', 'wildcard', 'single', 'queued', 'new']) {
      const job = byName(name);
      expect(job.status, name).toBe('SUCCEEDED');
      expect(job.metrics.totalProfiles, name).toBe(PROFILES);
      const counted = job.metrics.segmentedProfileCounter ?? {};
      expect(Object.keys(counted).length, name).toBeGreaterThan(0);
      for (const [definitionId, members] of Object.entries(counted)) {
        expect(members, `${name}: ${definitionId}`).toBe(expectedMembers.get(definitionId));
      }
    }
    expect(Object.keys(byName('wildcard').metrics.segmentedProfileCounter ?? {}).sort()).toEqual(
      before.definitionIds,
    );
    // The run interrupted by the kill staged memberships it never promoted; the first run's
    // membership is still the one it is compared with: nobody new, nobody gone.
    const below1000 = definitions[0]?.id as string;
    expect(byName('rerun').metrics.segmentedProfileByStatusCounter?.[below1000]).toEqual({
      realized: 0,
      exited: 0,
    });
  });

  it('never showed the poller a job moving backwards, across the kill and restart', async () => {
    const active = poller;
    if (active === undefined) throw new Error('expected the poller to run');
    // One more round after every job is final, so the last observations are the final ones.
    const pollsNow = active.counts().polls;
    await waitFor(
      () => (active.counts().polls > pollsNow + 1 ? true : undefined),
      'another poll round',
    );
    await active.stop();
    const { failedPolls } = active.counts();
    // The poller did ask while the process was down; those answers are simply missing.
    expect(failedPolls).toBeGreaterThan(0);

    for (const id of jobIds.filter((id) => id !== named.finished)) {
      const seen = active.history.get(id) ?? [];
      expect(seen.length, id).toBeGreaterThan(0);
      for (let index = 1; index < seen.length; index++) {
        const from = seen[index - 1] as Observation;
        const to = seen[index] as Observation;
        expect(to.updateTime, `${id}: updateTime`).toBeGreaterThanOrEqual(from.updateTime);
        if (from.status === to.status) continue;
        if (!isSegmentJobStatus(from.status) || !isSegmentJobStatus(to.status)) {
          throw new Error(`expected job statuses, but got ${from.status} → ${to.status}`);
        }
        expect(canTransition(from.status, to.status), `${id}: ${from.status} → ${to.status}`).toBe(
          true,
        );
      }
      expect(FINAL.has(seen.at(-1)?.status ?? ''), id).toBe(true);
    }
    // Jobs PROCESSING at the kill were seen PROCESSING before it and final after the restart.
    const rerun = (active.history.get(named.rerun as string) ?? []).map((seen) => seen.status);
    expect(rerun).toContain('PROCESSING');
    expect(rerun.at(-1)).toBe('SUCCEEDED');
  });

  it('exits 0 on SIGTERM mid-job and leaves a database that opens cleanly', async () => {
    const interrupted = await createJob(client, [definitions[1]?.id as string]);
    await waitForStatus(client, interrupted.id, 'PROCESSING');
    const exit = await current.signal('SIGTERM', SIGNAL_TIMEOUT_MS);
    expect(exit, current.output()).toEqual({ code: 0, signal: null });

    const file = join(dataDir, DATABASE_FILE);
    // A clean close checkpoints the write-ahead log and removes it.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const db = new Database(file);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const count = (sql: string) => (db.prepare(sql).get() as { count: number }).count;
      expect(count('SELECT count(*) AS count FROM jobs')).toBe(jobIds.length + 1);
      expect(count('SELECT count(*) AS count FROM definitions')).toBe(definitions.length);
      expect(count('SELECT count(*) AS count FROM profiles')).toBe(PROFILES);
      // Stopped mid-run, the job keeps its status for the next start to resume.
      const row = db.prepare('SELECT status FROM jobs WHERE id = ?').get(interrupted.id);
      expect(row).toEqual({ status: 'PROCESSING' });
    } finally {
      db.close();
    }
  });
});
