// Seeds the demo tenant (org DEMO@AdobeOrg, sandbox prod) when it is empty: profiles, definitions
// with fixed ids and ten days of jobs, each evaluated for real over that day's profiles. It
// writes through the store only and never touches a tenant that already has data. Each run is
// stored whole (PROCESSING, memberships, SUCCEEDED) before the next starts, so an abort between
// runs leaves finished jobs only.
import { randomUUID } from 'node:crypto';
import { DEMO_TENANT } from '../config/index.ts';
import { createDefinitionDocument, type DefinitionDocument } from './definition-document.ts';
import { DEMO_DEFINITIONS } from './demo-definitions.ts';
import { createDemoHistory } from './demo-history.ts';
import { createRandom, type DemoProfile } from './demo-profiles.ts';
import { createJobDocument, type JobDocument, withStatus } from './job-document.ts';
import type { ExpressionCompiler } from './job-runner.ts';
import { stageMemberships } from './membership-drafts.ts';
import type { CachedProfile } from './profile-cache.ts';
import { identityKey, identityNamespaces, primaryIdentity } from './profile-identity.ts';
import { buildMetrics, evaluateSegments, type SegmentPredicate } from './segment-evaluator.ts';
import type { ServiceLogger } from './service-logger.ts';
import type { SegmentationStore, StoredProfileInput } from './store.ts';
import { stableUuid, type TenantScope } from './tenant-scope.ts';

export { DEMO_DEFINITIONS, demoDefinitionId } from './demo-definitions.ts';

export const DEMO_SCOPE: TenantScope = {
  orgId: DEMO_TENANT.orgId,
  sandboxName: DEMO_TENANT.sandboxName,
};

/** Days with a scheduled run, the last one today. */
export const DEMO_DAYS = 10;
/** Days (0 = the oldest) with an extra on-demand run of the first two definitions. */
const ON_DEMAND_DAYS: readonly number[] = [1, 4, 7];
const ON_DEMAND_DEFINITIONS = 2;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** One seeded job, as planned before anything is stored. */
export interface DemoRun {
  /**
   * `scheduled`: the daily run over every definition that exists that day (listed, so the
   * upstream's `segments~segmentId==` filter finds it); `on-demand`: an API job over the first
   * definitions; `wildcard`: the newest job, `segments: [{segmentId: "*"}]`, over every definition.
   */
  kind: 'scheduled' | 'on-demand' | 'wildcard';
  /** The state of the profiles it evaluated (see `createDemoHistory`). */
  state: number;
  /** Ids of the definitions it evaluates. */
  definitionIds: string[];
  creationMs: number;
}

export interface DemoPlan {
  /** How many profile states the runs need; the last is the stored profiles. */
  states: number;
  /** Oldest first. */
  runs: DemoRun[];
  /** When each definition was created, by id. */
  definitionCreationMs: Map<string, number>;
}

/**
 * The demo's jobs: one scheduled run a day over the last `DEMO_DAYS` days (the last about three
 * hours before `nowMs`), on-demand runs on a few afternoons, and a wildcard run an hour ago.
 * Profiles change before every run but the wildcard one, which sees the same as the run before.
 */
export function planDemoRuns(nowMs: number): DemoPlan {
  const jitter = createRandom(3);
  const minutes = (most: number) => Math.floor(jitter() * most) * MINUTE_MS;
  const runs: DemoRun[] = [];
  const scheduledMs: number[] = [];
  for (let day = 0; day < DEMO_DAYS; day++) {
    const creationMs = nowMs - (DEMO_DAYS - 1 - day) * DAY_MS - 3 * HOUR_MS + minutes(20);
    scheduledMs.push(creationMs);
    runs.push({
      kind: 'scheduled',
      state: runs.length,
      definitionIds: DEMO_DEFINITIONS.filter((definition) => definition.firstDay <= day).map(
        (definition) => definition.id,
      ),
      creationMs,
    });
    if (ON_DEMAND_DAYS.includes(day)) {
      runs.push({
        kind: 'on-demand',
        state: runs.length,
        definitionIds: DEMO_DEFINITIONS.slice(0, ON_DEMAND_DEFINITIONS).map(
          (definition) => definition.id,
        ),
        creationMs: creationMs + 5 * HOUR_MS + minutes(50),
      });
    }
  }
  const states = runs.length;
  runs.push({
    kind: 'wildcard',
    state: states - 1,
    definitionIds: DEMO_DEFINITIONS.map((definition) => definition.id),
    creationMs: nowMs - HOUR_MS,
  });
  const firstMs = scheduledMs[0] ?? nowMs;
  const definitionCreationMs = new Map(
    DEMO_DEFINITIONS.map((definition, index) => [
      definition.id,
      definition.firstDay === 0
        ? firstMs - DAY_MS + index * 7 * MINUTE_MS
        : (scheduledMs[definition.firstDay] ?? nowMs) - 4 * HOUR_MS,
    ]),
  );
  return { states, runs, definitionCreationMs };
}

