// Property-based fuzzing of the embedded service's REST inputs over real HTTP: bodies, query
// strings, path ids, headers, PQL and bulk-get id lists. Whatever arrives, the answer is a 2xx
// or a documented 4xx, the service keeps answering, and what it stored stays consistent.
// FUZZ_SEED=<n> replays a run (fast-check prints the seed of a failure); FUZZ_RUNS scales runs.
import {
  Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  validateHeaderValue,
} from 'node:http';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SEGMENT_JOB_STATUSES } from '../../src/domain/index.ts';
import { PQL_FUNCTION_NAMES } from '../../src/segmentation-service/pql/ast.ts';
import type { ServiceLogger } from '../../src/segmentation-service/service-logger.ts';
import {
  type Client,
  createClient,
  createDefinition,
  createJob,
  type DefinitionView,
  type JobView,
  loadProfiles,
  type RunningService,
  simpleProfile,
  startService,
  type TestTenant,
  tenantHeaders,
  waitFor,
} from '../segmentation-service/helpers.ts';

const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const RUN_SCALE = Number(process.env.FUZZ_RUNS ?? '1');

/** Per-test timeout: vitest's default, stretched for a scaled-up run. */
const FUZZ_TIMEOUT_MS = 20_000 * Math.max(1, RUN_SCALE);

function runs<T>(numRuns: number): fc.Parameters<T> {
  return {
    numRuns: Math.max(1, Math.round(numRuns * RUN_SCALE)),
    ...(SEED === undefined ? {} : { seed: SEED }),
  };
}

const BODY_TENANT: TestTenant = { orgId: 'FUZZBODY@AdobeOrg', sandboxName: 'prod' };
const PATH_TENANT: TestTenant = { orgId: 'FUZZPATH@AdobeOrg', sandboxName: 'dev' };
const PQL_TENANT: TestTenant = { orgId: 'FUZZPQL@AdobeOrg', sandboxName: 'prod' };
const API = '/data/core/ups';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

// ---------------------------------------------------------------------------------------------
// A raw HTTP client: fetch would normalize `..` and refuse some of what is sent here.

interface RawRequest {
  method: string;
  /** Sent exactly as given (after the origin). */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface Target {
  port: number;
  agent: Agent;
}

function send(target: Target, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        agent: target.agent,
        method: request.method,
        path: request.path,
        headers: request.headers,
        timeout: 15_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer to ${request.path}`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

function withTenant(tenant: TestTenant, headers: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return { ...tenantHeaders(tenant), ...headers };
}

// ---------------------------------------------------------------------------------------------
// What every answer must look like.

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON from ${what}, but got ${JSON.stringify(text.slice(0, 200))}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const GATEWAY_CODES: Readonly<Record<number, string>> = {
  400: '400003',
  401: '401013',
  403: '403000',
};

/** The body of a 4xx: the segmentation service's shape, or Adobe's gateway shape for auth. */
function expectErrorShape(response: RawResponse, what: string): void {
  const body = parseJson(response.text, what);
  if (!isRecord(body))
    throw new Error(`expected an error object from ${what}, got ${response.text}`);
  if ('error_code' in body) {
    expect(body.error_code, what).toBe(GATEWAY_CODES[response.status]);
    expect(typeof body.message === 'string' && body.message.length > 0, what).toBe(true);
    return;
  }
  const status = String(response.status);
  expect(body, what).toMatchObject({
    requestId: response.headers['x-request-id'],
    type: expect.stringMatching(/^https:\/\/ns\.adobe\.com\/aep\/errors\//),
    title: expect.any(String),
    status: response.status,
  });
  const entries = (body.errors as Record<string, { code: string; message: string }[]>)[status];
  expect(entries?.length, what).toBe(1);
  expect(entries?.[0]?.code, what).toBe(`UPAPI-1${status}-${status}`);
  expect(entries?.[0]?.message.length, what).toBeGreaterThan(0);
}

/** Never a 5xx; a 4xx in a documented shape; a 2xx with JSON (or nothing for 204 and HEAD). */
function expectWellFormed(response: RawResponse, request: RawRequest): unknown {
  const what = `${request.method} ${request.path.slice(0, 300)} → ${response.status} ${response.text.slice(0, 300)}`;
  expect(response.status, what).toBeGreaterThanOrEqual(200);
  expect(response.status, what).toBeLessThan(500);
  expect(response.headers['x-request-id'], what).toBeTypeOf('string');
  if (request.method === 'HEAD' || response.status === 204) {
    return undefined;
  }
  if (response.status >= 400) {
    expectErrorShape(response, what);
    return undefined;
  }
  expect(response.headers['content-type'], what).toMatch(/^application\/json/);
  return parseJson(response.text, what);
}

function expectCount(value: unknown, what: string): void {
  expect(Number.isSafeInteger(value) && (value as number) >= 0, `${what}: ${String(value)}`).toBe(
    true,
  );
}

/** Every number a finished job reports is a count: a non-negative integer. */
function expectCountedMetrics(job: JobView): void {
  const metrics = job.metrics;
  expectCount(metrics.totalProfiles, `${job.id} totalProfiles`);
  for (const [key, value] of Object.entries(metrics.segmentedProfileCounter ?? {})) {
    expectCount(value, `${job.id} segmentedProfileCounter.${key}`);
  }
  for (const [key, byNamespace] of Object.entries(
    metrics.segmentedProfileByNamespaceCounter ?? {},
  )) {
    for (const [namespace, value] of Object.entries(byNamespace)) {
      expectCount(value, `${job.id} segmentedProfileByNamespaceCounter.${key}.${namespace}`);
    }
  }
  for (const [key, changes] of Object.entries(metrics.segmentedProfileByStatusCounter ?? {})) {
    expectCount(changes.realized, `${job.id} realized ${key}`);
    expectCount(changes.exited, `${job.id} exited ${key}`);
  }
  for (const [key, value] of Object.entries(metrics.totalProfilesByMergePolicy ?? {})) {
    expectCount(value, `${job.id} totalProfilesByMergePolicy.${key}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.

const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));
const trickyChar = fc.constantFrom(
  '\u0000',
  '"',
  '\\',
  '%',
  '_',
  '.',
  '~',
  '=',
  '==',
  '\u001f',
  '\u2028',
  'é',
  'İ',
  'ß',
  '𝔘',
  '👩‍👩‍👧',
  '\ufeff',
  ' ',
);
const anyChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 3, arbitrary: trickyChar },
);
/** Strings of any code points, lone surrogates and characters that mean something somewhere. */
const anyText = fc.string({ unit: anyChar, maxLength: 40 });

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** encodeURIComponent, which throws on a lone surrogate; those go as U+FFFD instead. */
function encodeText(text: string): string {
  return encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'));
}
const anyJson = fc.jsonValue({ maxDepth: 5, stringUnit: anyChar });
const pollutingKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
);

