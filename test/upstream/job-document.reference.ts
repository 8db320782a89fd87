// The zod reading of upstream job documents that src/upstream/job-document.ts replaced, kept as
// the reference the hand-written reader is proven equal to (tests) and measured against (bench).
// Test and bench code only: it lives outside src/ so the gateway cannot ship it.
import { z } from 'zod';
import {
  isSegmentJobStatus,
  SEGMENT_JOB_STATUSES,
  type SegmentJobModel,
} from '../../src/domain/index.ts';
import type { Parsed } from '../../src/upstream/job-document.ts';
import { type ParsedJobList, shownJobId } from '../../src/upstream/response-reading.ts';

const timeWindowSchema = z.object({
  startTimeInMs: z.number().optional(),
  endTimeInMs: z.number().optional(),
  totalTimeInMs: z.number().optional(),
});

const counterSchema = z.record(z.string(), z.number());
const nestedCounterSchema = z.record(z.string(), counterSchema);

const metricsSchema = z.object({
  totalTime: timeWindowSchema.optional(),
  profileSegmentationTime: timeWindowSchema.optional(),
  totalProfiles: z.number().optional(),
  segmentedProfileCounter: counterSchema.optional(),
  segmentedProfileByNamespaceCounter: nestedCounterSchema.optional(),
  segmentedProfileByStatusCounter: nestedCounterSchema.optional(),
  totalProfilesByMergePolicy: counterSchema.optional(),
});

// Adobe's OpenAPI requires none of these parts.
const segmentDefinitionRefSchema = z.object({
  id: z.string().optional(),
  version: z.number().optional(),
  expression: z
    .object({
      type: z.string().optional(),
      format: z.string().optional(),
      value: z.string().optional(),
    })
    .optional(),
  mergePolicyId: z.string().optional(),
  mergePolicy: z.object({ id: z.string().optional(), version: z.number().optional() }).optional(),
});

// The OpenAPI example writes `default: "true"`; accept the string spelling too.
const looseBooleanSchema = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((value) => value === 'true'),
]);

// Documented as int64; some services send it as a numeric string.
const looseIntegerSchema = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d{1,20}$/)
    .transform(Number),
]);

// Job error codes look like `8.0000018E7` (a string) or plain numbers.
const looseCodeSchema = z.union([z.string(), z.number().transform(String)]);

const jobSchema = z.object({
  id: z.string().min(1),
  imsOrgId: z.string().optional(),
  sandbox: z
    .object({
      sandboxId: z.string().optional(),
      sandboxName: z.string().optional(),
      type: z.string().optional(),
      default: looseBooleanSchema.optional(),
    })
    .optional(),
  profileInstanceId: z.string().optional(),
  source: z.string().optional(),
  // Checked after parsing, so that an unknown value gets a message of its own.
  status: z.string(),
  batchId: z.string().optional(),
  computeJobId: looseIntegerSchema.optional(),
  computeGatewayJobId: z.string().optional(),
  // Required by the API description; a job without any is read as having none.
  segments: z
    .array(
      z.object({
        segmentId: z.string().optional(),
        segment: segmentDefinitionRefSchema.optional(),
      }),
    )
    .default([]),
  metrics: metricsSchema.optional(),
  requestId: z.string().optional(),
  schema: z.object({ name: z.string().optional() }).optional(),
  properties: z
    .object({ scheduleId: z.string().optional(), runId: z.string().optional() })
    .optional(),
  errors: z
    .array(z.object({ code: looseCodeSchema.optional(), msg: z.string().optional() }))
    .optional(),
  creationTime: z.number().optional(),
  updateTime: z.number().optional(),
  updateEpoch: z.number().optional(),
});

const listSchema = z.object({
  _page: z
    .object({ totalCount: z.number().optional(), pageSize: z.number().optional() })
    .optional(),
  children: z.array(z.unknown()),
  _links: z.object({ next: z.object({ href: z.string().optional() }).optional() }).optional(),
});

const bulkSchema = z.object({ results: z.record(z.string(), z.unknown()) });

/** Parses one job. `at` prefixes the problem's path (e.g. `children[3]`). */
export function parseJob(value: unknown, at = ''): Parsed<SegmentJobModel> {
  const result = jobSchema.safeParse(dropNullProperties(value));
  if (!result.success) {
    return { ok: false, problem: describeIssues(result.error.issues, at, 'a segment job') };
  }
  const { status, ...rest } = result.data;
  if (!isSegmentJobStatus(status)) {
    return {
      ok: false,
      problem: `${join(at, 'status')}: expected one of ${SEGMENT_JOB_STATUSES.join(', ')}, but got ${describeWord(status)}`,
    };
  }
  return { ok: true, value: { ...rest, status } };
}

/** Parses the list envelope (`_page`, `children`, `_links`); an unreadable job is set aside. */
export function parseJobList(value: unknown): Parsed<ParsedJobList> {
  const result = listSchema.safeParse(dropNullProperties(value));
  if (!result.success) {
    return {
      ok: false,
      problem: describeIssues(result.error.issues, '', 'a job list ({_page, children, _links})'),
    };
  }
  const jobs: SegmentJobModel[] = [];
  const unreadable: ParsedJobList['unreadable'] = [];
  for (const [index, child] of result.data.children.entries()) {
    const job = parseJob(child, `children[${index}]`);
    if (job.ok) jobs.push(job.value);
    else {
      const jobId = isRecord(child) ? shownJobId(child.id) : undefined;
      unreadable.push({ index, jobId, problem: job.problem });
    }
  }
  const href = result.data._links?.next?.href;
  const count = result.data.children.length;
  return {
    ok: true,
    value: {
      totalCount: result.data._page?.totalCount ?? count,
      pageSize: result.data._page?.pageSize ?? count,
      jobs,
      unreadable,
      hasNext: typeof href === 'string' && href !== '',
    },
  };
}

/** Parses the bulk-get envelope `{results: {<id>: item}}`; items are classified by the caller. */
export function parseBulkResults(value: unknown): Parsed<Record<string, unknown>> {
  const result = bulkSchema.safeParse(value);
  if (!result.success) {
    return {
      ok: false,
      problem: describeIssues(result.error.issues, '', 'a multi-status body ({results: {...}})'),
    };
  }
  return { ok: true, value: result.data.results };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Java services often send `null` for an absent optional field; read it as absent.
function dropNullProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullProperties);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== null) out[key] = dropNullProperties(entry);
  }
  return out;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], at: string, expected: string): string {
  const first = issues[0];
  if (first === undefined) return `${at || 'body'}: expected ${expected}`;
  const path = join(at, formatPath(first.path));
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : '';
  // zod's messages name the expected and received types, never the received value.
  return `${path || 'body'}: expected ${expected}; ${first.message}${more}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function join(at: string, path: string): string {
  if (at === '') return path;
  if (path === '') return at;
  return path.startsWith('[') ? `${at}${path}` : `${at}.${path}`;
}

// A status word is safe to show; anything else is described, not echoed.
function describeWord(value: string): string {
  return /^[A-Za-z_]{1,40}$/.test(value) ? `"${value}"` : `a ${value.length}-character string`;
}
