// Bulk-gets of jobs and definitions where none of the ids is known: one 404 for the whole
// request, as Adobe documents for its audiences bulk-get; any known id keeps the 207 answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  createClient,
  createDefinition,
  createJob,
  type RunningService,
  type ServiceErrorView,
  startService,
  TENANT_A,
  TENANT_B,
} from './helpers.ts';

const KINDS = [
  ['jobs', 'segment job'],
  ['definitions', 'segment definition'],
] as const;

describe('bulk-get where no id is known', () => {
  let running: RunningService;
  let client: Client;
  let known: Record<(typeof KINDS)[number][0], string>;

  beforeAll(async () => {
    running = await startService({ stepMs: 60_000 });
    client = createClient(running.baseUrl, TENANT_A);
    const definition = await createDefinition(client, 'Known', 'a = 1');
    const job = await createJob(client, [definition.id]);
    known = { jobs: job.id, definitions: definition.id };
  });
  afterAll(() => running.dispose());

  it.each(KINDS)('%s: answers 404 for the whole request, naming the ids', async (kind, what) => {
    const response = await client.post<ServiceErrorView>(`/segment/${kind}/bulk-get`, {
      ids: [{ id: 'missing-1' }, { id: 'missing-2' }],
    });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({
      type: 'https://ns.adobe.com/aep/errors/UPAPI-1404-404',
      status: 404,
      errors: {
        '404': [
          {
            code: 'UPAPI-1404-404',
            message: `expected at least one known ${what} id, but none of these was found: missing-1, missing-2`,
          },
        ],
      },
    });
    expect(typeof response.body.requestId).toBe('string');
  });

  it.each(KINDS)('%s: another tenant’s ids count as unknown', async (kind) => {
    const other = createClient(running.baseUrl, TENANT_B);
    const response = await other.post(`/segment/${kind}/bulk-get`, {
      ids: [{ id: known[kind] }],
    });
    expect(response.status).toBe(404);
  });

  it.each(KINDS)('%s: one known id keeps 207 with error entries for the rest', async (kind) => {
    const response = await client.post<{ results: Record<string, unknown> }>(
      `/segment/${kind}/bulk-get`,
      { ids: [{ id: 'missing-1' }, { id: known[kind] }] },
    );
    expect(response.status).toBe(207);
    expect(response.body.results[known[kind]]).toMatchObject({ id: known[kind] });
    expect(response.body.results['missing-1']).toMatchObject({
      id: 'missing-1',
      error: { status: 404, code: 'UPAPI-1404-404' },
    });
  });

  it.each(KINDS)('%s: lists at most ten ids in the message', async (kind) => {
    const ids = Array.from({ length: 12 }, (_, index) => ({ id: `m${index}` }));
    const response = await client.post<ServiceErrorView>(`/segment/${kind}/bulk-get`, { ids });
    expect(response.status).toBe(404);
    expect(response.body.errors['404']?.[0]?.message).toMatch(/m0, m1, .*, m9 and 2 more$/);
  });
});
