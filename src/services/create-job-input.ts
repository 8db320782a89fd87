// Validation of the create-job input into the upstream's create request. Pure: the rules a
// caller can be told about ("expected X, but got Y"), nothing else.
import { jobIdProblem } from '../domain/index.ts';
import type { CreateJobRequest } from '../upstream/types.ts';
import { ValidationError } from './domain-errors.ts';

/** The most segment definitions one job may name; above it the upstream runs all of them. */
export const MAX_SEGMENT_IDS = 1500;

/** The profile schema an all-segments job evaluates unless told otherwise. */
export const DEFAULT_SCHEMA_NAME = '_xdm.context.profile';

export interface CreateSegmentJobInputModel {
  segmentIds?: readonly string[] | null | undefined;
  allSegments?: boolean | null | undefined;
  schemaName?: string | null | undefined;
}

/** Turns the input into an upstream create request, or throws a `ValidationError`. */
export function toCreateJobRequest(input: CreateSegmentJobInputModel): CreateJobRequest {
  const hasIds = input.segmentIds !== null && input.segmentIds !== undefined;
  const wantsAll = input.allSegments === true;
  if (hasIds && wantsAll) {
    throw new ValidationError(
      'expected exactly one of segmentIds or allSegments: true, but got both',
      'input',
    );
  }
  if (wantsAll) return { kind: 'all', schemaName: checkSchemaName(input.schemaName) };
  if (!hasIds) {
    throw new ValidationError(
      'expected exactly one of segmentIds (1 to 1500 ids) or allSegments: true, but got neither',
      'input',
    );
  }
  return { kind: 'segments', segmentIds: checkSegmentIds(input.segmentIds ?? []) };
}

function checkSchemaName(schemaName: string | null | undefined): string {
  if (schemaName === null || schemaName === undefined) return DEFAULT_SCHEMA_NAME;
  if (schemaName.trim() === '') {
    throw new ValidationError(
      `expected a schema name such as ${DEFAULT_SCHEMA_NAME}, but got an empty string`,
      'schemaName',
    );
  }
  return schemaName;
}

function checkSegmentIds(ids: readonly string[]): string[] {
  if (ids.length < 1 || ids.length > MAX_SEGMENT_IDS) {
    throw new ValidationError(
      `expected 1 to ${MAX_SEGMENT_IDS} segment ids (or allSegments: true for every definition), but got ${ids.length}`,
      'segmentIds',
    );
  }
  const seen = new Set<string>();
  for (const [index, id] of ids.entries()) {
    if (id.trim() === '') {
      throw new ValidationError(
        `expected a non-empty segment id at segmentIds[${index}], but got "${id}"`,
        'segmentIds',
      );
    }
    const problem = jobIdProblem(id, `a segment id at segmentIds[${index}]`);
    if (problem !== undefined) throw new ValidationError(problem, 'segmentIds');
    if (seen.has(id)) {
      throw new ValidationError(
        `expected distinct segment ids, but "${id}" appears more than once (again at segmentIds[${index}])`,
        'segmentIds',
      );
    }
    seen.add(id);
  }
  return [...ids];
}
