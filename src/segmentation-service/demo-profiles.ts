// Deterministic demo data for the embedded service: XDM Individual Profile documents from a seed.
// Pure and synchronous; it neither stores profiles nor decides which identity is primary for a job.

/** One identity in an XDM `identityMap` namespace. */
export interface DemoIdentity {
  id: string;
  primary?: boolean;
}

export interface DemoAddress {
  street1: string;
  city: string;
  state: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, e.g. `US`. */
  country: string;
}

export type DemoLoyaltyTier = 'bronze' | 'silver' | 'gold' | 'platinum';

export interface DemoConsents {
  marketing: { email: { val: 'y' | 'n' }; sms: { val: 'y' | 'n' } };
}

/**
 * A generated XDM Individual Profile. Exactly one identity across `identityMap` has
 * `primary: true`. Optional parts (`workAddress`, `loyalty`, `consents`) are absent, not null,
 * when a profile lacks them.
 */
export interface DemoProfile {
  identityMap: Record<string, DemoIdentity[]>;
  person: {
    name: { firstName: string; lastName: string };
    /** `YYYY-MM-DD`. */
    birthDate: string;
    gender: 'female' | 'male' | 'non_specific';
  };
  homeAddress: DemoAddress;
  workAddress?: DemoAddress;
  personalEmail: { address: string };
  mobilePhone: { number: string };
  loyalty?: { tier: DemoLoyaltyTier; points: number; joinDate: string };
  consents?: DemoConsents;
}

export interface GenerateProfilesOptions {
  /**
   * Seed for the pseudo-random generator: the same seed and count give the same profiles.
   * @default 1
   */
  seed?: number;
}

interface CountryData {
  code: string;
  /** Relative share of profiles living in this country. */
  weight: number;
  cities: readonly (readonly [city: string, state: string])[];
  dialCode: string;
}

const COUNTRIES: readonly CountryData[] = [
  {
    code: 'US',
    weight: 40,
    dialCode: '+1',
    cities: [
      ['San Jose', 'CA'],
      ['San Francisco', 'CA'],
      ['New York', 'NY'],
      ['Austin', 'TX'],
      ['Seattle', 'WA'],
      ['Chicago', 'IL'],
      ['Lehi', 'UT'],
    ],
  },
  {
    code: 'GB',
    weight: 12,
    dialCode: '+44',
    cities: [
      ['London', 'ENG'],
      ['Manchester', 'ENG'],
      ['Edinburgh', 'SCT'],
    ],
  },
  {
    code: 'DE',
    weight: 12,
    dialCode: '+49',
    cities: [
      ['Berlin', 'BE'],
      ['Hamburg', 'HH'],
      ['Munich', 'BY'],
    ],
  },
  {
    code: 'FR',
    weight: 10,
    dialCode: '+33',
    cities: [
      ['Paris', 'IDF'],
      ['Lyon', 'ARA'],
      ['Marseille', 'PAC'],
    ],
  },
  {
    code: 'CA',
    weight: 14,
    dialCode: '+1',
    cities: [
      ['Toronto', 'ON'],
      ['Vancouver', 'BC'],
      ['Montreal', 'QC'],
    ],
  },
  {
    code: 'JP',
    weight: 12,
    dialCode: '+81',
    cities: [
      ['Tokyo', '13'],
      ['Osaka', '27'],
      ['Sapporo', '01'],
    ],
  },
];

const COUNTRY_WEIGHT_TOTAL = COUNTRIES.reduce((sum, country) => sum + country.weight, 0);

const FIRST_NAMES = [
  'Alice',
  'Bruno',
  'Chloé',
  'Daniel',
  'Emma',
  'Felix',
  'Grace',
  'Hiroshi',
  'Isabel',
  'James',
  'Keiko',
  'Liam',
  'Maria',
  'Noah',
  'Olivia',
  'Pierre',
  'Quinn',
  'Rosa',
  'Sophie',
  'Thomas',
  'Uma',
  'Victor',
  'Wei',
  'Yuki',
] as const;

const LAST_NAMES = [
  'Anderson',
  'Bernard',
  'Chen',
  'Dubois',
  'Evans',
  'Fischer',
  'García',
  'Müller',
  'Nakamura',
  'Okafor',
  'Patel',
  'Roberts',
  'Schmidt',
  'Smith',
  'Suzuki',
  'Tremblay',
  'Wilson',
] as const;

const STREET_NAMES = [
  'Park Avenue',
  'Main Street',
  'High Street',
  'Oak Lane',
  'Maple Road',
  'River Drive',
  'Station Road',
  'Market Street',
] as const;

const EMAIL_DOMAINS = ['example.com', 'example.org', 'mail.example.net'] as const;

const GENDERS = ['female', 'male', 'non_specific'] as const;

const LOYALTY_TIERS: readonly DemoLoyaltyTier[] = ['bronze', 'silver', 'gold', 'platinum'];

/** Share of profiles with no work address, so the PQL null rule has something to bite on. */
const MISSING_WORK_ADDRESS_RATIO = 0.2;
const MISSING_LOYALTY_RATIO = 0.3;
const MISSING_CONSENTS_RATIO = 0.4;

