// Evaluates compiled segment predicates over a tenant's profiles in small slices, yielding to the
// event loop between them (by profiles, work done and time), and turns the result into job
// metrics. It neither compiles PQL nor reads or writes storage.

import { closedWindow, type JobMetrics } from './job-document.ts';
import type { WorkMeter } from './pql/work-meter.ts';
import type { CachedProfile } from './profile-cache.ts';

/** A definition ready to run: its compiled PQL as a predicate. */
export interface SegmentPredicate {
  readonly id: string;
  readonly mergePolicyId: string;
  evaluate(profile: unknown): boolean;
}

export interface EvaluateOptions {
  profiles: readonly CachedProfile[];
  segments: readonly SegmentPredicate[];
  /** Checked between slices; returning true stops the evaluation. */
  shouldStop?: (() => boolean) | undefined;
  /** Profiles evaluated between yields. @default 2000 */
  chunkProfiles?: number | undefined;
  /** A slice also ends once it has run this long, so many definitions cannot stall the loop. @default 15 */
  maxSliceMs?: number | undefined;
  /** The meter the predicates were compiled with; its units count toward `maxSliceWork`. */
  meter?: WorkMeter | undefined;
  /**
   * A slice also ends, after the profile in hand, once the predicates have done this much work:
   * one unit per predicate call plus what they add to `meter` (a character comparison or a
   * bit-vector step each), so expensive patterns yield every few profiles, or every profile.
   * @default 5_000_000 (about 10 ms)
   */
  maxSliceWork?: number | undefined;
  /** Called after each slice. */
  onProgress?: ((processedProfiles: number, totalProfiles: number) => void) | undefined;
}

export interface SegmentResult {
  id: string;
  mergePolicyId: string;
  /** Identity keys of the qualifying profiles, in profile order. */
  members: string[];
  /** Qualifying profiles per identity namespace they carry. */
  byNamespace: Record<string, number>;
}

export type EvaluationOutcome =
  | { kind: 'stopped'; processedProfiles: number }
  | { kind: 'done'; totalProfiles: number; segments: SegmentResult[] };

