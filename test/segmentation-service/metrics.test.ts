import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DemoProfile,
  generateProfiles,
} from '../../src/segmentation-service/demo-profiles.ts';
import {
  type Client,
  createClient,
  createDefinition,
  createJob,
  type DefinitionView,
  errorMessage,
  type JobView,
  loadProfiles,
  type RunningService,
  startService,
  TENANT_A,
  waitForFinal,
} from './helpers.ts';

// Plain TypeScript twins of the PQL definitions: the expected numbers do not come from the engine.
const SEGMENTS: { name: string; pql: string; matches(profile: DemoProfile): boolean }[] = [
  {
    name: 'US workers',
    pql: 'workAddress.country = "US"',
    matches: (p) => p.workAddress?.country === 'US',
  },
  {
    name: 'Top tiers',
    pql: 'loyalty.tier in ["gold", "platinum"]',
    matches: (p) => p.loyalty?.tier === 'gold' || p.loyalty?.tier === 'platinum',
  },
  {
    name: 'Californian big spenders',
    pql: 'homeAddress.state = "CA" and loyalty.points > 1000',
    matches: (p) => p.homeAddress.state === 'CA' && (p.loyalty?.points ?? 0) > 1000,
  },
  {
    name: 'S names',
    pql: 'person.name.lastName.startsWith("S")',
    matches: (p) => p.person.name.lastName.startsWith('S'),
  },
];

function identityOf(profile: DemoProfile): string {
  for (const [namespace, identities] of Object.entries(profile.identityMap)) {
    const primary = identities.find((identity) => identity.primary === true);
    if (primary !== undefined) return `${namespace}:${primary.id}`;
  }
  throw new Error('a demo profile without a primary identity');
}

function expectedCounts(profiles: readonly DemoProfile[], matches: (p: DemoProfile) => boolean) {
  const members = profiles.filter(matches);
  const byNamespace: Record<string, number> = {};
  for (const profile of members) {
    for (const [namespace, identities] of Object.entries(profile.identityMap)) {
      if (identities.length > 0) byNamespace[namespace] = (byNamespace[namespace] ?? 0) + 1;
    }
  }
  return { members: new Set(members.map(identityOf)), byNamespace };
}

