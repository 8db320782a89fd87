import { describe, expect, it } from 'vitest';
import { createDemoHistory } from './demo-history.ts';
import { type DemoProfile, generateProfiles } from './demo-profiles.ts';

function primaryKey(profile: DemoProfile): string {
  for (const [namespace, identities] of Object.entries(profile.identityMap)) {
    const primary = identities.find((identity) => identity.primary === true);
    if (primary !== undefined) return `${namespace}:${primary.id}`;
  }
  return '';
}

describe('createDemoHistory', () => {
  const history = createDemoHistory(500, 12);

  it('ends with exactly the generated profiles', () => {
    expect(history.current).toEqual(generateProfiles(500));
    expect(history.profilesAt(11)).toEqual(generateProfiles(500));
  });

  it('has the same number of profiles, with distinct identities, in every state', () => {
    for (let state = 0; state < history.states; state++) {
      const profiles = history.profilesAt(state);
      expect(profiles).toHaveLength(500);
      expect(new Set(profiles.map(primaryKey)).size).toBe(500);
    }
  });

  it('replaces a few profiles over time, so identities come and go', () => {
    const first = new Set(history.profilesAt(0).map(primaryKey));
    const last = new Set(history.profilesAt(11).map(primaryKey));
    const arrived = [...last].filter((key) => !first.has(key));
    expect(arrived.length).toBeGreaterThan(0);
    expect(arrived.length).toBeLessThan(50);
  });

  it('changes some profiles between each pair of states and keeps the rest as they are', () => {
    for (let state = 1; state < history.states; state++) {
      const before = new Map(history.profilesAt(state - 1).map((p) => [primaryKey(p), p]));
      const now = history.profilesAt(state);
      const changed = now.filter((profile) => {
        const previous = before.get(primaryKey(profile));
        return previous !== undefined && JSON.stringify(previous) !== JSON.stringify(profile);
      });
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.length).toBeLessThan(now.length);
    }
  });

  it('reuses the current object for a profile that did not change since', () => {
    const current = new Set<DemoProfile>(history.current);
    const reused = history.profilesAt(0).filter((profile) => current.has(profile));
    expect(reused.length).toBeGreaterThan(0);
  });

  it('leaves optional parts absent, not undefined, in past states', () => {
    for (const profile of history.profilesAt(0)) {
      for (const key of ['workAddress', 'loyalty', 'consents'] as const) {
        if (key in profile) expect(profile[key]).toBeDefined();
      }
    }
  });

  it('grows loyalty membership over time', () => {
    const members = (state: number) =>
      history.profilesAt(state).filter((profile) => profile.loyalty !== undefined).length;
    expect(members(11)).toBeGreaterThan(members(0));
  });

  it('gives the same history for the same count, states and seed', () => {
    const again = createDemoHistory(500, 12);
    for (const state of [0, 5, 11]) {
      expect(again.profilesAt(state)).toEqual(history.profilesAt(state));
    }
    expect(createDemoHistory(500, 12, { seed: 9 }).profilesAt(0)).not.toEqual(
      history.profilesAt(0),
    );
  });

  it('has no past with a single state, and refuses states out of range', () => {
    const single = createDemoHistory(50, 1);
    expect(single.profilesAt(0)).toEqual(generateProfiles(50));
    expect(() => single.profilesAt(1)).toThrow(/expected a state from 0 to 0, but got 1/);
    expect(() => createDemoHistory(50, 0)).toThrow(/expected states to be a positive integer/);
  });
});
