// The one reader of upstream segment job documents, in a single pass: checks each field the
// gateway keeps, reads null as absent, drops unknown fields; metric maps are read on first use.
// Only `id` and `status` are required; it never echoes an upstream value but a short status word.
import {
  isSegmentJobStatus,
  type JobSegmentModel,
  type MergePolicyRefModel,
  type SandboxModel,
  SEGMENT_JOB_STATUSES,
  type SegmentDefinitionRefModel,
  type SegmentExpressionModel,
  type SegmentJobErrorModel,
  type SegmentJobMetricsModel,
  type SegmentJobModel,
  type TimeWindowModel,
} from '../domain/index.ts';
import { UpstreamUnavailableError } from './errors.ts';

type Fields = Record<string, unknown>;

/** A validation outcome: the value, or a problem that says what was expected and what arrived. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A shape the reader refuses: where (relative to the document) and what was expected. */
class JobDocumentProblem extends Error {
  readonly path: string;
  readonly expected: string;
  readonly received: string;

  constructor(path: string, expected: string, received: string) {
    super(`${path}: expected ${expected}, but got ${received}`);
    this.name = 'JobDocumentProblem';
    this.path = path;
    this.expected = expected;
    this.received = received;
  }
}

/**
 * Reads one job document as the Segmentation Service sends it. `at` prefixes the problem's path
 * (e.g. `children[3]`); with no `at`, a problem with the document itself is said of `body`.
 */
export function parseJobDocument(value: unknown, at = ''): Parsed<SegmentJobModel> {
  try {
    return { ok: true, value: readJob(value, at) };
  } catch (error) {
    if (!(error instanceof JobDocumentProblem)) throw error;
    const path = joinPath(at, error.path);
    return {
      ok: false,
      problem: `${path || 'body'}: expected ${error.expected}, but got ${error.received}`,
    };
  }
}

/** Joins a path prefix and a path within it: `children[3]` + `status`, `results["a"]` + `[0]`. */
function joinPath(at: string, path: string): string {
  if (at === '') return path;
  if (path === '') return at;
  return path.startsWith('[') ? `${at}${path}` : `${at}.${path}`;
}

/** What kind of value arrived, never the value itself. */
export function describeKind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value === '' ? 'an empty string' : 'a string';
    case 'number':
      return Number.isFinite(value) ? 'a number' : String(value);
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

// A status word is safe to show; anything else is described, not echoed.
function describeWord(value: string): string {
  return /^[A-Za-z_]{1,40}$/.test(value) ? `"${value}"` : `a ${value.length}-character string`;
}

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, expected: string, value: unknown): never {
  throw new JobDocumentProblem(path, expected, describeKind(value));
}

// Built only when a problem is reported, so the happy path allocates no path strings.
function field(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// Java services often send `null` for an absent optional field: both read as absent.
function isAbsent(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function optionalString(fields: Fields, key: string, path: string): string | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'string') fail(field(path, key), 'a string', value);
  return value;
}

function optionalNumber(fields: Fields, key: string, path: string): number | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (!isNumber(value)) fail(field(path, key), 'a number', value);
  return value;
}

function optionalFields(fields: Fields, key: string, path: string): Fields | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (!isRecord(value)) fail(field(path, key), 'an object', value);
  return value;
}

// Documented as int64; some services send it as a numeric string.
const INTEGER_STRING = /^-?\d{1,20}$/;

function optionalLooseInteger(fields: Fields, key: string, path: string): number | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (isNumber(value)) return value;
  if (typeof value === 'string' && INTEGER_STRING.test(value)) return Number(value);
  return fail(field(path, key), 'a number or a string of digits', value);
}

// The OpenAPI example writes `default: "true"`; accept the string spelling too.
function optionalLooseBoolean(fields: Fields, key: string, path: string): boolean | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return fail(field(path, key), 'a boolean, "true" or "false"', value);
}

// Job error codes look like `8.0000018E7` (a string) or plain numbers.
function optionalCode(fields: Fields, key: string, path: string): string | undefined {
  const value = fields[key];
  if (isAbsent(value)) return undefined;
  if (typeof value === 'string') return value;
  if (isNumber(value)) return String(value);
  return fail(field(path, key), 'a string or a number', value);
}

