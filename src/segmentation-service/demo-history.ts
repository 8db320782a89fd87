// How the demo tenant's profiles looked at each of its past runs. The generated profiles are the
// newest state; a seeded generator rewinds what changed before each run (loyalty joins, upgrades
// and points, moves, new jobs, new names, consents, profiles replaced). Pure and synchronous.
import {
  createRandom,
  type DemoAddress,
  type DemoConsents,
  type DemoLoyaltyTier,
  type DemoProfile,
  generateProfiles,
} from './demo-profiles.ts';

export interface DemoHistoryOptions {
  /**
   * Seed of the changes between states (the profiles themselves use `generateProfiles`' default).
   * @default 2
   */
  seed?: number;
}

export interface DemoHistory {
  /** How many states there are; state `states - 1` is `current`. */
  readonly states: number;
  /** The newest profiles: exactly `generateProfiles(count)`. */
  readonly current: readonly DemoProfile[];
  /**
   * The profiles at `state` (0 = the oldest), always `count` of them: the current ones in their
   * order, minus those that arrived later, then those that were replaced since. A profile that
   * did not change since is the very object of `current`.
   */
  profilesAt(state: number): DemoProfile[];
}

/** A field's value before the state `at`; from `at` on it has its current value. */
interface Change<T> {
  at: number;
  previous: T;
}

interface Timeline {
  doc: DemoProfile;
  /** First state the profile exists in. */
  from: number;
  /** First state it no longer exists in. */
  until: number;
  /** Joined (previous: none) or left (previous: the old membership) the loyalty program. */
  loyalty?: Change<DemoProfile['loyalty']>;
  tier?: Change<DemoLoyaltyTier>;
  /** Points earned after each state: subtracted from the current points to get that state's. */
  pointsAhead?: number[];
  home?: Change<DemoAddress>;
  work?: Change<DemoAddress | undefined>;
  lastName?: Change<string>;
  consents?: Change<DemoConsents | undefined>;
}

// Shares of profiles with each kind of change during the history; the changes are spread
// evenly over the states, so every run sees a few of each.
const ARRIVED_RATIO = 0.03;
const JOINED_LOYALTY_RATIO = 0.3;
const LEFT_LOYALTY_RATIO = 0.08;
const UPGRADED_RATIO = 0.25;
const DOWNGRADED_RATIO = 0.05;
const MOVED_RATIO = 0.05;
const CHANGED_JOB_RATIO = 0.08;
const RENAMED_RATIO = 0.02;
const CHANGED_CONSENTS_RATIO = 0.06;
/** Chance that a member earns points between two states, and the most earned at once. */
const EARNING_RATIO = 0.35;
const MAX_EARNED_POINTS = 400;

const TIERS: readonly DemoLoyaltyTier[] = ['bronze', 'silver', 'gold', 'platinum'];

function isLater<T>(change: Change<T> | undefined, state: number): change is Change<T> {
  return change !== undefined && change.at > state;
}

function stateOf(timeline: Timeline, state: number): DemoProfile {
  const { doc } = timeline;
  let isChanged = false;

  let loyalty = doc.loyalty;
  if (isLater(timeline.loyalty, state)) {
    loyalty = timeline.loyalty.previous;
    isChanged = true;
  } else if (loyalty !== undefined) {
    const tier = isLater(timeline.tier, state) ? timeline.tier.previous : loyalty.tier;
    const ahead = timeline.pointsAhead?.[state] ?? 0;
    if (tier !== loyalty.tier || ahead > 0) {
      loyalty = { ...loyalty, tier, points: Math.max(0, loyalty.points - ahead) };
      isChanged = true;
    }
  }
  let homeAddress = doc.homeAddress;
  if (isLater(timeline.home, state)) {
    homeAddress = timeline.home.previous;
    isChanged = true;
  }
  let workAddress = doc.workAddress;
  if (isLater(timeline.work, state)) {
    workAddress = timeline.work.previous;
    isChanged = true;
  }
  let person = doc.person;
  if (isLater(timeline.lastName, state)) {
    person = { ...person, name: { ...person.name, lastName: timeline.lastName.previous } };
    isChanged = true;
  }
  let consents = doc.consents;
  if (isLater(timeline.consents, state)) {
    consents = timeline.consents.previous;
    isChanged = true;
  }
  if (!isChanged) return doc;

  // Built field by field (not spread): this runs for most profiles of every past state.
  const profile: DemoProfile = {
    identityMap: doc.identityMap,
    person,
    homeAddress,
    personalEmail: doc.personalEmail,
    mobilePhone: doc.mobilePhone,
  };
  // Optional parts stay absent, not undefined, as in generated profiles.
  if (workAddress !== undefined) profile.workAddress = workAddress;
  if (loyalty !== undefined) profile.loyalty = loyalty;
  if (consents !== undefined) profile.consents = consents;
  return profile;
}

