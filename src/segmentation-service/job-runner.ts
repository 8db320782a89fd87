// Drives each job through NEW → QUEUED → PROCESSING → SUCCEEDED/FAILED, one step per `stepMs`,
// and DELETE through CANCELLING → CANCELLED. Evaluation runs in slices so HTTP stays responsive.
// The store is the truth: every step re-reads the job. It never answers HTTP.

import type { DefinitionDocument, SegmentExpression } from './definition-document.ts';
import { endedMetrics, type JobDocument, type JobErrorEntry, withStatus } from './job-document.ts';
import { type StagedMemberships, stageMemberships } from './membership-drafts.ts';
import { createWorkMeter, type WorkMeter } from './pql/work-meter.ts';
import type { ProfileCache } from './profile-cache.ts';
import {
  buildMetrics,
  type EvaluationOutcome,
  evaluateSegments,
  type SegmentPredicate,
  type SegmentResult,
} from './segment-evaluator.ts';
import type { ServiceLogger } from './service-logger.ts';
import type { JobRecord, SegmentationStore } from './store.ts';

/**
 * Turns a definition's expression into a predicate; throws when the PQL does not compile. The
 * predicate adds the work of its expensive matchers to `meter`, when given one.
 */
export type ExpressionCompiler = (
  expression: SegmentExpression,
  meter?: WorkMeter,
) => {
  evaluate(profile: unknown): boolean;
};

/** Progress of one evaluation slice, for observers (tests, logs). */
export interface EvaluationProgress {
  jobId: string;
  processedProfiles: number;
  totalProfiles: number;
}

export interface JobRunnerOptions {
  store: SegmentationStore;
  profiles: ProfileCache;
  compile: ExpressionCompiler;
  /** Pause between lifecycle steps; 0 steps as soon as the event loop allows. */
  stepMs: number;
  logger: ServiceLogger;
  /** Profiles evaluated between yields to the event loop. @default 2000 */
  chunkProfiles?: number | undefined;
  /** Work units (see `evaluateSegments`) between yields to the event loop. @default 5_000_000 */
  sliceWork?: number | undefined;
  onEvaluationProgress?: ((progress: EvaluationProgress) => void) | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
}

export interface JobRunner {
  /** Starts driving a job just stored as NEW. */
  enqueue(jobId: string): void;
  /**
   * Cancels a job that is not final: CANCELLING now, CANCELLED one step later; an evaluation in
   * flight stops at its next slice. Returns the stored document.
   */
  cancel(record: JobRecord): JobDocument;
  /** Picks up the jobs a previous process left unfinished. */
  recover(): void;
  /** Stops stepping and waits for evaluations in flight to stop; stored jobs stay as they are. */
  stop(): Promise<void>;
}

type FinishPlan =
  | {
      kind: 'succeeded';
      totalProfiles: number;
      segments: Pick<SegmentResult, 'id' | 'mergePolicyId' | 'byNamespace'>[];
      staged: StagedMemberships;
      segmentationEndMs: number;
    }
  | { kind: 'failed'; errors: JobErrorEntry[] };

interface ActiveJob {
  timer?: NodeJS.Timeout | undefined;
  cancelled: boolean;
  evaluation?: Promise<void> | undefined;
  plan?: FinishPlan | undefined;
  /** The PROCESSING step has waited its `stepMs`; the job ends as soon as its plan is ready. */
  isStepDone: boolean;
}