/** A predicate threw: the definition cannot be evaluated against these profiles. */
export class SegmentEvaluationError extends Error {
  readonly segmentId: string;
  constructor(segmentId: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`segment definition ${segmentId} could not be evaluated: ${reason}`, { cause });
    this.name = 'SegmentEvaluationError';
    this.segmentId = segmentId;
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// Reading the clock every profile would cost more than the check is worth.
const CLOCK_CHECK_EVERY = 16;
const DEFAULT_MAX_SLICE_WORK = 5_000_000;

export async function evaluateSegments(options: EvaluateOptions): Promise<EvaluationOutcome> {
  const { profiles, segments } = options;
  const chunkProfiles = Math.max(1, options.chunkProfiles ?? 2000);
  const maxSliceMs = options.maxSliceMs ?? 15;
  const maxSliceWork = options.maxSliceWork ?? DEFAULT_MAX_SLICE_WORK;
  const meter = options.meter ?? { units: 0 };
  const results: SegmentResult[] = segments.map((segment) => ({
    id: segment.id,
    mergePolicyId: segment.mergePolicyId,
    members: [],
    // No prototype: a namespace named "constructor" or "toString" starts from zero as well.
    byNamespace: Object.create(null) as Record<string, number>,
  }));

  let index = 0;
  while (index < profiles.length) {
    if (options.shouldStop?.() === true) return { kind: 'stopped', processedProfiles: index };
    const sliceStart = performance.now();
    const workAtStart = meter.units;
    let calls = 0;
    const sliceEnd = Math.min(profiles.length, index + chunkProfiles);
    for (; index < sliceEnd; index++) {
      const profile = profiles[index] as CachedProfile;
      for (let s = 0; s < segments.length; s++) {
        const segment = segments[s] as SegmentPredicate;
        let qualifies: boolean;
        try {
          qualifies = segment.evaluate(profile.doc);
        } catch (error) {
          throw new SegmentEvaluationError(segment.id, error);
        }
        if (!qualifies) continue;
        const result = results[s] as SegmentResult;
        result.members.push(profile.identity);
        for (const namespace of profile.namespaces) {
          result.byNamespace[namespace] = (result.byNamespace[namespace] ?? 0) + 1;
        }
      }
      calls += segments.length;
      if (
        calls + meter.units - workAtStart >= maxSliceWork ||
        (index % CLOCK_CHECK_EVERY === 0 && performance.now() - sliceStart >= maxSliceMs)
      ) {
        index += 1;
        break;
      }
    }
    options.onProgress?.(index, profiles.length);
    if (index < profiles.length) await yieldToEventLoop();
  }
  if (options.shouldStop?.() === true) return { kind: 'stopped', processedProfiles: index };
  return { kind: 'done', totalProfiles: profiles.length, segments: results };
}

export interface MetricsInput {
  totalProfiles: number;
  segments: readonly Pick<SegmentResult, 'id' | 'mergePolicyId' | 'byNamespace'>[];
  /** Qualifying profiles per segment. */
  memberCounts: ReadonlyMap<string, number>;
  /** Realized and exited per segment (see `countMembershipChanges`). */
  changes: ReadonlyMap<string, MembershipChanges>;
  jobStartMs: number;
  segmentationStartMs: number;
  segmentationEndMs: number;
  /** When the job ended. */
  endMs: number;
}

/** Realized and exited members of one segment, compared with its previous successful run. */
export interface MembershipChanges {
  realized: number;
  exited: number;
}

/**
 * Counts realized (now in, not before) and exited (before in, not now) members, yielding to the
 * event loop every `sliceSize` members. Members are identity keys, unique within each list.
 */
export async function countMembershipChanges(
  current: readonly string[],
  previous: readonly string[] | undefined,
  sliceSize = 20_000,
): Promise<MembershipChanges> {
  if (previous === undefined) return { realized: current.length, exited: 0 };
  const before = new Set<string>();
  for (let index = 0; index < previous.length; index++) {
    before.add(previous[index] as string);
    if ((index + 1) % sliceSize === 0) await yieldToEventLoop();
  }
  let kept = 0;
  for (let index = 0; index < current.length; index++) {
    if (before.has(current[index] as string)) kept += 1;
    if ((index + 1) % sliceSize === 0) await yieldToEventLoop();
  }
  return { realized: current.length - kept, exited: before.size - kept };
}

/** The metrics of a finished job, every number computed from the evaluation. */
export function buildMetrics(input: MetricsInput): JobMetrics {
  const segmentedProfileCounter: Record<string, number> = {};
  const segmentedProfileByNamespaceCounter: Record<string, Record<string, number>> = {};
  const segmentedProfileByStatusCounter: Record<string, { realized: number; exited: number }> = {};
  const totalProfilesByMergePolicy: Record<string, number> = {};
  for (const segment of input.segments) {
    const count = input.memberCounts.get(segment.id) ?? 0;
    segmentedProfileCounter[segment.id] = count;
    segmentedProfileByNamespaceCounter[segment.id] = { ...segment.byNamespace };
    segmentedProfileByStatusCounter[segment.id] = input.changes.get(segment.id) ?? {
      realized: count,
      exited: 0,
    };
    totalProfilesByMergePolicy[segment.mergePolicyId] = input.totalProfiles;
  }
  return {
    totalTime: closedWindow(input.jobStartMs, input.endMs),
    profileSegmentationTime: closedWindow(input.segmentationStartMs, input.segmentationEndMs),
    totalProfiles: input.totalProfiles,
    segmentedProfileCounter,
    segmentedProfileByNamespaceCounter,
    segmentedProfileByStatusCounter,
    totalProfilesByMergePolicy,
  };
}