export interface SeedOptions {
  store: SegmentationStore;
  compile: ExpressionCompiler;
  profileCount: number;
  logger: ServiceLogger;
  /** @default Date.now */
  now?: () => number;
  /** Checked before each run: once aborted, no further job is seeded (the profiles remain). */
  signal?: AbortSignal | undefined;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Profiles ready for evaluation; identities are read once per profile, not once per state. */
function createProfileReader(): (profiles: readonly DemoProfile[]) => CachedProfile[] {
  const identities = new WeakMap<object, { identity: string; namespaces: string[] } | null>();
  return (profiles) => {
    const cached: CachedProfile[] = [];
    for (const profile of profiles) {
      let known = identities.get(profile.identityMap);
      if (known === undefined) {
        const identity = primaryIdentity(profile.identityMap);
        known =
          identity === undefined
            ? null
            : {
                identity: identityKey(identity),
                namespaces: identityNamespaces(profile.identityMap),
              };
        identities.set(profile.identityMap, known);
      }
      if (known !== null) {
        cached.push({ identity: known.identity, namespaces: known.namespaces, doc: profile });
      }
    }
    return cached;
  };
}

/** Seeds the demo tenant unless it already has profiles or definitions; true when it seeded. */
export async function seedDemoTenant(options: SeedOptions): Promise<boolean> {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  if (store.countProfiles(DEMO_SCOPE) > 0 || store.countDefinitions(DEMO_SCOPE) > 0) return false;

  const plan = planDemoRuns(now());
  const history = createDemoHistory(options.profileCount, plan.states);
  // Between the long synchronous steps, requests to the service (seeding after it listens) are
  // answered; the stored data is the same either way.
  await yieldToEventLoop();
  const readProfiles = createProfileReader();
  const rows: StoredProfileInput[] = readProfiles(history.current).map((profile) => ({
    identity: profile.identity,
    doc: JSON.stringify(profile.doc),
  }));
  await yieldToEventLoop();
  store.saveProfiles(DEMO_SCOPE, rows, false);
  await yieldToEventLoop();

  const mergePolicyId = store.defaultMergePolicy(DEMO_SCOPE).id;
  const definitions = new Map<
    string,
    { document: DefinitionDocument; predicate: SegmentPredicate }
  >();
  for (const demo of DEMO_DEFINITIONS) {
    const expression = { type: 'PQL', format: 'pql/text', value: demo.pql } as const;
    let compiled: ReturnType<ExpressionCompiler>;
    try {
      compiled = options.compile(expression);
    } catch (error) {
      logger.warn({ err: error, name: demo.name }, 'demo definition skipped: PQL does not compile');
      continue;
    }
    const document: DefinitionDocument = {
      ...createDefinitionDocument({
        scope: DEMO_SCOPE,
        name: demo.name,
        description: demo.description,
        expression,
        schemaName: '_xdm.context.profile',
        mergePolicyId,
        nowMs: plan.definitionCreationMs.get(demo.id) ?? now(),
      }),
      id: demo.id,
    };
    if (store.insertDefinition(DEMO_SCOPE, document) !== 'created') continue;
    definitions.set(demo.id, {
      document,
      predicate: { id: demo.id, mergePolicyId, evaluate: compiled.evaluate },
    });
  }

  let jobs = 0;
  for (const run of plan.runs) {
    if (options.signal?.aborted === true) {
      logger.info({ jobs }, 'demo tenant seeding stopped before its last run');
      return true;
    }
    const selected = run.definitionIds.flatMap((id) => definitions.get(id) ?? []);
    if (selected.length === 0) continue;
    const profiles = readProfiles(history.profilesAt(run.state));
    await yieldToEventLoop();
    if (await seedFinishedJob(options, run, profiles, selected)) jobs += 1;
  }
  logger.info(
    { profiles: rows.length, definitions: definitions.size, jobs },
    'demo tenant seeded (org DEMO@AdobeOrg, sandbox prod)',
  );
  return true;
}

/** A job created at `run.creationMs`, stored as it would be after the runner finished it. */
async function seedFinishedJob(
  options: SeedOptions,
  run: DemoRun,
  profiles: readonly CachedProfile[],
  definitions: readonly { document: DefinitionDocument; predicate: SegmentPredicate }[],
): Promise<boolean> {
  const { store } = options;
  const outcome = await evaluateSegments({
    profiles,
    segments: definitions.map((definition) => definition.predicate),
  });
  if (outcome.kind !== 'done') return false;

  const { creationMs } = run;
  const job: JobDocument = createJobDocument({
    scope: DEMO_SCOPE,
    definitions:
      run.kind === 'wildcard' ? 'all' : definitions.map((definition) => definition.document),
    schemaName: '_xdm.context.profile',
    computeJobId: store.nextComputeJobId(),
    requestId: randomUUID(),
    nowMs: creationMs,
  });
  // The daily runs stand for a schedule, the way most jobs start in Adobe.
  const created: JobDocument =
    run.kind === 'scheduled'
      ? {
          ...job,
          source: 'scheduler',
          properties: {
            scheduleId: stableUuid('schedule', DEMO_SCOPE.orgId, DEMO_SCOPE.sandboxName),
            runId: randomUUID(),
          },
        }
      : job;
  // Segmentation takes longer over more profiles and definitions, as it would.
  const segmentationStartMs = creationMs + 2_000 + (creationMs % 1_000);
  const segmentationEndMs =
    segmentationStartMs + 1_000 + Math.round((profiles.length * definitions.length) / 50);
  const endMs = segmentationEndMs + 500;
  const processing = withStatus(created, 'PROCESSING', segmentationStartMs, {
    metrics: {
      ...created.metrics,
      profileSegmentationTime: { startTimeInMs: segmentationStartMs },
    },
  });
  const definitionIds =
    run.kind === 'wildcard' ? null : definitions.map((definition) => definition.document.id);
  store.insertJob({ scope: DEMO_SCOPE, doc: processing, definitionIds }, Number.POSITIVE_INFINITY);
  const staged = await stageMemberships({
    store,
    scope: DEMO_SCOPE,
    jobId: processing.id,
    segments: outcome.segments,
    nowMs: segmentationEndMs,
  });
  if (staged === undefined) return false;
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
  return store.finishJob(
    DEMO_SCOPE,
    succeeded,
    outcome.segments.map((segment) => segment.id),
  );
}