/** Sizes around the limits: names (256), descriptions (10,000), PQL (100,000). */
const hugeText = fc
  .constantFrom(255, 256, 257, 9_999, 10_001, 100_001, 1_000_000)
  .chain((length) => fc.constantFrom('x', 'é', '𝔘').map((char) => char.repeat(length)));

function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
const deepJson = fc
  .tuple(
    fc.constantFrom(500, 5_000, 50_000),
    fc.constantFrom<'array' | 'object'>('array', 'object'),
  )
  .map(([depth, kind]) => deeplyNested(depth, kind));

/** JSON text with `__proto__`/`constructor` keys kept as own keys of the parsed body. */
function pollutingObject(inner: string): string {
  return `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},${inner}}`;
}

/** A value that is sometimes right, often the wrong type. */
function maybe<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 1, arbitrary: anyJson },
    { weight: 1, arbitrary: hugeText },
  );
}

// ---------------------------------------------------------------------------------------------

interface Tracked {
  jobIds: Set<string>;
  definitionIds: Set<string>;
  totalProfiles: number;
}

describe('fuzzing the REST inputs of the embedded service', { timeout: FUZZ_TIMEOUT_MS }, () => {
  let running: RunningService;
  let target: Target;
  let bodyClient: Client;
  const loggedProblems: { level: string; message: string; fields: object }[] = [];
  const body: Tracked = { jobIds: new Set(), definitionIds: new Set(), totalProfiles: 0 };
  const pathIds: string[] = [];
  let seededDefinitions: DefinitionView[] = [];
  const pqlDefinitions = new Map<string, { format: string; value: string }>();

  const recordingLogger: ServiceLogger = {
    debug: () => {},
    info: () => {},
    warn: (fields, message) => loggedProblems.push({ level: 'warn', message, fields }),
    error: (fields, message) => loggedProblems.push({ level: 'error', message, fields }),
  };

  beforeAll(async () => {
    running = await startService({ stepMs: 2, logger: recordingLogger, maxActiveJobs: 1_000 });
    target = {
      port: Number(new URL(running.baseUrl).port),
      agent: new Agent({ keepAlive: true, maxSockets: 4 }),
    };
    bodyClient = createClient(running.baseUrl, BODY_TENANT);
    const profiles = Array.from({ length: 50 }, (_, n) =>
      simpleProfile(`seed${n}`, { n, home: { country: n % 2 === 0 ? 'US' : 'FR' } }),
    );
    body.totalProfiles = (
      await loadProfiles(bodyClient, running.profilesUrl, profiles)
    ).totalProfiles;
    seededDefinitions = [
      await createDefinition(bodyClient, 'Even', 'home.country = "US"'),
      await createDefinition(bodyClient, 'Small', 'n < 10'),
    ];
    for (const definition of seededDefinitions) body.definitionIds.add(definition.id);
    for (const definition of seededDefinitions) {
      body.jobIds.add((await createJob(bodyClient, [definition.id])).id);
    }
    const pathClient = createClient(running.baseUrl, PATH_TENANT);
    await loadProfiles(pathClient, running.profilesUrl, profiles.slice(0, 5));
    const pathDefinition = await createDefinition(pathClient, 'Path', 'n = 1');
    pathIds.push(pathDefinition.id);
    for (let index = 0; index < 3; index++) {
      pathIds.push((await createJob(pathClient, [pathDefinition.id])).id);
    }
  });

  afterEach(() => {
    expect(loggedProblems, 'the service logged a failure').toEqual([]);
  });

  afterAll(async () => {
    target?.agent.destroy();
    await running?.dispose();
  });

  /** The service still answers: after every fuzz run. */
  async function expectAlive(): Promise<void> {
    const probe: RawRequest = {
      method: 'GET',
      path: '/emulator/profiles',
      headers: withTenant(BODY_TENANT),
    };
    const response = await send(target, probe);
    expect(response.status, 'health probe').toBe(200);
  }

  async function fuzzRequest(
    request: RawRequest,
  ): Promise<{ response: RawResponse; json: unknown }> {
    const response = await send(target, request);
    const json = expectWellFormed(response, request);
    await expectAlive();
    return { response, json };
  }

  // -------------------------------------------------------------------------------------------

  type BodyTarget =
    | 'createJob'
    | 'jobBulkGet'
    | 'createDefinition'
    | 'definitionBulkGet'
    | 'patchDefinition'
    | 'profiles';

  function bodyPath(kind: BodyTarget): { method: string; path: string } {
    switch (kind) {
      case 'createJob':
        return { method: 'POST', path: `${API}/segment/jobs` };
      case 'jobBulkGet':
        return { method: 'POST', path: `${API}/segment/jobs/bulk-get` };
      case 'createDefinition':
        return { method: 'POST', path: `${API}/segment/definitions` };
      case 'definitionBulkGet':
        return { method: 'POST', path: `${API}/segment/definitions/bulk-get` };
      case 'patchDefinition':
        return {
          method: 'PATCH',
          path: `${API}/segment/definitions/${seededDefinitions[0]?.id ?? 'missing'}`,
        };
      case 'profiles':
        return { method: 'POST', path: '/emulator/profiles' };
    }
  }

  const nonBlankText = anyText.filter((text) => text.trim() !== '');
  const validPql = fc.constantFrom(
    { type: 'PQL', format: 'pql/text', value: 'n > 1' },
    { type: 'PQL', format: 'pql/text', value: 'home.country = "US" and not(n in [1, 2])' },
    { type: 'PQL', format: 'pql/text', value: 'home.country.startsWith("u", false)' },
    {
      type: 'PQL',
      format: 'pql/json',
      value: JSON.stringify({
        nodeType: 'fnApply',
        fnName: '>',
        params: [
          {
            nodeType: 'fieldLookup',
            fieldName: 'n',
            object: { nodeType: 'parameterReference', position: 1 },
          },
          { nodeType: 'literal', literalType: 'Integer', value: 3 },
        ],
      }),
    },
  );
  const validEvaluationInfo = fc.record({
    batch: fc.record({ enabled: fc.boolean() }),
    continuous: fc.record({ enabled: fc.boolean() }),
    synchronous: fc.record({ enabled: fc.boolean() }),
  });
  const validProfile = fc.record(
    {
      identityMap: fc.dictionary(
        fc.oneof(fc.constantFrom('ECID', 'Email', 'constructor', 'toString'), nonBlankText),
        fc.array(fc.record({ id: nonBlankText, primary: fc.boolean() }), {
          minLength: 1,
          maxLength: 2,
        }),
        { minKeys: 1, maxKeys: 2 },
      ),
      n: anyJson,
      home: fc.record({ country: fc.oneof(fc.constantFrom('US', 'FR'), anyText) }),
    },
    { requiredKeys: ['identityMap'] },
  );

  /** A body the endpoint accepts (`SEEDED` stands for an existing definition id). */
  function validBody(kind: BodyTarget): fc.Arbitrary<unknown> {
    switch (kind) {
      case 'createJob':
        return fc.oneof(
          fc.array(fc.constant({ segmentId: 'SEEDED' }), { minLength: 1, maxLength: 3 }),
          fc.constant([{ segmentId: '*' }]),
          fc.record({
            schema: fc.record({ name: nonBlankText }),
            segments: fc.constant([{ segmentId: '*' }]),
          }),
        );
      case 'jobBulkGet':
      case 'definitionBulkGet':
        return fc.record({
          ids: fc.array(fc.record({ id: fc.oneof(fc.constant('SEEDED'), nonBlankText) }), {
            minLength: 1,
            maxLength: 5,
          }),
        });
      case 'createDefinition':
        return fc.record(
          {
            name: fc.oneof(nonBlankText, pollutingKey),
            description: anyText,
            expression: validPql,
            schema: fc.constant({ name: '_xdm.context.profile' }),
            evaluationInfo: validEvaluationInfo,
          },
          { requiredKeys: ['name', 'expression'] },
        );
      case 'patchDefinition':
        return fc
          .record(
            {
              name: fc.oneof(nonBlankText, pollutingKey),
              description: anyText,
              expression: validPql,
              evaluationInfo: validEvaluationInfo,
            },
            { requiredKeys: [] },
          )
          .filter((patch) => Object.keys(patch).length > 0);
      case 'profiles':
        return fc.record(
          {
            profiles: fc.array(validProfile, { maxLength: 4 }),
            replace: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, fc.constant(true)),
          },
          { requiredKeys: ['profiles'] },
        );
    }
  }

  type JsonPath = (string | number)[];
  const REMOVE = Symbol('remove');

  function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
    const paths: JsonPath[] = [prefix];
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        paths.push(...pathsOf(item, [...prefix, index]));
      });
    } else if (isRecord(value)) {
      for (const [key, item] of Object.entries(value))
        paths.push(...pathsOf(item, [...prefix, key]));
    }
    return paths;
  }

  /** A copy of `value` with the node at `path` replaced (or removed). */
  function replaceAt(value: unknown, path: JsonPath, replacement: unknown): unknown {
    if (path.length === 0) return replacement === REMOVE ? undefined : replacement;
    const copy: unknown = structuredClone(value);
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1) as string | number;
    if (replacement !== REMOVE) parent[last] = replacement;
    else if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
    return copy;
  }

  const replacement = fc.oneof(
    anyJson,
    anyText,
    hugeText,
    fc.constant(REMOVE),
    fc.constantFrom(null, 0, -1, 1e308, true, [], {}),
  );

  /** A valid body with up to two nodes replaced by something of the wrong type, size or text. */
  function mutatedBody(kind: BodyTarget): fc.Arbitrary<unknown> {
    return fc
      .tuple(validBody(kind), fc.array(fc.tuple(fc.nat(), replacement), { maxLength: 2 }))
      .map(([valid, mutations]) => {
        let body = valid;
        for (const [pick, value] of mutations) {
          const paths = pathsOf(body);
          body = replaceAt(body, paths[pick % paths.length] as JsonPath, value);
        }
        return body;
      });
  }

  /** Turns the `SEEDED` placeholder into a real id, so creates and bulk-gets also succeed. */
  function withSeededIds(text: string, kind: BodyTarget): string {
    // A jobs bulk-get needs a job id: one that knows no id at all answers 404.
    const id = kind === 'jobBulkGet' ? [...body.jobIds][0] : seededDefinitions[1]?.id;
    return text.replaceAll('"SEEDED"', JSON.stringify(id ?? 'SEEDED'));
  }

  const BODY_TARGETS: readonly BodyTarget[] = [
    'createJob',
    'jobBulkGet',
    'createDefinition',
    'definitionBulkGet',
    'patchDefinition',
    'profiles',
  ];
  const bodyTarget = fc.constantFrom(...BODY_TARGETS);
  const accepted = new Map<BodyTarget, number>();
  const rawBody = (kind: BodyTarget): fc.Arbitrary<string | undefined> =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: mutatedBody(kind).map((value) =>
          withSeededIds(JSON.stringify(value) ?? '', kind),
        ),
      },
      { weight: 2, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
      { weight: 2, arbitrary: anyText },
      { weight: 1, arbitrary: deepJson },
      { weight: 1, arbitrary: hugeText },
      {
        weight: 1,
        arbitrary: mutatedBody(kind).map((value) => {
          const text = withSeededIds(JSON.stringify(value) ?? '', kind);
          return isRecord(value) && text.length > 2 ? pollutingObject(text.slice(1, -1)) : text;
        }),
      },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    undefined,
  );

  it('answers any body on every write endpoint with a 2xx or a documented 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        bodyTarget.chain((kind) => fc.tuple(fc.constant(kind), rawBody(kind), contentType)),
        async ([kind, text, type]) => {
          const { method, path } = bodyPath(kind);
          const headers = withTenant(
            BODY_TENANT,
            type === undefined ? {} : { 'content-type': type },
          );
          const request: RawRequest = {
            method,
            path,
            headers,
            ...(text === undefined ? {} : { body: text }),
          };
          const { response, json } = await fuzzRequest(request);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          if (response.status >= 300 || !isRecord(json)) return;
          accepted.set(kind, (accepted.get(kind) ?? 0) + 1);
          if (kind === 'createJob') {
            expect(json.status).toBe('NEW');
            body.jobIds.add(String(json.id));
          } else if (kind === 'createDefinition') {
            body.definitionIds.add(String(json.id));
          } else if (kind === 'profiles') {
            body.totalProfiles = Number(json.totalProfiles);
          } else if (kind === 'patchDefinition') {
            expect(json.id).toBe(seededDefinitions[0]?.id);
          }
        },
      ),
      runs(400),
    );
    // The generators must reach past validation too, or the fuzzing proves little (a short
    // replay with FUZZ_RUNS below 1 may not get there).
    if (RUN_SCALE >= 1) expect([...accepted.keys()].sort()).toEqual([...BODY_TARGETS].sort());
  });

  it('answers a body over the limit with 413 and keeps serving', async () => {
    const request: RawRequest = {
      method: 'POST',
      path: `${API}/segment/definitions`,
      headers: withTenant(BODY_TENANT, { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'x', description: 'y'.repeat(10 * 1024 * 1024) }),
    };
    const { response } = await fuzzRequest(request);
    expect(response.status).toBe(413);
  });

  // -------------------------------------------------------------------------------------------

  const queryName = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.constantFrom('start', 'limit', 'status', 'sort', 'property', 'page'),
    },
    { weight: 1, arbitrary: anyText },
  );
  const queryValue = fc.oneof(
    fc.constantFrom(
      '0',
      '1',
      '20',
      '100',
      '101',
      '-1',
      '1e3',
      '0x10',
      ' 5 ',
      '99999999999999999999',
      '9007199254740991',
      '',
      ...SEGMENT_JOB_STATUSES,
      'succeeded',
      ' Processing ',
      'creationTime',
      'creationTime:asc',
      'updateTime:desc',
      'status:desc',
      'name:asc',
      'status:sideways',
      'creationTime:asc:desc',
      'status==SUCCEEDED',
      'segments~segmentId==*',
      'schema.name==_xdm.context.profile',
      '__proto__.polluted==true',
      'constructor==x',
      '==',
      'a~b~c==d',
      'metrics.totalProfiles==50',
    ),
    anyText,
  );
  /** A query string; values are percent-encoded, or left raw to send broken escapes. */
  const queryString = fc
    .array(fc.tuple(queryName, queryValue, fc.boolean()), { maxLength: 6 })
    .map((pairs) =>
      pairs
        .map(([name, value, isRaw]) => {
          const encode = (text: string) =>
            isRaw ? text.replace(/[^\x21-\x7e]|#/gu, encodeText) : encodeText(text);
          return `${encode(name)}=${encode(value)}`;
        })
        .join('&'),
    );

  /** The status filter the service applies, when the query names exactly one valid status. */
  function requestedStatus(query: string): string | undefined {
    const values = new URLSearchParams(query).getAll('status');
    if (values.length !== 1) return undefined;
    const wanted = (values[0] ?? '').trim().toUpperCase();
    return (SEGMENT_JOB_STATUSES as readonly string[]).includes(wanted) ? wanted : undefined;
  }

  it('answers any query of the list endpoints with a page that holds together, or a 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('jobs', 'definitions'), queryString, async (list, query) => {
        const request: RawRequest = {
          method: 'GET',
          path: `${API}/segment/${list}?${query}`,
          headers: withTenant(BODY_TENANT),
        };
        const { response, json } = await fuzzRequest(request);
        expect([200, 400]).toContain(response.status);
        if (response.status !== 200 || !isRecord(json)) return;
        let next: string | undefined;
        if (list === 'jobs') {
          const page = json as {
            _page: { totalCount: number; pageSize: number };
            children: JobView[];
            _links: { next: { href?: string } };
          };
          expect(page.children.length).toBe(page._page.pageSize);
          expect(page.children.length).toBeLessThanOrEqual(100);
          expect(Number.isSafeInteger(page._page.totalCount)).toBe(true);
          const status = requestedStatus(query);
          if (status !== undefined) {
            for (const job of page.children) expect(job.status).toBe(status);
          }
          next = page._links.next.href;
        } else {
          const page = json as {
            segments: DefinitionView[];
            page: { totalCount: number; pageSize: number };
            link: { next?: string };
          };
          expect(page.segments.length).toBe(page.page.pageSize);
          expect(page.segments.length).toBeLessThanOrEqual(100);
          next = page.link.next;
        }
        if (next !== undefined) {
          // The next page link carries the same (valid) parameters, so following it works.
          const followed = await fuzzRequest({
            method: 'GET',
            path: `${API}${next}`,
            headers: withTenant(BODY_TENANT),
          });
          expect(followed.response.status, next).toBe(200);
        }
      }),
      runs(250),
    );
  });

  // -------------------------------------------------------------------------------------------

  const pathToken = fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2E',
    '%00',
    '%',
    '%zz',
    '%2F',
    '%2f..%2f',
    'a%2Fb',
    '%ED%A0%80',
    '%C0%AE',
    ';jsessionid=1',
    'bulk-get',
    '*',
    '%2A',
    '__proto__',
    'constructor',
    '',
  );
  const pathId = fc.oneof(
    { weight: 3, arbitrary: anyText.map(encodeText) },
    { weight: 3, arbitrary: pathToken },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 200, max: 8_000 }).map((length) => 'a'.repeat(length)),
    },
    { weight: 2, arbitrary: fc.constant('KNOWN') },
    { weight: 1, arbitrary: fc.constant('KNOWN-ENCODED') },
    { weight: 1, arbitrary: fc.constant('OTHER-TENANT') },
  );
  const pathSuffix = fc.constantFrom(
    '',
    '',
    '',
    '/',
    '/x',
    '?a=b',
    '?start=-1',
    '#frag',
    '//',
    '/..',
  );
  const pathPrefix = fc.constantFrom(
    `${API}/segment/jobs/`,
    `${API}/segment/jobs/`,
    `${API}/segment/definitions/`,
    `${API}/segment/definitions/`,
    `${API}/segment/`,
    `${API}/`,
    '/emulator/profiles/',
    '/',
  );
  const pathMethod = fc.constantFrom(
    'GET',
    'GET',
    'DELETE',
    'PATCH',
    'POST',
    'PUT',
    'HEAD',
    'OPTIONS',
  );

  it('answers any id in a path with a 2xx or a documented 4xx, and 404 for unknown ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        pathMethod,
        pathPrefix,
        pathId,
        fc.nat(),
        pathSuffix,
        async (method, prefix, rawId, pick, suffix) => {
          const known = pathIds[pick % pathIds.length] as string;
          const id =
            rawId === 'KNOWN'
              ? known
              : rawId === 'KNOWN-ENCODED'
                ? known.replace(/-/g, '%2D')
                : rawId === 'OTHER-TENANT'
                  ? ([...body.jobIds][0] ?? 'none')
                  : rawId;
          const request: RawRequest = {
            method,
            path: `${prefix}${id}${suffix}`,
            headers: withTenant(
              PATH_TENANT,
              method === 'PATCH' || method === 'POST' ? { 'content-type': 'application/json' } : {},
            ),
            ...(method === 'PATCH' || method === 'POST' ? { body: '{"name":"renamed"}' } : {}),
          };
          const { response } = await fuzzRequest(request);
          const isPlainLookup =
            method === 'GET' &&
            suffix === '' &&
            (prefix.endsWith('/segment/jobs/') || prefix.endsWith('/segment/definitions/')) &&
            /^[\w-]+$/.test(id) &&
            id !== 'bulk-get';
          if (isPlainLookup && !pathIds.includes(id.replace(/%2D/g, '-'))) {
            expect(response.status, request.path).toBe(404);
          }
        },
      ),
      runs(250),
    );
  });

  it('refuses a request head over the 16 KB node:http accepts with 431, and keeps serving', async () => {
    // node:http answers this before the service sees the request, so it carries no JSON body;
    // ids up to 8,000 characters (above) reach the service and get its documented answers.
    const response = await send(target, {
      method: 'GET',
      path: `${API}/segment/jobs/${'a'.repeat(20_000)}`,
      headers: withTenant(PATH_TENANT),
    });
    expect(response.status).toBe(431);
    await expectAlive();
  });

  // -------------------------------------------------------------------------------------------

  /** Header values Node's client accepts (no CR/LF, nothing above U+00FF). */
  const headerText = fc
    .string({
      unit: fc.oneof(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }), trickyChar),
      maxLength: 40,
    })
    .filter((value) => {
      try {
        validateHeaderValue('x-probe', value);
        return true;
      } catch {
        return false;
      }
    });
  const optionalHeader = (valid: fc.Arbitrary<string>) =>
    fc.option(
      fc.oneof(
        { weight: 4, arbitrary: valid },
        { weight: 2, arbitrary: headerText },
        {
          weight: 1,
          arbitrary: fc.constantFrom('x'.repeat(256), 'x'.repeat(257), 'x'.repeat(5_000)),
        },
      ),
      { freq: 6 },
    );

  it('answers any credential and request-id headers with data or Adobe-shaped auth errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          authorization: optionalHeader(
            fc.constantFrom('Bearer t', 'bearer   t', 'Bearer', 'Basic abc', 'Bearer  \t'),
          ),
          'x-api-key': optionalHeader(fc.constantFrom('key', ' ')),
          'x-gw-ims-org-id': optionalHeader(
            fc.constantFrom('FUZZHDR@AdobeOrg', '__proto__', 'constructor'),
          ),
          'x-sandbox-name': optionalHeader(fc.constantFrom('prod', 'dev')),
          'x-request-id': optionalHeader(
            fc.constantFrom('req-1', 'x'.repeat(128), 'x'.repeat(129)),
          ),
        }),
        fc.boolean(),
        async (chosen, isBulkGet) => {
          const headers: OutgoingHttpHeaders = {};
          for (const [name, value] of Object.entries(chosen))
            if (value !== null) headers[name] = value;
          const request: RawRequest = isBulkGet
            ? {
                method: 'POST',
                path: `${API}/segment/jobs/bulk-get`,
                headers: { ...headers, 'content-type': 'application/json' },
                body: JSON.stringify({ ids: [{ id: [...body.jobIds][0] ?? 'x' }] }),
              }
            : { method: 'GET', path: `${API}/segment/jobs?limit=1`, headers };
          const { response } = await fuzzRequest(request);
          // A bulk-get of another tenant's job knows no id: a 404 for the whole request.
          expect([200, 207, 400, 401, 403, ...(isBulkGet ? [404] : [])]).toContain(response.status);
          if (response.status === 401 || response.status === 403) {
            expect(parseJson(response.text, 'auth error')).toHaveProperty('error_code');
          }
          // Node trims spaces and tabs around header values before the service sees them.
          const sentId = chosen['x-request-id']?.replace(/^[ \t]+|[ \t]+$/g, '');
          const answeredId = response.headers['x-request-id'];
          if (sentId !== undefined && REQUEST_ID.test(sentId)) expect(answeredId).toBe(sentId);
          else expect(answeredId).toMatch(UUID);
        },
      ),
      runs(200),
    );
  });

  // -------------------------------------------------------------------------------------------

  const fieldName = fc.oneof(
    fc.constantFrom(
      'n',
      'home',
      'country',
      'name',
      'tags',
      'length',
      'constructor',
      '__proto__',
      'identityMap',
    ),
    anyText,
  );
  const textToken = fc.oneof(
    fc.constantFrom(
      'n',
      'home.country',
      'name',
      'tags',
      '`odd name`',
      '`',
      'constructor',
      '__proto__.x',
      'tags.length',
      '=',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
      'and',
      'or',
      'not',
      '!',
      '(',
      ')',
      '[',
      ']',
      ',',
      '.',
      'in',
      'notIn',
      'like',
      'true',
      'false',
      'null',
      '.contains(',
      '.startsWith(',
      '.endsWith(',
      '.like(',
      '.exists()',
      '.isNull()',
      '.isNotNull()',
      '"US"',
      '"%a_"',
      '"\\"',
      '"\\u0000"',
      '"unterminated',
      '1',
      '-1.5',
      '2e3',
      '1e400',
      '-0',
      'NaN',
      'Infinity',
      '0x10',
    ),
    anyText.map((text) => JSON.stringify(text)),
    fc.integer().map(String),
  );
  const pqlText = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.array(textToken, { maxLength: 14 }).map((tokens) => tokens.join(' ')),
    },
    { weight: 2, arbitrary: anyText },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(150, 199, 200, 201, 5_000), fc.constantFrom('(', 'not(', '!('))
        .map(([depth, open]) => `${open.repeat(depth)}n = 1${')'.repeat(depth)}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 30, max: 40 })
        .map((count) => Array.from({ length: count }, () => 'a').join('.')),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 3_000 })
        .map((count) => Array.from({ length: count }, (_, i) => `n = ${i}`).join(' or ')),
    },
  );
  const { node: pqlJsonNode } = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('literal'),
      tie('lookup'),
      tie('reference'),
      tie('call'),
      anyJson,
    ),
    literal: fc.record(
      {
        nodeType: fc.constant('literal'),
        literalType: fc.oneof(
          fc.constantFrom('String', 'Integer', 'Double', 'Boolean', 'List'),
          anyText,
        ),
        value: fc.oneof(
          anyJson,
          fc.array(
            fc.oneof(
              anyJson,
              fc.record({
                nodeType: fc.constant('literal'),
                literalType: fc.constantFrom('String', 'Integer', 'List'),
                value: anyJson,
              }),
            ),
            { maxLength: 4 },
          ),
        ),
      },
      { requiredKeys: ['nodeType'] },
    ),
    lookup: fc.record(
      { nodeType: fc.constant('fieldLookup'), fieldName: maybe(fieldName), object: tie('node') },
      { requiredKeys: ['nodeType'] },
    ),
    reference: fc.record({
      nodeType: fc.constant('parameterReference'),
      position: fc.oneof(fc.constant(1), anyJson),
    }),
    call: fc.record(
      {
        nodeType: fc.constant('fnApply'),
        fnName: fc.oneof(fc.constantFrom(...PQL_FUNCTION_NAMES), anyText),
        params: fc.oneof(fc.array(tie('node'), { maxLength: 4 }), anyJson),
      },
      { requiredKeys: ['nodeType'] },
    ),
  }));
  const pqlJson = fc.oneof(
    { weight: 6, arbitrary: pqlJsonNode.map((node) => JSON.stringify(node)) },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: deepJson },
  );
  let pqlNameCounter = 0;

  it('compiles or refuses any PQL with 400, storing exactly what compiled', async () => {
    const pqlHeaders = withTenant(PQL_TENANT, { 'content-type': 'application/json' });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          pqlText.map((value) => ({ format: 'pql/text', value })),
          pqlJson.map((value) => ({ format: 'pql/json', value })),
        ),
        fc.option(fc.constant('PQL'), { freq: 3 }),
        async (expression, type) => {
          pqlNameCounter += 1;
          const request: RawRequest = {
            method: 'POST',
            path: `${API}/segment/definitions`,
            headers: pqlHeaders,
            body: JSON.stringify({
              name: `pql ${pqlNameCounter}`,
              expression: type === null ? expression : { type, ...expression },
            }),
          };
          const { response, json } = await fuzzRequest(request);
          const isTooLong = expression.value.length > 100_000 || expression.value.length === 0;
          expect(isTooLong ? [400] : [200, 400], expression.value.slice(0, 200)).toContain(
            response.status,
          );
          if (response.status !== 200 || !isRecord(json)) return;
          const id = String(json.id);
          pqlDefinitions.set(id, expression);
          const stored = await fuzzRequest({
            method: 'GET',
            path: `${API}/segment/definitions/${id}`,
            headers: pqlHeaders,
          });
          expect((stored.json as DefinitionView).expression).toEqual({
            type: 'PQL',
            ...expression,
          });
        },
      ),
      runs(400),
    );
  });

  it('runs a job over every definition that compiled, against fuzzed profiles, to SUCCEEDED', async () => {
    const client = createClient(running.baseUrl, PQL_TENANT);
    const profileFields = fc.dictionary(fc.oneof(fieldName, pollutingKey), anyJson, { maxKeys: 6 });
    const fields = fc.sample(profileFields, {
      numRuns: 200,
      ...(SEED === undefined ? {} : { seed: SEED }),
    });
    // Namespaces named like Object.prototype members must be counted like any other.
    const namespaces = ['ECID', 'Email', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const profiles = fields.map((extra, index) => ({
      ...extra,
      identityMap: {
        [namespaces[index % namespaces.length] as string]: [{ id: `pql-${index}` }],
        ...(index % 3 === 0 ? { constructor: [{ id: `c-${index}` }] } : {}),
      },
    }));
    const loaded = await client.post<{ totalProfiles: number }>(running.profilesUrl, { profiles });
    expect(loaded.status, loaded.text.slice(0, 300)).toBe(200);
    const total = loaded.body.totalProfiles;
    expect(pqlDefinitions.size).toBeGreaterThan(0);
    const created = await client.post<JobView>('/segment/jobs', {
      schema: { name: '_xdm.context.profile' },
      segments: [{ segmentId: '*' }],
    });
    expect(created.status).toBe(200);
    const job = await waitFor(async () => {
      const { body: current } = await client.get<JobView>(`/segment/jobs/${created.body.id}`);
      return FINAL.has(current.status) ? current : undefined;
    }, 'the job over the fuzzed definitions to end');
    expect(job.errors ?? [], JSON.stringify(job.errors)).toEqual([]);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.metrics.totalProfiles).toBe(total);
    const counted = job.metrics.segmentedProfileCounter ?? {};
    expect(Object.keys(counted).sort()).toEqual([...pqlDefinitions.keys()].sort());
    for (const members of Object.values(counted)) expect(members).toBeLessThanOrEqual(total);
    expectCountedMetrics(job);
  });

  // -------------------------------------------------------------------------------------------

  type BulkEntry =
    | { kind: 'known'; pad: string }
    | { kind: 'text'; id: string }
    | { kind: 'raw'; value: unknown };

  const bulkEntry: fc.Arbitrary<BulkEntry> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constantFrom('', '', ' ', '\t', '\u00a0')
        .map((pad) => ({ kind: 'known' as const, pad })),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(anyText, pollutingKey, fc.constantFrom('', ' ', 'x'.repeat(256), 'x'.repeat(257)))
        .map((id) => ({ kind: 'text' as const, id })),
    },
    { weight: 1, arbitrary: anyJson.map((value) => ({ kind: 'raw' as const, value })) },
  );

  it('answers any bulk-get id list with one entry per distinct id, a 404 when none is known, or a 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('jobs', 'definitions'),
        fc.oneof(
          { weight: 8, arbitrary: fc.array(bulkEntry, { maxLength: 12 }) },
          { weight: 1, arbitrary: fc.array(bulkEntry, { minLength: 99, maxLength: 105 }) },
        ),
        fc.nat(),
        async (kind, entries, pick) => {
          const knownIds = kind === 'jobs' ? [...body.jobIds] : [...body.definitionIds];
          const ids: unknown[] = entries.map((entry, index) => {
            if (entry.kind === 'known') {
              const id = knownIds[(pick + index) % knownIds.length] as string;
              return { id: `${entry.pad}${id}${entry.pad}` };
            }
            if (entry.kind === 'text') return { id: entry.id };
            return entry.value;
          });
          const request: RawRequest = {
            method: 'POST',
            path: `${API}/segment/${kind}/bulk-get`,
            headers: withTenant(BODY_TENANT, { 'content-type': 'application/json' }),
            body: JSON.stringify({ ids }),
          };
          const { response, json } = await fuzzRequest(request);
          const wanted = ids.map((entry) =>
            isRecord(entry) && typeof entry.id === 'string' ? entry.id.trim() : undefined,
          );
          const isValid =
            ids.length >= 1 &&
            ids.length <= 100 &&
            wanted.every((id) => id !== undefined && id.length >= 1 && id.length <= 256);
          const distinct = new Set(wanted as string[]);
          // No known id at all: one 404 for the whole request (docs/embedded-service.md).
          const isAnyKnown = [...distinct].some((id) => knownIds.includes(id));
          const expected = !isValid ? 400 : isAnyKnown ? 207 : 404;
          expect(response.status, response.text.slice(0, 300)).toBe(expected);
          if (expected !== 207 || !isRecord(json)) return;
          const results = json.results as Record<string, unknown>;
          expect(Object.keys(results).sort()).toEqual([...distinct].sort());
          for (const id of distinct) {
            const entry = Object.hasOwn(results, id) ? results[id] : undefined;
            expect(isRecord(entry), `entry for ${JSON.stringify(id)}`).toBe(true);
            if (!isRecord(entry)) continue;
            expect(entry.id).toBe(id);
            if (knownIds.includes(id)) expect(entry).not.toHaveProperty('error');
            else expect(entry.error).toMatchObject({ status: 404, code: 'UPAPI-1404-404' });
          }
        },
      ),
      runs(200),
    );
  });

  // -------------------------------------------------------------------------------------------

  it('keeps the stored data consistent with what the fuzzing was told succeeded', async () => {
    const jobs = await waitFor(async () => {
      const all: JobView[] = [];
      for (let start = 0; ; start += 100) {
        const page = await bodyClient.get<{ _page: { totalCount: number }; children: JobView[] }>(
          `/segment/jobs?limit=100&start=${start}`,
        );
        expect(page.status).toBe(200);
        all.push(...page.body.children);
        if (page.body.children.length === 0 || all.length >= page.body._page.totalCount) break;
      }
      return all.every((job) => FINAL.has(job.status)) ? all : undefined;
    }, 'every fuzzed job to end');
    expect(jobs.map((job) => job.id).sort()).toEqual([...body.jobIds].sort());
    // Only creates that named existing definitions succeeded, and no definition was deleted.
    for (const job of jobs) {
      expect(job.status, JSON.stringify(job.errors)).toBe('SUCCEEDED');
      expectCountedMetrics(job);
    }

    const definitions: DefinitionView[] = [];
    for (let page = 0; ; page++) {
      const answer = await bodyClient.get<{
        segments: DefinitionView[];
        page: { totalCount: number };
      }>(`/segment/definitions?limit=100&page=${page}`);
      expect(answer.status).toBe(200);
      definitions.push(...answer.body.segments);
      if (answer.body.segments.length === 0 || definitions.length >= answer.body.page.totalCount)
        break;
    }
    expect(definitions.map((definition) => definition.id).sort()).toEqual(
      [...body.definitionIds].sort(),
    );

    const profiles = await bodyClient.get<{ totalProfiles: number }>(running.profilesUrl);
    expect(profiles.body.totalProfiles).toBe(body.totalProfiles);

    // Every listed document reads back the same way, one by one and in bulk.
    for (const definition of definitions) {
      const one = await bodyClient.get(`/segment/definitions/${definition.id}`);
      expect(one.body).toEqual(definition);
    }
    for (let offset = 0; offset < jobs.length; offset += 100) {
      const slice = jobs.slice(offset, offset + 100);
      const bulk = await bodyClient.post<{ results: Record<string, JobView> }>(
        '/segment/jobs/bulk-get',
        {
          ids: slice.map((job) => ({ id: job.id })),
        },
      );
      expect(bulk.status).toBe(207);
      for (const job of slice) expect(bulk.body.results[job.id]).toEqual(job);
    }

    // The path-fuzzed tenant: whatever was cancelled or deleted, what is listed can be read.
    const pathClient = createClient(running.baseUrl, PATH_TENANT);
    const pathJobs = await pathClient.get<{ children: JobView[] }>('/segment/jobs?limit=100');
    expect(pathJobs.status).toBe(200);
    for (const job of pathJobs.body.children) {
      expect((await pathClient.get(`/segment/jobs/${job.id}`)).status).toBe(200);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
