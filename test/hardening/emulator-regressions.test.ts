// Inputs the fuzzing of the embedded service found mishandled, pinned as plain examples over real
// HTTP: keys that name Object.prototype members, taken from ids and identity namespaces.
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
  startService,
  TENANT_A,
  waitForFinal,
} from '../segmentation-service/helpers.ts';

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe('keys named like Object.prototype members', () => {
  let running: RunningService;
  let client: Client;
  let definition: DefinitionView;
  let job: JobView;

  beforeAll(async () => {
    running = await startService();
    client = createClient(running.baseUrl, TENANT_A);
    await loadProfiles(client, running.profilesUrl, [
      { identityMap: { constructor: [{ id: 'a' }] }, n: 1 },
      { identityMap: { constructor: [{ id: 'b' }], toString: [{ id: 'b' }] }, n: 2 },
      { identityMap: { ECID: [{ id: 'c' }], valueOf: [{ id: 'c' }] }, n: 3 },
    ]);
    definition = await createDefinition(client, 'Everyone', 'n > 0');
    job = await waitForFinal(client, (await createJob(client, [definition.id])).id);
  });
  afterAll(() => running.dispose());

  it.each([
    ['jobs', () => job.id],
    ['definitions', () => definition.id],
  ])('bulk-get of %s answers one entry for each of them too', async (kind, knownId) => {
    const ids = [...PROTOTYPE_KEYS, knownId()];
    const response = await client.post<{ results: Record<string, { id: string }> }>(
      `/segment/${kind}/bulk-get`,
      { ids: ids.map((id) => ({ id })) },
    );
    expect(response.status).toBe(207);
    expect(Object.keys(response.body.results).sort()).toEqual([...ids].sort());
    for (const id of PROTOTYPE_KEYS) {
      expect(response.body.results[id]).toMatchObject({ id, error: { status: 404 } });
    }
    expect(response.body.results[knownId()]?.id).toBe(knownId());
  });

  it('counts identity namespaces named constructor, toString or valueOf as numbers', () => {
    expect(job.status).toBe('SUCCEEDED');
    expect(job.metrics.segmentedProfileByNamespaceCounter?.[definition.id]).toEqual({
      constructor: 2,
      toString: 1,
      ECID: 1,
      valueOf: 1,
    });
  });
});
