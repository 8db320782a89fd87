import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationProgress } from '../../src/segmentation-service/index.ts';
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
  waitForFinal,
} from './helpers.ts';

const PROFILES = 40_000;
const CHUNK = 500;

describe('a large evaluation does not stall the HTTP server', () => {
  let running: RunningService;
  let client: Client;
  let definitions: DefinitionView[];
  const progress = new Map<string, EvaluationProgress[]>();
  let onProgress: ((event: EvaluationProgress) => void) | undefined;

  beforeAll(async () => {
    running = await startService({
      stepMs: 1,
      evaluationChunkProfiles: CHUNK,
      onEvaluationProgress: (event) => {
        const events = progress.get(event.jobId) ?? [];
        events.push(event);
        progress.set(event.jobId, events);
        onProgress?.(event);
      },
    });
    client = createClient(running.baseUrl, TENANT_A);
    const profiles = Array.from({ length: PROFILES }, (_, n) =>
      simpleProfile(`p${n}`, { n, even: n % 2 === 0 }),
    );
    await loadProfiles(client, running.profilesUrl, profiles);
    definitions = [
      await createDefinition(client, 'Even', 'even = true'),
      await createDefinition(client, 'Big', 'n > 30000'),
    ];
  });
  afterAll(() => running.dispose());

  const latest = (jobId: string) => progress.get(jobId)?.at(-1)?.processedProfiles ?? 0;

  it('answers a request issued mid-evaluation before the evaluation ends', async () => {
    let reply: Promise<{ status: string; processedAtReply: number }> | undefined;
    onProgress = (event) => {
      if (reply !== undefined || event.processedProfiles >= event.totalProfiles) return;
      reply = client.get<JobView>(`/segment/jobs/${event.jobId}`).then((response) => ({
        status: response.body.status,
        processedAtReply: latest(event.jobId),
      }));
    };
    const job = await createJob(
      client,
      definitions.map((d) => d.id),
    );
    const final = await waitForFinal(client, job.id);
    onProgress = undefined;
    expect(final.status).toBe('SUCCEEDED');
    expect(final.metrics.segmentedProfileCounter).toEqual({
      [definitions[0]?.id ?? '']: PROFILES / 2,
      [definitions[1]?.id ?? '']: PROFILES - 30_001,
    });
    const answered = await reply;
    expect(answered?.status).toBe('PROCESSING');
    expect(answered?.processedAtReply).toBeLessThan(PROFILES);
    // The evaluation went on in slices after the request was answered.
    expect(progress.get(job.id)?.length).toBeGreaterThan(2);
  });

  it('stops a cancelled evaluation at its next slice', async () => {
    let cancel: Promise<number> | undefined;
    onProgress = (event) => {
      if (cancel !== undefined) return;
      cancel = client.delete(`/segment/jobs/${event.jobId}`).then((response) => response.status);
    };
    const job = await createJob(
      client,
      definitions.map((d) => d.id),
    );
    const final = await waitForFinal(client, job.id);
    onProgress = undefined;
    expect(await cancel).toBe(204);
    expect(final.status).toBe('CANCELLED');
    expect(latest(job.id)).toBeLessThan(PROFILES);
    expect(final.metrics.segmentedProfileCounter).toBeUndefined();
  });
});
