// Seeds the demo tenant (org DEMO@AdobeOrg, sandbox prod) when it is empty: generated profiles,
// a handful of definitions and two finished jobs whose metrics come from a real evaluation.
// It writes through the store only and never touches a tenant that already has data.
import { randomUUID } from 'node:crypto';
import { DEMO_TENANT } from '../config/index.ts';
import { createDefinitionDocument, type DefinitionDocument } from './definition-document.ts';
import { generateProfiles } from './demo-profiles.ts';
import { createJobDocument, type JobDocument, withStatus } from './job-document.ts';
import type { ExpressionCompiler } from './job-runner.ts';
import { stageMemberships } from './membership-drafts.ts';
import type { CachedProfile } from './profile-cache.ts';
import { identityKey, identityNamespaces, primaryIdentity } from './profile-identity.ts';
import { buildMetrics, evaluateSegments } from './segment-evaluator.ts';
import type { ServiceLogger } from './service-logger.ts';
import type { SegmentationStore, StoredProfileInput } from './store.ts';
import { stableUuid, type TenantScope } from './tenant-scope.ts';

export const DEMO_SCOPE: TenantScope = {
  orgId: DEMO_TENANT.orgId,
  sandboxName: DEMO_TENANT.sandboxName,
};

/** The demo definitions: the PQL subset the engine supports, over the generated fields. */
export const DEMO_DEFINITIONS: readonly { name: string; description: string; pql: string }[] = [
  {
    name: 'Works in the US',
    description: 'Profiles whose work address is in the United States',
    pql: 'workAddress.country = "US"',
  },
  {
    name: 'Gold and platinum members',
    description: 'Loyalty members of the two top tiers',
    pql: 'loyalty.tier in ["gold", "platinum"]',
  },
  {
    name: 'Last names starting with S',
    description: 'Profiles whose last name starts with S',
    pql: 'person.name.lastName.startsWith("S")',
  },
  {
    name: 'Californians with 1,000+ points',
    description: 'Home in California and more than 1,000 loyalty points',
    pql: 'homeAddress.state = "CA" and loyalty.points > 1000',
  },
  {
    name: 'Lives in Great Britain',
    description: 'Profiles whose home address is in the United Kingdom',
    pql: 'homeAddress.country = "GB"',
  },
  {
    name: 'Loyalty members',
    description: 'Profiles that joined the loyalty program',
    pql: 'loyalty.points >= 0',
  },
];

export interface SeedOptions {
  store: SegmentationStore;
  compile: ExpressionCompiler;
  profileCount: number;
  logger: ServiceLogger;
  /** @default Date.now */
  now?: () => number;
}

const HOUR_MS = 3_600_000;

/** Seeds the demo tenant unless it already has profiles or definitions; true when it seeded. */
export async function seedDemoTenant(options: SeedOptions): Promise<boolean> {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  if (store.countProfiles(DEMO_SCOPE) > 0 || store.countDefinitions(DEMO_SCOPE) > 0) return false;

  const generated = generateProfiles(options.profileCount);
  const cached: CachedProfile[] = [];
  const rows: StoredProfileInput[] = [];
  for (const profile of generated) {
    const identity = primaryIdentity(profile.identityMap);
    if (identity === undefined) continue;
    const key = identityKey(identity);
    rows.push({ identity: key, doc: JSON.stringify(profile) });
    cached.push({
      identity: key,
      namespaces: identityNamespaces(profile.identityMap),
      doc: profile,
    });
  }
  store.saveProfiles(DEMO_SCOPE, rows, false);

  const mergePolicyId = store.defaultMergePolicy(DEMO_SCOPE).id;
  const startMs = now() - 2 * HOUR_MS;
  const definitions: DefinitionDocument[] = [];
  for (const [index, demo] of DEMO_DEFINITIONS.entries()) {
    const expression = { type: 'PQL', format: 'pql/text', value: demo.pql } as const;
    try {
      options.compile(expression);
    } catch (error) {
      logger.warn({ err: error, name: demo.name }, 'demo definition skipped: PQL does not compile');
      continue;
    }
    const definition = createDefinitionDocument({
      scope: DEMO_SCOPE,
      name: demo.name,
      description: demo.description,
      expression,
      schemaName: '_xdm.context.profile',
      mergePolicyId,
      nowMs: startMs + index,
    });
    if (store.insertDefinition(DEMO_SCOPE, definition) === 'created') definitions.push(definition);
  }

  await seedFinishedJob(options, cached, definitions.slice(0, 3), startMs + HOUR_MS / 2);
  await seedFinishedJob(options, cached, definitions, startMs + HOUR_MS, 'all');
  logger.info(
    { profiles: rows.length, definitions: definitions.length },
    'demo tenant seeded (org DEMO@AdobeOrg, sandbox prod)',
  );
  return true;
}

/** A job that ran at `creationMs`: stored as it would be after the runner finished it. */
async function seedFinishedJob(
  options: SeedOptions,
  profiles: readonly CachedProfile[],
  definitions: readonly DefinitionDocument[],
  creationMs: number,
  shape: 'listed' | 'all' = 'listed',
): Promise<void> {
  const { store } = options;
  const predicates = definitions.map((definition) => ({
    id: definition.id,
    mergePolicyId: definition.mergePolicyId,
    evaluate: options.compile(definition.expression).evaluate,
  }));
  const outcome = await evaluateSegments({ profiles, segments: predicates });
  if (outcome.kind !== 'done') return;

  const job: JobDocument = createJobDocument({
    scope: DEMO_SCOPE,
    definitions: shape === 'all' ? 'all' : definitions,
    schemaName: '_xdm.context.profile',
    computeJobId: store.nextComputeJobId(),
    requestId: randomUUID(),
    nowMs: creationMs,
  });
  // The wildcard job stands for a daily scheduled run, the way most jobs start in Adobe.
  const created: JobDocument =
    shape === 'all'
      ? {
          ...job,
          source: 'scheduler',
          properties: {
            scheduleId: stableUuid('schedule', DEMO_SCOPE.orgId, DEMO_SCOPE.sandboxName),
            runId: randomUUID(),
          },
        }
      : job;
  const segmentationStartMs = creationMs + 2_000;
  const segmentationEndMs = segmentationStartMs + 1_500;
  const endMs = segmentationEndMs + 500;
  const processing = withStatus(created, 'PROCESSING', segmentationStartMs, {
    metrics: {
      ...created.metrics,
      profileSegmentationTime: { startTimeInMs: segmentationStartMs },
    },
  });
  const definitionIds = shape === 'all' ? null : definitions.map((definition) => definition.id);
  store.insertJob({ scope: DEMO_SCOPE, doc: processing, definitionIds }, Number.POSITIVE_INFINITY);
  const staged = await stageMemberships({
    store,
    scope: DEMO_SCOPE,
    jobId: processing.id,
    segments: outcome.segments,
    nowMs: segmentationEndMs,
  });
  if (staged === undefined) return;
  const succeeded = withStatus(processing, 'SUCCEEDED', endMs, {
    metrics: buildMetrics({
      totalProfiles: outcome.totalProfiles,
      segments: outcome.segments,
      memberCounts: staged.memberCounts,
      changes: staged.changes,
      jobStartMs: creationMs,
      segmentationStartMs,
      segmentationEndMs,
      endMs,
    }),
  });
  store.finishJob(
    DEMO_SCOPE,
    succeeded,
    outcome.segments.map((segment) => segment.id),
  );
}