const DAY_MS = 86_400_000;
const BIRTH_START_MS = Date.UTC(1950, 0, 1);
const BIRTH_SPAN_DAYS = 18_250; // about 50 years, so birth years run 1950–1999
const LOYALTY_START_MS = Date.UTC(2015, 0, 1);
const LOYALTY_SPAN_DAYS = 3_650;

/** mulberry32: tiny, fast and good enough for demo data; returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  // The index is always in range because random() < 1.
  return items[Math.floor(random() * items.length)] as T;
}

function pickCountry(random: () => number): CountryData {
  let remaining = random() * COUNTRY_WEIGHT_TOTAL;
  for (const country of COUNTRIES) {
    remaining -= country.weight;
    if (remaining < 0) return country;
  }
  return COUNTRIES[0] as CountryData;
}

function digits(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += Math.floor(random() * 10);
  return text;
}

// Formatting a Date is the slowest step per profile, so each day's text is made once and reused.
const dateTextCache = new Map<number, string>();

function randomDate(random: () => number, startMs: number, spanDays: number): string {
  const epochMs = startMs + Math.floor(random() * spanDays) * DAY_MS;
  let text = dateTextCache.get(epochMs);
  if (text === undefined) {
    text = new Date(epochMs).toISOString().slice(0, 10);
    dateTextCache.set(epochMs, text);
  }
  return text;
}

const EMAIL_PARTS = new Map<string, string>(
  [...FIRST_NAMES, ...LAST_NAMES].map((name) => [
    name,
    name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase(),
  ]),
);

// Names are folded to ASCII once, up front, because generating 100k profiles must stay cheap.
function emailPart(name: string): string {
  return EMAIL_PARTS.get(name) ?? name.toLowerCase();
}

function createAddress(random: () => number, country: CountryData): DemoAddress {
  const [city, state] = pick(random, country.cities);
  return {
    street1: `${1 + Math.floor(random() * 999)} ${pick(random, STREET_NAMES)}`,
    city,
    state,
    postalCode: digits(random, 5),
    country: country.code,
  };
}

function createIdentityMap(
  random: () => number,
  index: number,
  email: string,
  phone: string,
): Record<string, DemoIdentity[]> {
  const identityMap: Record<string, DemoIdentity[]> = {
    ECID: [{ id: `${digits(random, 19)}${String(index).padStart(19, '0')}` }],
    Email: [{ id: email }],
  };
  const extra = random();
  if (extra < 0.35) identityMap.Phone = [{ id: phone }];
  else if (extra < 0.7) identityMap.CRMID = [{ id: `CRM-${String(index).padStart(8, '0')}` }];
  // Email is primary for most profiles, as it is for known customers; ECID for the rest.
  const primaryNamespace = random() < 0.75 ? 'Email' : 'ECID';
  const primary = identityMap[primaryNamespace]?.[0];
  if (primary) primary.primary = true;
  return identityMap;
}

function createProfile(random: () => number, index: number): DemoProfile {
  const home = pickCountry(random);
  const firstName = pick(random, FIRST_NAMES);
  const lastName = pick(random, LAST_NAMES);
  const email = `${emailPart(firstName)}.${emailPart(lastName)}.${index}@${pick(random, EMAIL_DOMAINS)}`;
  const phone = `${home.dialCode}${digits(random, 10)}`;

  const profile: DemoProfile = {
    identityMap: createIdentityMap(random, index, email, phone),
    person: {
      name: { firstName, lastName },
      birthDate: randomDate(random, BIRTH_START_MS, BIRTH_SPAN_DAYS),
      gender: pick(random, GENDERS),
    },
    homeAddress: createAddress(random, home),
    personalEmail: { address: email },
    mobilePhone: { number: phone },
  };

  if (random() >= MISSING_WORK_ADDRESS_RATIO) {
    // Most people work in the country they live in.
    const workCountry = random() < 0.85 ? home : pickCountry(random);
    profile.workAddress = createAddress(random, workCountry);
  }
  if (random() >= MISSING_LOYALTY_RATIO) {
    const tierRoll = random();
    const tierIndex = tierRoll < 0.5 ? 0 : tierRoll < 0.8 ? 1 : tierRoll < 0.95 ? 2 : 3;
    const tier = LOYALTY_TIERS[tierIndex] as DemoLoyaltyTier;
    profile.loyalty = {
      tier,
      points: Math.floor(random() * 5_000 * (tierIndex + 1)),
      joinDate: randomDate(random, LOYALTY_START_MS, LOYALTY_SPAN_DAYS),
    };
  }
  if (random() >= MISSING_CONSENTS_RATIO) {
    profile.consents = {
      marketing: {
        email: { val: random() < 0.6 ? 'y' : 'n' },
        sms: { val: random() < 0.3 ? 'y' : 'n' },
      },
    };
  }
  return profile;
}

/**
 * Generates `count` demo profiles. The same `count` and `seed` always give the same profiles,
 * and a longer list starts with the shorter one.
 */
export function generateProfiles(
  count: number,
  options: GenerateProfilesOptions = {},
): DemoProfile[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`expected count to be a non-negative integer, but got ${count}`);
  }
  const random = createRandom(options.seed ?? 1);
  const profiles: DemoProfile[] = new Array(count);
  for (let index = 0; index < count; index++) profiles[index] = createProfile(random, index);
  return profiles;
}