function readJob(value: unknown, at: string): SegmentJobModel {
  if (!isRecord(value)) return fail('', 'a segment job (an object)', value);
  const id = value.id;
  if (typeof id !== 'string' || id === '') fail('id', 'a non-empty string', id);
  // Fields are added in the upstream's order, as the model lists them, with status last.
  const job: Partial<SegmentJobModel> = { id };
  // Not required by the OpenAPI: a job without it is taken as the caller's (see the tenant check).
  const imsOrgId = optionalString(value, 'imsOrgId', '');
  if (imsOrgId !== undefined) job.imsOrgId = imsOrgId;
  const sandbox = optionalFields(value, 'sandbox', '');
  if (sandbox !== undefined) job.sandbox = readSandbox(sandbox);
  const profileInstanceId = optionalString(value, 'profileInstanceId', '');
  if (profileInstanceId !== undefined) job.profileInstanceId = profileInstanceId;
  const source = optionalString(value, 'source', '');
  if (source !== undefined) job.source = source;
  // Only its type now: an unknown status is reported after every other field has been read.
  const status = value.status;
  if (typeof status !== 'string') fail('status', 'a string', status);
  const batchId = optionalString(value, 'batchId', '');
  if (batchId !== undefined) job.batchId = batchId;
  const computeJobId = optionalLooseInteger(value, 'computeJobId', '');
  if (computeJobId !== undefined) job.computeJobId = computeJobId;
  const computeGatewayJobId = optionalString(value, 'computeGatewayJobId', '');
  if (computeGatewayJobId !== undefined) job.computeGatewayJobId = computeGatewayJobId;
  // Required by the API description; a job without any is read as having none.
  job.segments = readSegments(value.segments);
  const metrics = optionalFields(value, 'metrics', '');
  if (metrics !== undefined) job.metrics = readMetrics(metrics, { jobId: id, at });
  const requestId = optionalString(value, 'requestId', '');
  if (requestId !== undefined) job.requestId = requestId;
  const schema = optionalFields(value, 'schema', '');
  if (schema !== undefined) job.schema = readSchema(schema);
  const properties = optionalFields(value, 'properties', '');
  if (properties !== undefined) job.properties = readProperties(properties);
  const errors = value.errors;
  if (!isAbsent(errors)) job.errors = readErrors(errors);
  const creationTime = optionalNumber(value, 'creationTime', '');
  if (creationTime !== undefined) job.creationTime = creationTime;
  const updateTime = optionalNumber(value, 'updateTime', '');
  if (updateTime !== undefined) job.updateTime = updateTime;
  const updateEpoch = optionalNumber(value, 'updateEpoch', '');
  if (updateEpoch !== undefined) job.updateEpoch = updateEpoch;
  if (!isSegmentJobStatus(status)) {
    throw new JobDocumentProblem(
      'status',
      `one of ${SEGMENT_JOB_STATUSES.join(', ')}`,
      describeWord(status),
    );
  }
  job.status = status;
  // Every required field was set above: id, segments and status.
  return job as SegmentJobModel;
}

function readSandbox(fields: Fields): SandboxModel {
  const sandboxId = optionalString(fields, 'sandboxId', 'sandbox');
  const sandboxName = optionalString(fields, 'sandboxName', 'sandbox');
  const type = optionalString(fields, 'type', 'sandbox');
  const isDefault = optionalLooseBoolean(fields, 'default', 'sandbox');
  const sandbox: SandboxModel = {};
  if (sandboxId !== undefined) sandbox.sandboxId = sandboxId;
  if (sandboxName !== undefined) sandbox.sandboxName = sandboxName;
  if (type !== undefined) sandbox.type = type;
  if (isDefault !== undefined) sandbox.default = isDefault;
  return sandbox;
}

function readSegments(value: unknown): JobSegmentModel[] {
  if (isAbsent(value)) return [];
  if (!Array.isArray(value)) return fail('segments', 'an array', value);
  const segments: JobSegmentModel[] = [];
  for (let index = 0; index < value.length; index++) {
    segments.push(readSegment(value[index], `segments[${index}]`));
  }
  return segments;
}

