// The demo tenant's segment definitions and their fixed ids, so docs and examples can name them.
// Pure: nothing here stores anything or reads the clock.
import { createHash } from 'node:crypto';

/**
 * The namespace the demo definition ids are derived from. Changing it (or a definition's name)
 * changes the ids the README and the GraphiQL example name.
 */
export const DEMO_DEFINITION_NAMESPACE = '0f6b1d2e-5a3c-4e7b-9c81-d3a2f4e6b7c9';

/**
 * A demo definition's id: the first 16 bytes of SHA-256 over the namespace, a unit separator
 * and the name, with the version (4) and variant (RFC 4122) bits set, so it has the shape of
 * Adobe's definition ids (random version 4 UUIDs, e.g. `54669488-03ab-4e0d-a694-37fe49e32be8`)
 * while every data directory gets the same one.
 */
export function demoDefinitionId(name: string): string {
  const bytes = createHash('sha256')
    .update(`${DEMO_DEFINITION_NAMESPACE}\u001f${name}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface DemoDefinition {
  id: string;
  name: string;
  description: string;
  pql: string;
  /**
   * The scheduled run (0 = the oldest of the demo's days) from which the definition exists and
   * is evaluated; 0 for all but the one created lately, whose history is short.
   */
  firstDay: number;
}

function demo(name: string, description: string, pql: string, firstDay = 0): DemoDefinition {
  return { id: demoDefinitionId(name), name, description, pql, firstDay };
}

/** The demo definitions: the PQL subset the engine supports, over the generated fields. */
export const DEMO_DEFINITIONS: readonly DemoDefinition[] = [
  demo(
    'Works in the US',
    'Profiles whose work address is in the United States',
    'workAddress.country = "US"',
  ),
  demo(
    'Gold and platinum members',
    'Loyalty members of the two top tiers',
    'loyalty.tier in ["gold", "platinum"]',
  ),
  demo(
    'Last names starting with S',
    'Profiles whose last name starts with S',
    'person.name.lastName.startsWith("S")',
  ),
  demo(
    'Californians with 1,000+ points',
    'Home in California and more than 1,000 loyalty points',
    'homeAddress.state = "CA" and loyalty.points > 1000',
  ),
  demo(
    'Lives in Great Britain',
    'Profiles whose home address is in the United Kingdom',
    'homeAddress.country = "GB"',
  ),
  demo('Loyalty members', 'Profiles that joined the loyalty program', 'loyalty.points >= 0'),
  demo(
    'Email marketing opt-in',
    'Profiles that consented to marketing email (created lately: a short history)',
    'consents.marketing.email.val = "y"',
    8,
  ),
];
