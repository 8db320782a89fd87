// Work that used to hold the event loop for seconds: an expensive `like` over long fields and a
// large profile upload. Responsiveness is proven by counting (slices, event-loop turns, requests
// answered meanwhile), never by the clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationProgress } from '../../src/segmentation-service/index.ts';
import {
  type Client,
  createClient,
  createDefinition,
  createJob,
  errorMessage,
  type JobView,
  loadProfiles,
  type RunningService,
  simpleProfile,
  startService,
  TENANT_A,
  TENANT_B,
  tenantHeaders,
  waitForFinal,
} from './helpers.ts';

/** Counts event-loop turns (a chain of setImmediate) until `promise` settles. */
async function countTurnsUntil<T>(promise: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let isSettled = false;
  const tick = () => {
    if (isSettled) return;
    turns += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { value: await promise, turns };
  } finally {
    isSettled = true;
  }
}

/** Sends small requests one after another until `promise` settles; counts the answered ones. */
async function countRepliesUntil<T>(
  promise: Promise<T>,
  send: () => Promise<unknown>,
): Promise<number> {
  let isSettled = false;
  let replies = 0;
  void promise.finally(() => {
    isSettled = true;
  });
  while (!isSettled) {
    const answered = send().then(() => {
      if (!isSettled) replies += 1;
    });
    await Promise.race([answered, promise]);
  }
  return replies;
}

describe('an expensive like pattern', () => {
  const FIELD_LENGTH = 20_000;
  const PROFILES = 12;
  let running: RunningService;
  let client: Client;
  const progress = new Map<string, EvaluationProgress[]>();
  let onProgress: ((event: EvaluationProgress) => void) | undefined;

  beforeAll(async () => {
    running = await startService({
      stepMs: 1,
      evaluationSliceWork: 100_000,
      onEvaluationProgress: (event) => {
        const events = progress.get(event.jobId) ?? [];
        events.push(event);
        progress.set(event.jobId, events);
        onProgress?.(event);
      },
    });
    client = createClient(running.baseUrl, TENANT_A);
    const long = 'a'.repeat(FIELD_LENGTH);
    const profiles = Array.from({ length: PROFILES }, (_, n) =>
      simpleProfile(`p${n}`, { f1: long, f2: long, f3: `${long}b` }),
    );
    await loadProfiles(client, running.profilesUrl, profiles);
  });
  afterAll(() => running.dispose());

  it.each([
    ['pql/text', `name like "%${'_'.repeat(1_001)}%"`],
    [
      'pql/json',
      JSON.stringify({
        nodeType: 'fnApply',
        fnName: 'like',
        params: [
          {
            nodeType: 'fieldLookup',
            fieldName: 'name',
            object: { nodeType: 'parameterReference', position: 1 },
          },
          { nodeType: 'literal', literalType: 'String', value: 'x'.repeat(2_000) },
        ],
      }),
    ],
  ])(
    'refuses a %s definition whose like pattern is over the limit, naming it',
    async (format, value) => {
      const response = await client.post('/segment/definitions', {
        name: `Too long ${format}`,
        expression: { type: 'PQL', format, value },
        schema: { name: '_xdm.context.profile' },
      });
      expect(response.status).toBe(400);
      expect(errorMessage(response.body)).toMatch(
        /expected a like pattern of at most 1000 characters at .+, but got \d+ characters/,
      );
    },
  );

  it('yields between profiles and answers requests while the pattern runs', async () => {
    // Near misses everywhere: the worst case for a naive search, about 60 million character
    // comparisons per profile. Each profile's work passes the slice budget on its own.
    const part = `${'a'.repeat(500)}_${'a'.repeat(480)}b`;
    const definition = await createDefinition(
      client,
      'Expensive',
      `f1 like "%${part}%" or f2 like "%${part}%" or f3 like "%${part}"`,
    );
    let reply: Promise<string> | undefined;
    onProgress = (event) => {
      if (reply !== undefined || event.processedProfiles >= event.totalProfiles) return;
      reply = client.get<JobView>(`/segment/jobs/${event.jobId}`).then((r) => r.body.status);
    };
    const job = await createJob(client, [definition.id]);
    const final = await waitForFinal(client, job.id);
    onProgress = undefined;
    expect(final.status).toBe('SUCCEEDED');
    expect(final.metrics.segmentedProfileCounter).toEqual({ [definition.id]: PROFILES });
    expect(await reply).toBe('PROCESSING');
    expect(progress.get(job.id)?.length).toBeGreaterThanOrEqual(PROFILES);
  });
});

describe('a large profile upload', () => {
  const PROFILES = 20_000;
  let running: RunningService;
  let other: Client;

  beforeAll(async () => {
    running = await startService({ profileLoadSliceProfiles: 250 });
    other = createClient(running.baseUrl, TENANT_B);
    await loadProfiles(other, running.profilesUrl, [simpleProfile('b0')]);
  });
  afterAll(() => running.dispose());

  /** Streams the upload and resolves once its last byte is handed over, with the response. */
  function streamUpload(body: string): { sent: Promise<void>; response: Promise<Response> } {
    const bytes = new TextEncoder().encode(body);
    const CHUNK = 64 * 1024;
    let offset = 0;
    let markSent: () => void = () => {};
    const sent = new Promise<void>((resolve) => {
      markSent = resolve;
    });
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(bytes.subarray(offset, offset + CHUNK));
        offset += CHUNK;
        if (offset >= bytes.length) {
          controller.close();
          markSent();
        }
      },
    });
    const response = fetch(running.profilesUrl, {
      method: 'POST',
      headers: { ...tenantHeaders(TENANT_A), 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    return { sent, response };
  }

  it('is parsed and written in slices, answering other requests meanwhile', async () => {
    const profiles = Array.from({ length: PROFILES }, (_, n) =>
      simpleProfile(`p${n}`, { n, home: { country: n % 2 === 0 ? 'US' : 'FR' } }),
    );
    const upload = streamUpload(JSON.stringify({ profiles, replace: true }));
    await upload.sent;
    const [counted, replies] = await Promise.all([
      countTurnsUntil(upload.response),
      countRepliesUntil(upload.response, () => other.get(running.profilesUrl)),
    ]);
    const response = counted.value;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      received: PROFILES,
      created: PROFILES,
      updated: 0,
      deleted: 0,
      totalProfiles: PROFILES,
    });
    // 20,000 profiles in slices of 250: dozens of yields; in one piece it would be a handful.
    expect(counted.turns).toBeGreaterThanOrEqual(40);
    expect(replies).toBeGreaterThanOrEqual(5);
  });
});
