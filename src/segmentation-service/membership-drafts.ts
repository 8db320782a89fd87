// After an evaluation: compares each segment's members with its last successful run and stages
// the new members in the store, one segment per event-loop turn, so finishing a job over many
// profiles never stalls requests. The job's final transaction promotes what was staged.
import {
  countMembershipChanges,
  type MembershipChanges,
  type SegmentResult,
} from './segment-evaluator.ts';
import type { SegmentationStore } from './store.ts';
import type { TenantScope } from './tenant-scope.ts';

export interface StagedMemberships {
  memberCounts: Map<string, number>;
  changes: Map<string, MembershipChanges>;
}

export interface StageOptions {
  store: SegmentationStore;
  scope: TenantScope;
  jobId: string;
  segments: readonly SegmentResult[];
  nowMs: number;
  /** Checked between segments; true stops staging (the caller discards the drafts). */
  shouldStop?: (() => boolean) | undefined;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Undefined when stopped before every segment was staged. */
export async function stageMemberships(
  options: StageOptions,
): Promise<StagedMemberships | undefined> {
  const { store, scope, jobId } = options;
  const staged: StagedMemberships = { memberCounts: new Map(), changes: new Map() };
  for (const segment of options.segments) {
    if (options.shouldStop?.() === true) return undefined;
    const previous = store.getMembership(scope, segment.id);
    await yieldToEventLoop();
    staged.changes.set(segment.id, await countMembershipChanges(segment.members, previous));
    staged.memberCounts.set(segment.id, segment.members.length);
    if (options.shouldStop?.() === true) return undefined;
    store.saveMembershipDraft(
      scope,
      segment.id,
      jobId,
      JSON.stringify(segment.members),
      options.nowMs,
    );
    await yieldToEventLoop();
  }
  return options.shouldStop?.() === true ? undefined : staged;
}