describe('job metrics, counted over the loaded profiles', () => {
  let running: RunningService;
  let client: Client;
  let definitions: DefinitionView[];
  let firstProfiles: DemoProfile[];
  let firstRun: JobView;

  beforeAll(async () => {
    running = await startService({ stepMs: 2 });
    client = createClient(running.baseUrl, TENANT_A);
    firstProfiles = generateProfiles(600, { seed: 7 });
    const loaded = await loadProfiles(client, running.profilesUrl, firstProfiles);
    expect(loaded).toEqual({
      received: 600,
      created: 600,
      updated: 0,
      deleted: 0,
      totalProfiles: 600,
    });
    definitions = [];
    for (const segment of SEGMENTS)
      definitions.push(await createDefinition(client, segment.name, segment.pql));
    firstRun = await waitForFinal(
      client,
      (
        await createJob(
          client,
          definitions.map((d) => d.id),
        )
      ).id,
    );
  });
  afterAll(() => running.dispose());

  it('counts qualifying profiles and their namespaces per segment; the first run realizes them all', () => {
    expect(firstRun.status).toBe('SUCCEEDED');
    const metrics = firstRun.metrics;
    expect(metrics.totalProfiles).toBe(600);
    const mergePolicyId = definitions[0]?.mergePolicyId ?? '';
    expect(metrics.totalProfilesByMergePolicy).toEqual({ [mergePolicyId]: 600 });
    SEGMENTS.forEach((segment, index) => {
      const id = definitions[index]?.id ?? '';
      const expected = expectedCounts(firstProfiles, segment.matches);
      expect(expected.members.size, segment.name).toBeGreaterThan(0);
      expect(metrics.segmentedProfileCounter?.[id], segment.name).toBe(expected.members.size);
      expect(metrics.segmentedProfileByNamespaceCounter?.[id], segment.name).toEqual(
        expected.byNamespace,
      );
      expect(metrics.segmentedProfileByStatusCounter?.[id], segment.name).toEqual({
        realized: expected.members.size,
        exited: 0,
      });
    });
  });

  it('reports start, end and total of both time windows', () => {
    for (const window of [firstRun.metrics.totalTime, firstRun.metrics.profileSegmentationTime]) {
      expect(window.totalTimeInMs).toBe((window.endTimeInMs ?? 0) - (window.startTimeInMs ?? 0));
      expect(window.totalTimeInMs).toBeGreaterThanOrEqual(0);
    }
    expect(firstRun.metrics.totalTime.startTimeInMs).toBe(firstRun.creationTime);
    expect(firstRun.metrics.profileSegmentationTime.startTimeInMs).toBeGreaterThanOrEqual(
      firstRun.metrics.totalTime.startTimeInMs ?? 0,
    );
  });

  it('counts realized and exited against the previous run after the profiles change', async () => {
    // Drop 50 profiles, move 100 in or out of the US, change tiers of 40, add 30 new ones.
    const kept = structuredClone(firstProfiles.slice(0, 550));
    kept.slice(0, 100).forEach((profile) => {
      const isUs = profile.workAddress?.country === 'US';
      profile.workAddress = {
        ...(profile.workAddress ?? profile.homeAddress),
        country: isUs ? 'CA' : 'US',
      };
    });
    kept.slice(100, 140).forEach((profile) => {
      profile.loyalty = {
        tier: profile.loyalty?.tier === 'gold' ? 'bronze' : 'gold',
        points: 10,
        joinDate: '2020-01-01',
      };
    });
    const added = generateProfiles(630, { seed: 7 }).slice(600);
    const secondProfiles = [...kept, ...added];
    const loaded = await loadProfiles(client, running.profilesUrl, secondProfiles, true);
    expect(loaded).toEqual({
      received: 580,
      created: 580,
      updated: 0,
      deleted: 600,
      totalProfiles: 580,
    });

    const secondRun = await waitForFinal(
      client,
      (
        await createJob(
          client,
          definitions.map((d) => d.id),
        )
      ).id,
    );
    expect(secondRun.metrics.totalProfiles).toBe(580);
    let changed = 0;
    SEGMENTS.forEach((segment, index) => {
      const id = definitions[index]?.id ?? '';
      const before = expectedCounts(firstProfiles, segment.matches).members;
      const after = expectedCounts(secondProfiles, segment.matches);
      const realized = [...after.members].filter((member) => !before.has(member)).length;
      const exited = [...before].filter((member) => !after.members.has(member)).length;
      changed += realized + exited;
      expect(secondRun.metrics.segmentedProfileCounter?.[id], segment.name).toBe(
        after.members.size,
      );
      expect(secondRun.metrics.segmentedProfileByStatusCounter?.[id], segment.name).toEqual({
        realized,
        exited,
      });
    });
    expect(changed).toBeGreaterThan(100);
  });

  it('counts updates by identity when profiles are loaded again without replace', async () => {
    const again = generateProfiles(10, { seed: 7 });
    const loaded = await loadProfiles(client, running.profilesUrl, again);
    expect(loaded).toMatchObject({ received: 10, created: 0, updated: 10, deleted: 0 });
  });
});

describe('profile loading', () => {
  let running: RunningService;

  beforeAll(async () => {
    running = await startService({ stepMs: 2 });
  });
  afterAll(() => running.dispose());

  it('accepts 12,000 profiles in one request and evaluates them all', async () => {
    const client = createClient(running.baseUrl, { orgId: 'BIG@AdobeOrg', sandboxName: 'prod' });
    const profiles = generateProfiles(12_000, { seed: 3 });
    const loaded = await loadProfiles(client, running.profilesUrl, profiles);
    expect(loaded.totalProfiles).toBe(12_000);
    const definition = await createDefinition(client, 'US', 'workAddress.country = "US"');
    const final = await waitForFinal(client, (await createJob(client, [definition.id])).id);
    expect(final.metrics.totalProfiles).toBe(12_000);
    expect(final.metrics.segmentedProfileCounter?.[definition.id]).toBe(
      profiles.filter((profile) => profile.workAddress?.country === 'US').length,
    );
  });

  it('refuses a profile nested too deeply to store, with 400', async () => {
    const client = createClient(running.baseUrl, { orgId: 'DEEP@AdobeOrg', sandboxName: 'prod' });
    const depth = 100_000;
    const rawBody = `{"profiles":[{"identityMap":{"ECID":[{"id":"deep"}]},"a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}`;
    const response = await client.request('POST', running.profilesUrl, undefined, { rawBody });
    expect(response.status).toBe(400);
    expect(errorMessage(response.body)).toContain('profiles[0]');
    expect((await client.get(running.profilesUrl)).body).toEqual({ totalProfiles: 0 });
  });
});