function readSegment(value: unknown, path: string): JobSegmentModel {
  if (!isRecord(value)) return fail(path, 'an object', value);
  const segment: JobSegmentModel = {};
  const segmentId = optionalString(value, 'segmentId', path);
  if (segmentId !== undefined) segment.segmentId = segmentId;
  const definition = optionalFields(value, 'segment', path);
  if (definition !== undefined) segment.segment = readDefinitionRef(definition, `${path}.segment`);
  return segment;
}

function readDefinitionRef(fields: Fields, path: string): SegmentDefinitionRefModel {
  const ref: SegmentDefinitionRefModel = {};
  const id = optionalString(fields, 'id', path);
  if (id !== undefined) ref.id = id;
  const version = optionalNumber(fields, 'version', path);
  if (version !== undefined) ref.version = version;
  const expression = optionalFields(fields, 'expression', path);
  if (expression !== undefined) ref.expression = readExpression(expression, `${path}.expression`);
  const mergePolicyId = optionalString(fields, 'mergePolicyId', path);
  if (mergePolicyId !== undefined) ref.mergePolicyId = mergePolicyId;
  const mergePolicy = optionalFields(fields, 'mergePolicy', path);
  if (mergePolicy !== undefined) {
    const at = `${path}.mergePolicy`;
    const policy: MergePolicyRefModel = {};
    const policyId = optionalString(mergePolicy, 'id', at);
    if (policyId !== undefined) policy.id = policyId;
    const policyVersion = optionalNumber(mergePolicy, 'version', at);
    if (policyVersion !== undefined) policy.version = policyVersion;
    ref.mergePolicy = policy;
  }
  return ref;
}

// `Expression` requires none of its parts in the OpenAPI.
function readExpression(fields: Fields, path: string): SegmentExpressionModel {
  const expression: SegmentExpressionModel = {};
  const type = optionalString(fields, 'type', path);
  if (type !== undefined) expression.type = type;
  const format = optionalString(fields, 'format', path);
  if (format !== undefined) expression.format = format;
  const value = optionalString(fields, 'value', path);
  if (value !== undefined) expression.value = value;
  return expression;
}

/** Where a job's metrics came from, to say so when a map is found malformed on first use. */
interface MetricsOrigin {
  jobId: string;
  /** The prefix `parseJobDocument` was given. */
  at: string;
}

/**
 * A metric map the upstream sent malformed, found when it was first read (maps are read on
 * demand, see `readMetrics`). `problem` says where, relative to what `parseJobDocument` read,
 * and what was expected, as `parseJobDocument` would have.
 */
export class MetricMapError extends UpstreamUnavailableError {
  readonly problem: string;

  constructor(origin: MetricsOrigin, problem: JobDocumentProblem) {
    const path = joinPath(origin.at, problem.path);
    const described = `${path}: expected ${problem.expected}, but got ${problem.received}`;
    super(
      `upstream sent job ${JSON.stringify(origin.jobId)} with metrics that are not the documented shape: ${described}`,
      // The exchange is long over; this is where the job can be read again.
      { method: 'GET', path: `/segment/jobs/${encodeURIComponent(origin.jobId)}` },
    );
    this.problem = described;
  }
}

type MapKey =
  | 'segmentedProfileCounter'
  | 'segmentedProfileByNamespaceCounter'
  | 'segmentedProfileByStatusCounter'
  | 'totalProfilesByMergePolicy';

/** One map as the upstream sent it, read on first use; then its result or its problem is kept. */
interface MapSlot {
  /** The map as sent; undefined once read. */
  raw: Fields | undefined;
  read: (fields: Fields, path: string) => unknown;
  value: unknown;
  problem: MetricMapError | undefined;
}

/** The unread maps of one metrics object, where its accessors find them. */
interface MetricMaps {
  origin: MetricsOrigin;
  slots: Partial<Record<MapKey, MapSlot>>;
}

// Not enumerable and not a string key: never part of the metrics as data (keys, JSON, equality).
const MAPS = Symbol('metric maps');