/** A job cannot run; its message becomes the job's `errors[0].msg`. */
class JobFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'JobFailure';
    this.code = code;
  }
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const active = new Map<string, ActiveJob>();
  // Tracked apart from `active`: a cancelled job is forgotten before its evaluation has stopped.
  const evaluations = new Set<Promise<void>>();
  let isStopped = false;

  function entry(jobId: string): ActiveJob {
    let job = active.get(jobId);
    if (job === undefined) {
      job = { cancelled: false, isStepDone: false };
      active.set(jobId, job);
    }
    return job;
  }

  function forget(jobId: string): void {
    const job = active.get(jobId);
    if (job?.timer !== undefined) clearTimeout(job.timer);
    active.delete(jobId);
  }

  function schedule(jobId: string): void {
    if (isStopped) return;
    const job = entry(jobId);
    if (job.timer !== undefined) clearTimeout(job.timer);
    job.timer = setTimeout(() => {
      job.timer = undefined;
      try {
        step(jobId);
      } catch (error) {
        logger.error({ err: error, jobId }, 'segment job step failed');
      }
    }, options.stepMs);
  }

  function save(doc: JobDocument): void {
    store.updateJob(doc);
    logger.debug({ jobId: doc.id, status: doc.status }, 'segment job moved');
  }

  function step(jobId: string): void {
    if (isStopped) return;
    const record = store.getJobById(jobId);
    if (record === undefined) {
      forget(jobId);
      return;
    }
    const { doc } = record;
    switch (doc.status) {
      case 'NEW':
        save(withStatus(doc, 'QUEUED', now()));
        schedule(jobId);
        break;
      case 'QUEUED': {
        const startedMs = now();
        const processing = withStatus(doc, 'PROCESSING', startedMs, {
          metrics: { ...doc.metrics, profileSegmentationTime: { startTimeInMs: startedMs } },
        });
        save(processing);
        startEvaluation({ ...record, doc: processing });
        schedule(jobId);
        break;
      }
      case 'PROCESSING': {
        const job = entry(jobId);
        job.isStepDone = true;
        if (job.plan !== undefined) finish(jobId);
        else if (job.evaluation === undefined) startEvaluation(record);
        break;
      }
      case 'CANCELLING': {
        const endMs = now();
        save(withStatus(doc, 'CANCELLED', endMs, { metrics: endedMetrics(doc, endMs) }));
        store.discardMembershipDrafts(jobId);
        forget(jobId);
        break;
      }
      default:
        forget(jobId);
    }
  }

  function resolveDefinitions(record: JobRecord): DefinitionDocument[] {
    if (record.definitionIds === null) return store.allDefinitions(record.scope);
    const found = store.getDefinitions(record.scope, record.definitionIds);
    const missing = record.definitionIds.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new JobFailure(
        'SEGMENT_DEFINITION_NOT_FOUND',
        `expected segment definitions ${missing.join(', ')} to exist, but they were deleted before the job ran`,
      );
    }
    return record.definitionIds.map((id) => found.get(id) as DefinitionDocument);
  }

  function compileAll(
    definitions: readonly DefinitionDocument[],
    meter: WorkMeter,
  ): SegmentPredicate[] {
    return definitions.map((definition) => {
      try {
        const compiled = options.compile(definition.expression, meter);
        return {
          id: definition.id,
          mergePolicyId: definition.mergePolicyId,
          evaluate: (profile: unknown) => compiled.evaluate(profile),
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new JobFailure(
          'PQL_COMPILE_ERROR',
          `segment definition ${definition.id} has an expression that does not compile: ${reason}`,
        );
      }
    });
  }

  async function evaluate(record: JobRecord, job: ActiveJob): Promise<FinishPlan | undefined> {
    try {
      const definitions = resolveDefinitions(record);
      const meter = createWorkMeter();
      const predicates = compileAll(definitions, meter);
      const profiles = await options.profiles.get(record.scope);
      const shouldStop = () => isStopped || job.cancelled;
      const outcome: EvaluationOutcome = await evaluateSegments({
        profiles,
        segments: predicates,
        shouldStop,
        chunkProfiles: options.chunkProfiles,
        meter,
        maxSliceWork: options.sliceWork,
        onProgress: (processedProfiles, totalProfiles) =>
          options.onEvaluationProgress?.({
            jobId: record.doc.id,
            processedProfiles,
            totalProfiles,
          }),
      });
      if (outcome.kind === 'stopped') return undefined;
      const segmentationEndMs = now();
      const staged = await stageMemberships({
        store,
        scope: record.scope,
        jobId: record.doc.id,
        segments: outcome.segments,
        nowMs: segmentationEndMs,
        shouldStop,
      });
      if (staged === undefined) return undefined;
      return {
        kind: 'succeeded',
        totalProfiles: outcome.totalProfiles,
        // Members are staged in the store; only the counts are kept until the job ends.
        segments: outcome.segments.map(({ id, mergePolicyId, byNamespace }) => ({
          id,
          mergePolicyId,
          byNamespace,
        })),
        staged,
        segmentationEndMs,
      };
    } catch (error) {
      if (error instanceof JobFailure) {
        return { kind: 'failed', errors: [{ code: error.code, msg: error.message }] };
      }
      logger.warn({ err: error, jobId: record.doc.id }, 'segment job evaluation failed');
      const reason = error instanceof Error ? error.message : String(error);
      return { kind: 'failed', errors: [{ code: 'EVALUATION_ERROR', msg: reason }] };
    }
  }

  function settle(jobId: string, job: ActiveJob, plan: FinishPlan | undefined): void {
    if (isStopped) return;
    if (plan === undefined || job.cancelled) {
      // A cancelled run may have staged memberships before it noticed.
      store.discardMembershipDrafts(jobId);
      return;
    }
    job.plan = plan;
    if (job.isStepDone) finish(jobId);
  }

  function startEvaluation(record: JobRecord): void {
    const jobId = record.doc.id;
    const job = entry(jobId);
    const evaluation = evaluate(record, job).then((plan) => {
      job.evaluation = undefined;
      evaluations.delete(evaluation);
      try {
        settle(jobId, job, plan);
      } catch (error) {
        logger.error({ err: error, jobId }, 'segment job could not be finished');
      }
    });
    job.evaluation = evaluation;
    evaluations.add(evaluation);
  }

  function finish(jobId: string): void {
    const job = active.get(jobId);
    const record = store.getJobById(jobId);
    forget(jobId);
    if (job?.plan === undefined || record === undefined || record.doc.status !== 'PROCESSING') {
      return;
    }
    const { doc, scope } = record;
    const endMs = now();
    if (job.plan.kind === 'failed') {
      store.finishJob(
        scope,
        withStatus(doc, 'FAILED', endMs, {
          metrics: endedMetrics(doc, endMs),
          errors: job.plan.errors,
        }),
        [],
      );
      logger.info({ jobId, errors: job.plan.errors }, 'segment job failed');
      return;
    }
    const plan = job.plan;
    const metrics = buildMetrics({
      totalProfiles: plan.totalProfiles,
      segments: plan.segments,
      memberCounts: plan.staged.memberCounts,
      changes: plan.staged.changes,
      jobStartMs: doc.metrics.totalTime.startTimeInMs ?? doc.creationTime,
      segmentationStartMs: doc.metrics.profileSegmentationTime.startTimeInMs ?? endMs,
      segmentationEndMs: plan.segmentationEndMs,
      endMs,
    });
    store.finishJob(
      scope,
      withStatus(doc, 'SUCCEEDED', endMs, { metrics }),
      plan.segments.map((segment) => segment.id),
    );
    logger.debug({ jobId, totalProfiles: plan.totalProfiles }, 'segment job succeeded');
  }

  function cancel(record: JobRecord): JobDocument {
    const jobId = record.doc.id;
    if (record.doc.status === 'CANCELLING') {
      if (active.get(jobId)?.timer === undefined) schedule(jobId);
      return record.doc;
    }
    const job = entry(jobId);
    job.cancelled = true;
    job.plan = undefined;
    const cancelling = withStatus(record.doc, 'CANCELLING', now());
    save(cancelling);
    schedule(jobId);
    return cancelling;
  }

  function recover(): void {
    for (const record of store.unfinishedJobs()) {
      const jobId = record.doc.id;
      if (record.doc.status === 'PROCESSING') {
        // The previous process stopped mid-evaluation: evaluate again from the start, keeping
        // the status (a poller never sees a job move backwards).
        const restartedMs = now();
        const doc = withStatus(record.doc, 'PROCESSING', restartedMs, {
          metrics: {
            ...record.doc.metrics,
            profileSegmentationTime: { startTimeInMs: restartedMs },
          },
        });
        save(doc);
        startEvaluation({ ...record, doc });
      }
      schedule(jobId);
      logger.info({ jobId, status: record.doc.status }, 'segment job resumed after restart');
    }
  }

  async function stop(): Promise<void> {
    isStopped = true;
    for (const job of active.values()) {
      if (job.timer !== undefined) clearTimeout(job.timer);
      job.timer = undefined;
    }
    await Promise.allSettled([...evaluations]);
    active.clear();
  }

  return { enqueue: schedule, cancel, recover, stop };
}
