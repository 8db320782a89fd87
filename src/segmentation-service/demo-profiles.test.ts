import { describe, expect, it } from 'vitest';
import { type DemoAddress, generateProfiles } from './demo-profiles.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const COUNTRY_CODES = ['US', 'GB', 'DE', 'FR', 'CA', 'JP'];

function expectAddress(address: DemoAddress): void {
  expect(address.street1).toMatch(/^\d+ \S/);
  expect(address.city.length).toBeGreaterThan(0);
  expect(address.state.length).toBeGreaterThan(0);
  expect(address.postalCode).toMatch(/^\d{5}$/);
  expect(COUNTRY_CODES).toContain(address.country);
}

describe('generateProfiles', () => {
  it('gives the same profiles for the same seed', () => {
    expect(generateProfiles(200, { seed: 42 })).toEqual(generateProfiles(200, { seed: 42 }));
  });

  it('gives different profiles for different seeds', () => {
    expect(generateProfiles(50, { seed: 1 })).not.toEqual(generateProfiles(50, { seed: 2 }));
  });

  it('uses seed 1 when none is given', () => {
    expect(generateProfiles(20)).toEqual(generateProfiles(20, { seed: 1 }));
  });

  it('starts a longer list with the shorter one', () => {
    expect(generateProfiles(100, { seed: 7 }).slice(0, 40)).toEqual(
      generateProfiles(40, { seed: 7 }),
    );
  });

  it.each([0, 1, 17])('returns exactly %i profiles', (count) => {
    expect(generateProfiles(count)).toHaveLength(count);
  });

  it.each([-1, 1.5, Number.NaN])('rejects count %s', (count) => {
    expect(() => generateProfiles(count)).toThrow(/expected count to be a non-negative integer/);
  });

  it('builds XDM profiles with 2–3 identity namespaces and exactly one primary identity', () => {
    for (const profile of generateProfiles(2_000, { seed: 3 })) {
      const namespaces = Object.keys(profile.identityMap);
      expect(namespaces.length).toBeGreaterThanOrEqual(2);
      expect(namespaces.length).toBeLessThanOrEqual(3);
      const identities = Object.values(profile.identityMap).flat();
      expect(identities.filter((identity) => identity.primary === true)).toHaveLength(1);
      for (const identity of identities) expect(identity.id.length).toBeGreaterThan(0);

      expect(profile.person.name.firstName.length).toBeGreaterThan(0);
      expect(profile.person.name.lastName.length).toBeGreaterThan(0);
      expect(profile.person.birthDate).toMatch(ISO_DATE);
      expect(['female', 'male', 'non_specific']).toContain(profile.person.gender);
      expectAddress(profile.homeAddress);
      if (profile.workAddress) expectAddress(profile.workAddress);
      expect(profile.personalEmail.address).toMatch(/^[a-z]+\.[a-z]+\.\d+@[a-z.]+$/);
      expect(profile.mobilePhone.number).toMatch(/^\+\d+$/);
      if (profile.loyalty) {
        expect(['bronze', 'silver', 'gold', 'platinum']).toContain(profile.loyalty.tier);
        expect(Number.isInteger(profile.loyalty.points)).toBe(true);
        expect(profile.loyalty.points).toBeGreaterThanOrEqual(0);
        expect(profile.loyalty.joinDate).toMatch(ISO_DATE);
      }
    }
  });

  it('leaves the work address out for about a fifth of profiles and loyalty out for some', () => {
    const profiles = generateProfiles(10_000, { seed: 9 });
    const withoutWork = profiles.filter((profile) => !('workAddress' in profile)).length;
    const withoutLoyalty = profiles.filter((profile) => !('loyalty' in profile)).length;
    expect(withoutWork / profiles.length).toBeGreaterThan(0.17);
    expect(withoutWork / profiles.length).toBeLessThan(0.23);
    expect(withoutLoyalty).toBeGreaterThan(0);
    expect(withoutLoyalty).toBeLessThan(profiles.length);
  });

  it('spreads profiles over every country and every loyalty tier', () => {
    const profiles = generateProfiles(10_000, { seed: 11 });
    expect(new Set(profiles.map((profile) => profile.homeAddress.country))).toEqual(
      new Set(COUNTRY_CODES),
    );
    expect(new Set(profiles.map((profile) => profile.loyalty?.tier).filter(Boolean))).toEqual(
      new Set(['bronze', 'silver', 'gold', 'platinum']),
    );
  });

  it('gives every profile distinct identities', () => {
    const profiles = generateProfiles(5_000, { seed: 5 });
    const emails = new Set(profiles.map((profile) => profile.identityMap.Email?.[0]?.id));
    const ecids = new Set(profiles.map((profile) => profile.identityMap.ECID?.[0]?.id));
    expect(emails.size).toBe(profiles.length);
    expect(ecids.size).toBe(profiles.length);
  });
});