function readSlot(maps: MetricMaps, key: MapKey): unknown {
  const slot = maps.slots[key] as MapSlot;
  if (slot.problem !== undefined) throw slot.problem;
  if (slot.raw === undefined) return slot.value;
  try {
    slot.value = slot.read(slot.raw, `metrics.${key}`);
  } catch (error) {
    if (!(error instanceof JobDocumentProblem)) throw error;
    slot.problem = new MetricMapError(maps.origin, error);
    throw slot.problem;
  }
  slot.raw = undefined;
  return slot.value;
}

// One accessor pair per key, shared by every metrics object: defining it allocates no closure,
// and objects with the same maps share their hidden class.
function lazyMapDescriptor(key: MapKey): PropertyDescriptor {
  return {
    configurable: true,
    enumerable: true,
    get(this: { [MAPS]: MetricMaps }): unknown {
      return readSlot(this[MAPS], key);
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, key, { value, writable: true, enumerable: true });
    },
  };
}

const LAZY_MAPS: Record<MapKey, PropertyDescriptor> = {
  segmentedProfileCounter: lazyMapDescriptor('segmentedProfileCounter'),
  segmentedProfileByNamespaceCounter: lazyMapDescriptor('segmentedProfileByNamespaceCounter'),
  segmentedProfileByStatusCounter: lazyMapDescriptor('segmentedProfileByStatusCounter'),
  totalProfilesByMergePolicy: lazyMapDescriptor('totalProfilesByMergePolicy'),
};

/**
 * Makes `metrics[key]` read `raw` on first use, then keep the result (or its problem). Until
 * then the map costs nothing, however many keys it has: a query that does not select it never
 * pays for it, and one that does is charged before it is listed (see the schema). Returns the
 * maps of `metrics`, created by the first call (pass `undefined`).
 */
function defineLazyMap(
  metrics: SegmentJobMetricsModel,
  maps: MetricMaps | undefined,
  key: MapKey,
  raw: Fields,
  read: (fields: Fields, path: string) => unknown,
  origin: MetricsOrigin,
): MetricMaps {
  let own = maps;
  if (own === undefined) {
    own = { origin, slots: {} };
    Object.defineProperty(metrics, MAPS, { value: own });
  }
  own.slots[key] = { raw, read, value: undefined, problem: undefined };
  Object.defineProperty(metrics, key, LAZY_MAPS[key]);
  return own;
}

/**
 * Serializes the metrics with a malformed map left out (as not reported), so that sending a job
 * on (e.g. to another replica) never throws; reading that map here still reports it.
 */
function metricsToJSON(this: Record<string, unknown>): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const key of Object.keys(this)) {
    try {
      json[key] = this[key];
    } catch (error) {
      if (!(error instanceof MetricMapError)) throw error;
    }
  }
  return json;
}

function readMetrics(fields: Fields, origin: MetricsOrigin): SegmentJobMetricsModel {
  const metrics: SegmentJobMetricsModel = {};
  const totalTime = optionalFields(fields, 'totalTime', 'metrics');
  if (totalTime !== undefined) metrics.totalTime = readTimeWindow(totalTime, 'metrics.totalTime');
  const segmentationTime = optionalFields(fields, 'profileSegmentationTime', 'metrics');
  if (segmentationTime !== undefined) {
    metrics.profileSegmentationTime = readTimeWindow(
      segmentationTime,
      'metrics.profileSegmentationTime',
    );
  }
  const totalProfiles = optionalNumber(fields, 'totalProfiles', 'metrics');
  if (totalProfiles !== undefined) metrics.totalProfiles = totalProfiles;
  // Each map is checked to be an object now, and its entries when first used.
  let maps: MetricMaps | undefined;
  const byId = optionalFields(fields, 'segmentedProfileCounter', 'metrics');
  if (byId !== undefined) {
    maps = defineLazyMap(metrics, maps, 'segmentedProfileCounter', byId, readCounter, origin);
  }
  const byNamespace = optionalFields(fields, 'segmentedProfileByNamespaceCounter', 'metrics');
  if (byNamespace !== undefined) {
    const key = 'segmentedProfileByNamespaceCounter';
    maps = defineLazyMap(metrics, maps, key, byNamespace, readNestedCounter, origin);
  }
  const byStatus = optionalFields(fields, 'segmentedProfileByStatusCounter', 'metrics');
  if (byStatus !== undefined) {
    const key = 'segmentedProfileByStatusCounter';
    maps = defineLazyMap(metrics, maps, key, byStatus, readNestedCounter, origin);
  }
  const byMergePolicy = optionalFields(fields, 'totalProfilesByMergePolicy', 'metrics');
  if (byMergePolicy !== undefined) {
    const key = 'totalProfilesByMergePolicy';
    maps = defineLazyMap(metrics, maps, key, byMergePolicy, readCounter, origin);
  }
  if (maps !== undefined) {
    Object.defineProperty(metrics, 'toJSON', { value: metricsToJSON });
  }
  return metrics;
}

