// An independent recount of the demo definitions: each one's PQL written again by hand as a
// JavaScript predicate, and a profile's member key derived from its identityMap, so the seeded
// metrics can be checked without the PQL engine or the service's evaluator.
import type { DemoProfile } from '../../src/segmentation-service/demo-profiles.ts';

/** By definition name; a demo definition missing here fails the tests that use it. */
export const DEMO_PREDICATES: Readonly<Record<string, (profile: DemoProfile) => boolean>> = {
  'Works in the US': (profile) => profile.workAddress?.country === 'US',
  'Gold and platinum members': (profile) =>
    profile.loyalty?.tier === 'gold' || profile.loyalty?.tier === 'platinum',
  'Last names starting with S': (profile) => profile.person.name.lastName.startsWith('S'),
  'Californians with 1,000+ points': (profile) =>
    profile.homeAddress.state === 'CA' &&
    profile.loyalty !== undefined &&
    profile.loyalty.points > 1000,
  'Lives in Great Britain': (profile) => profile.homeAddress.country === 'GB',
  'Loyalty members': (profile) => profile.loyalty !== undefined && profile.loyalty.points >= 0,
  'Email marketing opt-in': (profile) => profile.consents?.marketing.email.val === 'y',
};

export function demoPredicate(name: string): (profile: DemoProfile) => boolean {
  const predicate = DEMO_PREDICATES[name];
  if (predicate === undefined) {
    throw new Error(
      `expected a hand-written predicate for demo definition "${name}", but got none`,
    );
  }
  return predicate;
}

/** `namespace` U+001F `id` of the identity flagged primary (every demo profile has one). */
export function memberKey(profile: DemoProfile): string {
  for (const [namespace, identities] of Object.entries(profile.identityMap)) {
    const primary = identities.find((identity) => identity.primary === true);
    if (primary !== undefined) return `${namespace}\u001f${primary.id}`;
  }
  throw new Error(`expected a primary identity in ${JSON.stringify(profile.identityMap)}`);
}

/** The members of a definition among `profiles`. */
export function recount(name: string, profiles: readonly DemoProfile[]): Set<string> {
  const predicate = demoPredicate(name);
  return new Set(profiles.filter(predicate).map(memberKey));
}

/** Realized (in `now`, not in `before`) and exited (in `before`, not in `now`). */
export function membershipChanges(
  now: ReadonlySet<string>,
  before: ReadonlySet<string> | undefined,
): { realized: number; exited: number } {
  if (before === undefined) return { realized: now.size, exited: 0 };
  let realized = 0;
  for (const member of now) if (!before.has(member)) realized += 1;
  let exited = 0;
  for (const member of before) if (!now.has(member)) exited += 1;
  return { realized, exited };
}