/**
 * The demo profiles over `states` states, the last being `generateProfiles(count)`. The same
 * `count`, `states` and seed always give the same history.
 */
export function createDemoHistory(
  count: number,
  states: number,
  options: DemoHistoryOptions = {},
): DemoHistory {
  if (!Number.isInteger(states) || states < 1) {
    throw new RangeError(`expected states to be a positive integer, but got ${states}`);
  }
  const random = createRandom(options.seed ?? 2);
  // A change happens before one of the states after the first.
  const changeAt = () => 1 + Math.floor(random() * (states - 1));
  const hasChange = (ratio: number) => states > 1 && random() < ratio;

  // Arrivals are drawn first: each arrival replaces a profile that existed until then, so every
  // state has `count` profiles, and the replaced ones are the next generated profiles.
  const arrivals: number[] = [];
  for (let index = 0; index < count; index++) {
    arrivals.push(hasChange(ARRIVED_RATIO) ? changeAt() : 0);
  }
  const replaced = arrivals.filter((at) => at > 0);
  const generated = generateProfiles(count + replaced.length);
  const current = generated.slice(0, count);
  const other = () => current[Math.floor(random() * count)] as DemoProfile;

  const timelines: Timeline[] = current.map((doc, index) => {
    const timeline: Timeline = { doc, from: arrivals[index] ?? 0, until: states };
    if (doc.loyalty !== undefined) {
      const tierIndex = TIERS.indexOf(doc.loyalty.tier);
      if (hasChange(JOINED_LOYALTY_RATIO)) {
        timeline.loyalty = { at: changeAt(), previous: undefined };
      } else if (tierIndex >= 1 && hasChange(UPGRADED_RATIO)) {
        timeline.tier = { at: changeAt(), previous: TIERS[tierIndex - 1] as DemoLoyaltyTier };
      } else if (tierIndex <= 1 && hasChange(DOWNGRADED_RATIO)) {
        timeline.tier = { at: changeAt(), previous: TIERS[tierIndex + 1] as DemoLoyaltyTier };
      }
      const ahead: number[] = new Array(states).fill(0);
      for (let state = states - 2; state >= 0; state--) {
        const earned = random() < EARNING_RATIO ? Math.floor(random() * MAX_EARNED_POINTS) + 1 : 0;
        ahead[state] = (ahead[state + 1] ?? 0) + earned;
      }
      timeline.pointsAhead = ahead;
    } else if (hasChange(LEFT_LOYALTY_RATIO)) {
      const previous = other().loyalty;
      if (previous !== undefined) timeline.loyalty = { at: changeAt(), previous };
    }
    if (hasChange(MOVED_RATIO)) timeline.home = { at: changeAt(), previous: other().homeAddress };
    if (hasChange(CHANGED_JOB_RATIO)) {
      timeline.work = { at: changeAt(), previous: other().workAddress };
    }
    if (hasChange(RENAMED_RATIO)) {
      timeline.lastName = { at: changeAt(), previous: other().person.name.lastName };
    }
    if (hasChange(CHANGED_CONSENTS_RATIO)) {
      timeline.consents = { at: changeAt(), previous: other().consents };
    }
    return timeline;
  });
  replaced.forEach((at, offset) => {
    timelines.push({ doc: generated[count + offset] as DemoProfile, from: 0, until: at });
  });

  function profilesAt(state: number): DemoProfile[] {
    if (!Number.isInteger(state) || state < 0 || state >= states) {
      throw new RangeError(`expected a state from 0 to ${states - 1}, but got ${state}`);
    }
    const profiles: DemoProfile[] = [];
    for (const timeline of timelines) {
      if (state < timeline.from || state >= timeline.until) continue;
      profiles.push(stateOf(timeline, state));
    }
    return profiles;
  }

  return { states, current, profilesAt };
}