// Partial while the job runs: `profileSegmentationTime: {}` is a valid window.
function readTimeWindow(fields: Fields, path: string): TimeWindowModel {
  const window: TimeWindowModel = {};
  const start = optionalNumber(fields, 'startTimeInMs', path);
  if (start !== undefined) window.startTimeInMs = start;
  const end = optionalNumber(fields, 'endTimeInMs', path);
  if (end !== undefined) window.endTimeInMs = end;
  const total = optionalNumber(fields, 'totalTimeInMs', path);
  if (total !== undefined) window.totalTimeInMs = total;
  return window;
}

// Counter keys are upstream ids; `__proto__` would replace the result's prototype, so it is
// never copied. A counter of numbers alone is the parsed object itself (JSON.parse output is
// ours alone): copying a map of 100,000 keys costs more than checking it.
function readCounter(fields: Fields, path: string): Record<string, number> {
  for (const key in fields) {
    const value = fields[key];
    if (isNumber(value) && key !== '__proto__') continue;
    if (value === null || key === '__proto__') return copyCounter(fields, path);
    fail(field(path, key), 'a number', value);
  }
  return fields as Record<string, number>;
}

function copyCounter(fields: Fields, path: string): Record<string, number> {
  const counter: Record<string, number> = {};
  for (const key in fields) {
    if (key === '__proto__') continue;
    const value = fields[key];
    if (value === null) continue;
    if (!isNumber(value)) fail(field(path, key), 'a number', value);
    counter[key] = value;
  }
  return counter;
}

function readNestedCounter(fields: Fields, path: string): Record<string, Record<string, number>> {
  for (const key in fields) {
    const value = fields[key];
    if (value === null || key === '__proto__') return copyNestedCounter(fields, path);
    if (!isRecord(value)) fail(field(path, key), 'an object', value);
    if (readCounter(value, `${path}.${key}`) !== value) return copyNestedCounter(fields, path);
  }
  return fields as Record<string, Record<string, number>>;
}

function copyNestedCounter(fields: Fields, path: string): Record<string, Record<string, number>> {
  const counters: Record<string, Record<string, number>> = {};
  for (const key in fields) {
    if (key === '__proto__') continue;
    const value = fields[key];
    if (value === null) continue;
    if (!isRecord(value)) fail(field(path, key), 'an object', value);
    counters[key] = readCounter(value, `${path}.${key}`);
  }
  return counters;
}

function readSchema(fields: Fields): { name?: string } {
  const name = optionalString(fields, 'name', 'schema');
  return name === undefined ? {} : { name };
}

function readProperties(fields: Fields): { scheduleId?: string; runId?: string } {
  const properties: { scheduleId?: string; runId?: string } = {};
  const scheduleId = optionalString(fields, 'scheduleId', 'properties');
  if (scheduleId !== undefined) properties.scheduleId = scheduleId;
  const runId = optionalString(fields, 'runId', 'properties');
  if (runId !== undefined) properties.runId = runId;
  return properties;
}

function readErrors(value: unknown): SegmentJobErrorModel[] {
  if (!Array.isArray(value)) return fail('errors', 'an array', value);
  const errors: SegmentJobErrorModel[] = [];
  for (let index = 0; index < value.length; index++) {
    const entry: unknown = value[index];
    const path = `errors[${index}]`;
    if (!isRecord(entry)) fail(path, 'an object', entry);
    const error: SegmentJobErrorModel = {};
    const code = optionalCode(entry, 'code', path);
    if (code !== undefined) error.code = code;
    const msg = optionalString(entry, 'msg', path);
    if (msg !== undefined) error.msg = msg;
    errors.push(error);
  }
  return errors;
}
