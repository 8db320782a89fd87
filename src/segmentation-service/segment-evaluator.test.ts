import { describe, expect, it } from 'vitest';
import { createWorkMeter } from './pql/work-meter.ts';
import type { CachedProfile } from './profile-cache.ts';
import { buildMetrics, countMembershipChanges, evaluateSegments } from './segment-evaluator.ts';

const profiles: CachedProfile[] = Array.from({ length: 10 }, (_, index) => ({
  identity: `ECID\u001f${index}`,
  namespaces: index % 2 === 0 ? ['ECID', 'Email'] : ['ECID'],
  doc: { n: index },
}));
const value = (doc: unknown) => (doc as { n: number }).n;

describe('evaluateSegments', () => {
  it('counts members and namespaces per segment', async () => {
    const outcome = await evaluateSegments({
      profiles,
      segments: [
        { id: 'even', mergePolicyId: 'mp', evaluate: (doc) => value(doc) % 2 === 0 },
        { id: 'big', mergePolicyId: 'mp', evaluate: (doc) => value(doc) >= 7 },
      ],
      chunkProfiles: 3,
    });
    expect(outcome.kind).toBe('done');
    if (outcome.kind !== 'done') return;
    expect(outcome.segments[0]?.members).toHaveLength(5);
    expect(outcome.segments[0]?.byNamespace).toEqual({ ECID: 5, Email: 5 });
    expect(outcome.segments[1]?.members).toEqual(['ECID\u001f7', 'ECID\u001f8', 'ECID\u001f9']);
    expect(outcome.segments[1]?.byNamespace).toEqual({ ECID: 3, Email: 1 });
  });

  it('counts namespaces named like Object.prototype members from zero', async () => {
    const outcome = await evaluateSegments({
      profiles: ['constructor', 'toString', 'constructor', '__proto__'].map((namespace, n) => ({
        identity: `${namespace}\u001f${n}`,
        namespaces: [namespace],
        doc: { n },
      })),
      segments: [{ id: 'all', mergePolicyId: 'mp', evaluate: () => true }],
    });
    if (outcome.kind !== 'done') throw new Error(`expected done, but got ${outcome.kind}`);
    const metrics = buildMetrics({
      totalProfiles: 4,
      segments: outcome.segments,
      memberCounts: new Map([['all', 4]]),
      changes: new Map(),
      jobStartMs: 0,
      segmentationStartMs: 0,
      segmentationEndMs: 0,
      endMs: 0,
    });
    expect(JSON.parse(JSON.stringify(metrics.segmentedProfileByNamespaceCounter))).toEqual(
      JSON.parse('{"all":{"constructor":2,"toString":1,"__proto__":1}}'),
    );
  });

  it('reports progress once per slice', async () => {
    const seen: number[] = [];
    await evaluateSegments({
      profiles,
      segments: [{ id: 's', mergePolicyId: 'mp', evaluate: () => true }],
      chunkProfiles: 4,
      onProgress: (processed) => seen.push(processed),
    });
    expect(seen).toEqual([4, 8, 10]);
  });

  // A predicate reports its work to the meter; a slice ends once the work passes the budget, so
  // a few expensive profiles get their own slices while cheap ones share a large one.
  it.each([
    // [profiles, work units per profile, slice work budget, fewest slices]
    [30, 1_000, 2_500, 10],
    [30, 10_000, 2_500, 30],
    [12, 0, 2_500, 1],
  ])(
    '%i profiles of %i units each with a budget of %i take at least %i slices',
    async (count, unitsPerProfile, maxSliceWork, fewestSlices) => {
      const meter = createWorkMeter();
      let slices = 0;
      const outcome = await evaluateSegments({
        profiles: profiles.concat(profiles, profiles).slice(0, count),
        segments: [
          {
            id: 's',
            mergePolicyId: 'mp',
            evaluate: () => {
              meter.units += unitsPerProfile;
              return true;
            },
          },
        ],
        meter,
        maxSliceWork,
        onProgress: () => {
          slices += 1;
        },
      });
      expect(outcome.kind).toBe('done');
      expect(slices).toBeGreaterThanOrEqual(fewestSlices);
      expect(slices).toBeLessThanOrEqual(count);
    },
  );

  it('stops at the next slice when asked', async () => {
    let slices = 0;
    const outcome = await evaluateSegments({
      profiles,
      segments: [{ id: 's', mergePolicyId: 'mp', evaluate: () => true }],
      chunkProfiles: 2,
      onProgress: () => {
        slices += 1;
      },
      shouldStop: () => slices >= 2,
    });
    expect(outcome).toEqual({ kind: 'stopped', processedProfiles: 4 });
  });

  it('names the segment whose predicate threw', async () => {
    const failing = evaluateSegments({
      profiles,
      segments: [
        {
          id: 'bad',
          mergePolicyId: 'mp',
          evaluate: () => {
            throw new Error('boom');
          },
        },
      ],
    });
    await expect(failing).rejects.toThrow('segment definition bad could not be evaluated: boom');
  });
});

describe('countMembershipChanges', () => {
  it.each([
    ['a first run realizes everyone', ['a', 'b'], undefined, { realized: 2, exited: 0 }],
    ['an unchanged run realizes nobody', ['a', 'b'], ['b', 'a'], { realized: 0, exited: 0 }],
    ['a changed run', ['b', 'c', 'd'], ['a', 'b'], { realized: 2, exited: 1 }],
    ['an emptied segment', [], ['a', 'b'], { realized: 0, exited: 2 }],
  ])('%s', async (_, current, previous, expected) => {
    expect(await countMembershipChanges(current, previous, 2)).toEqual(expected);
  });
});

describe('buildMetrics', () => {
  it('computes every map from the segment results', () => {
    const metrics = buildMetrics({
      totalProfiles: 10,
      segments: [{ id: 's', mergePolicyId: 'mp', byNamespace: { ECID: 2 } }],
      memberCounts: new Map([['s', 2]]),
      changes: new Map([['s', { realized: 1, exited: 1 }]]),
      jobStartMs: 100,
      segmentationStartMs: 200,
      segmentationEndMs: 250,
      endMs: 300,
    });
    expect(metrics).toEqual({
      totalTime: { startTimeInMs: 100, endTimeInMs: 300, totalTimeInMs: 200 },
      profileSegmentationTime: { startTimeInMs: 200, endTimeInMs: 250, totalTimeInMs: 50 },
      totalProfiles: 10,
      segmentedProfileCounter: { s: 2 },
      segmentedProfileByNamespaceCounter: { s: { ECID: 2 } },
      segmentedProfileByStatusCounter: { s: { realized: 1, exited: 1 } },
      totalProfilesByMergePolicy: { mp: 10 },
    });
  });
});
