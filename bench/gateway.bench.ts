// Gateway HTTP throughput for one 20-job page against a plain node:http ceiling and against the
// embedded service itself, the upstream calls a batch of lookups costs, and the gateway before
// and after its levers (compiled execution, final-job cache, young generation) for a page, a final
// job by id and 30 lookups. Servers run in forked
// processes (embedded service + gateway + ceiling in one, as `npm start` runs them; a second
// gateway alone); autocannon and the checks run here. Loopback only; every run is time-bounded.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import {
  type ProfilePhase,
  phaseShares,
  profileRows,
  readCpuProfile,
  summarizeCpuProfile,
} from './support/cpu-profile.ts';
import { createJobs, DEMO_HEADERS, jobStatuses, waitUntilFinal } from './support/embedded-rest.ts';
import { type HostProcess, startHost } from './support/host-process.ts';
import { answeredCalls, callKey } from './support/host-protocol.ts';
import { formatInt, formatMs, formatPercent } from './support/measure.ts';
import { BENCH_GATEWAY_KEY, serviceModeEnv } from './support/service-mode-env.ts';

const SEED_JOBS = 250;
const PAGE_SIZE = 20;
const CONNECTIONS = 50;
const WARM_UP_SECONDS = 2;
const MEASURE_SECONDS = 8;
const PROFILE_SECONDS = 4;
/** The share of the ceiling the gateway should reach. */
const GOAL_RATIO = 0.05;
const BATCH_SIZES = [1, 10, 100, 250] as const;
const BULK_GET_PATH = callKey('POST', '/segment/jobs/bulk-get');

/**
 * Production settings, except: jobs that finish at once, a small demo profile store, the
 * alias and token limits raised for the batching table, which sends up to 250 `segmentJob`
 * aliases in one operation, and no final-job cache. The page query runs within the default
 * limits.
 */
const HOST_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  EMULATOR_STEP_MS: '1',
  EMULATOR_DEMO_PROFILES: '2000',
  EMULATOR_MAX_ACTIVE_JOBS: '1000',
  GRAPHQL_MAX_ALIASES: '300',
  GRAPHQL_MAX_TOKENS: '20000',
  // The batching table counts how the per-request loader groups lookups into bulk-gets; with
  // the final-job cache on, every lookup after the first of a job would cost no call at all.
  FINAL_JOB_CACHE_SIZE: '0',
};

const ALONE_HEADERS = { 'x-gateway-key': BENCH_GATEWAY_KEY };

/** The fields of each job: the page's, and every other workload's, so all answer one job shape. */
const JOB_FIELDS = `id
  status
  isFinal
  allSegments
  imsOrgId
  schemaName
  creationTime
  updateTime
  sandbox { sandboxName }
  segments { id }
  errors { code message }
  metrics {
    totalProfiles
    totalTime { totalTimeInMs }
    segments { segmentId qualified }
  }`;
const PAGE_QUERY = `query JobsPage($first: Int!) {
  segmentJobs(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
  ${JOB_FIELDS}
      }
    }
  }
}`;

interface Target {
  name: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** What one answer must be, checked before and after the load (not during: that costs the load generator). */
  expectBody: string;
  /** The server processes doing the work; the first one is where upstream calls are counted. */
  hosts: HostProcess[];
}

interface LoadResult {
  requestsPerSecond: number;
  /** Server CPU µs per request, per host of the target. */
  cpuPerRequest: number[];
  /** Answered upstream calls per request, counted in the target's first host. */
  upstreamCallsPerRequest: number;
  row: Record<string, string | number>;
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

function pageRequest(graphqlUrl: string, headers: Record<string, string> = {}) {
  return {
    url: graphqlUrl,
    method: 'POST' as const,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ query: PAGE_QUERY, variables: { first: PAGE_SIZE } }),
  };
}

async function fetchText(request: {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}): Promise<string> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const text = await response.text();
  // 207: the embedded service's bulk-get.
  if (response.status !== 200 && response.status !== 207) {
    throw new Error(`expected 200 or 207 from ${request.url}, but got ${response.status}: ${text}`);
  }
  return text;
}

/** Checks a gateway page holds 20 jobs and no errors; returns its bytes. */
async function gatewayPage(
  graphqlUrl: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const text = await fetchText(pageRequest(graphqlUrl, headers));
  const json = JSON.parse(text) as {
    errors?: unknown[];
    data?: { segmentJobs?: { edges?: unknown[] } };
  };
  const edges = json.data?.segmentJobs?.edges?.length ?? 0;
  if (json.errors !== undefined || edges !== PAGE_SIZE) {
    throw new Error(
      `expected a page of ${PAGE_SIZE} jobs and no errors, but got ${edges} jobs: ${text.slice(0, 500)}`,
    );
  }
  return text;
}

async function cpuMicros(hosts: readonly HostProcess[]): Promise<number[]> {
  return Promise.all(hosts.map(async (host) => (await host.call('stats')).cpuMicros));
}

async function expectSameAnswer(target: Target): Promise<void> {
  const text = await fetchText(target);
  if (text !== target.expectBody) {
    throw new Error(
      `expected ${target.name} to answer the same bytes after the load, but it changed`,
    );
  }
}

async function load(
  target: Target,
  { warmUpSeconds = WARM_UP_SECONDS, measureSeconds = MEASURE_SECONDS } = {},
): Promise<LoadResult> {
  const options = {
    url: target.url,
    method: target.method,
    headers: target.headers,
    connections: CONNECTIONS,
    ...(target.body === undefined ? {} : { body: target.body }),
  };
  await expectSameAnswer(target);
  await autocannon({ ...options, duration: warmUpSeconds });
  const [counted] = target.hosts;
  await counted?.call('resetCalls', { record: false });
  const before = await cpuMicros(target.hosts);
  const result = await autocannon({ ...options, duration: measureSeconds });
  const after = await cpuMicros(target.hosts);
  const counts = counted === undefined ? {} : (await counted.call('calls')).counts;
  await expectSameAnswer(target);
  const completed = result.requests.total;
  const cpuPerRequest = target.hosts.map(
    (_, index) => ((after[index] ?? 0) - (before[index] ?? 0)) / completed,
  );
  const perRequest = (index: number) => formatInt(cpuPerRequest[index] ?? 0);
  const requestsPerSecond = completed / result.duration;
  const upstreamCallsPerRequest = answeredCalls(counts) / completed;
  return {
    requestsPerSecond,
    cpuPerRequest,
    upstreamCallsPerRequest,
    row: {
      target: target.name,
      'req/s': formatInt(requestsPerSecond),
      'p50 ms': formatMs(result.latency.p50),
      'p99 ms': formatMs(result.latency.p99),
      'body bytes': formatInt(Buffer.byteLength(target.expectBody)),
      'server CPU µs/req': target.hosts.map((_, index) => perRequest(index)).join(' + '),
      'upstream calls/req': upstreamCallsPerRequest.toFixed(2),
      'errors, non-2xx': result.errors + result.non2xx,
    },
  };
}

interface Hosts {
  /** Embedded service + gateway + ceiling in one process. */
  together: HostProcess;
  /** The gateway alone, over the embedded service of `together`. */
  alone: HostProcess;
}

function ratioRow(name: string, ratio: number, goal?: number) {
  return {
    ratio: name,
    value: formatPercent(ratio),
    goal: goal === undefined ? '' : `≥ ${formatPercent(goal)}`,
    met: goal === undefined ? '' : ratio >= goal ? 'yes' : 'NO',
  };
}

async function measureThroughput(hosts: Hosts): Promise<number> {
  const { graphqlUrl, upstreamBaseUrl, ceilingUrl } = hosts.together.info;
  const aloneUrl = hosts.alone.info.graphqlUrl;
  if (
    graphqlUrl === undefined ||
    upstreamBaseUrl === undefined ||
    ceilingUrl === undefined ||
    aloneUrl === undefined
  ) {
    throw new Error('expected the gateways, the embedded service and the ceiling to run');
  }
  const gatewayBody = await gatewayPage(graphqlUrl);
  await hosts.together.call('setCeiling', { body: gatewayBody, contentType: 'application/json' });
  const embeddedRequest = {
    url: `${upstreamBaseUrl}/segment/jobs?limit=${PAGE_SIZE}`,
    method: 'GET' as const,
    headers: { ...DEMO_HEADERS },
  };
  const targets: Target[] = [
    {
      name: '(i) ceiling: node:http, same bytes',
      ...pageRequest(ceilingUrl),
      expectBody: gatewayBody,
      hosts: [hosts.together],
    },
    {
      name: '(ii) embedded: GET /segment/jobs?limit=20',
      ...embeddedRequest,
      expectBody: await fetchText(embeddedRequest),
      hosts: [hosts.together],
    },
    {
      name: '(iii) gateway: segmentJobs(first: 20), one process with the embedded service',
      ...pageRequest(graphqlUrl),
      expectBody: gatewayBody,
      hosts: [hosts.together],
    },
    {
      name: '(iii-b) the same, gateway process + embedded-service process',
      ...pageRequest(aloneUrl, ALONE_HEADERS),
      expectBody: await gatewayPage(aloneUrl, ALONE_HEADERS),
      hosts: [hosts.alone, hosts.together],
    },
  ];
  const results: LoadResult[] = [];
  for (const target of targets) results.push(await load(target));
  console.log(
    `${CONNECTIONS} connections, ${WARM_UP_SECONDS} s warm-up then ${MEASURE_SECONDS} s measured per row. Server CPU: per server process involved (for (iii-b): gateway + embedded service).`,
  );
  console.table(results.map((result) => result.row));
  const [ceiling = 1, embedded = 1, together = 0, alone = 0] = results.map(
    (result) => result.requestsPerSecond,
  );
  console.table([
    ratioRow('(iii) / (i)    gateway vs ceiling', together / ceiling, GOAL_RATIO),
    ratioRow('(iii) / (ii)   gateway vs embedded', together / embedded),
    ratioRow('(iii-b) / (i)  gateway vs ceiling', alone / ceiling, GOAL_RATIO),
    ratioRow('(iii-b) / (ii) gateway vs embedded', alone / embedded),
  ]);
  return Math.max(together, alone) / ceiling;
}

function aliasQuery(ids: readonly string[]): { query: string; variables: Record<string, unknown> } {
  const fields = ids.map(
    (id, index) => `j${index}: segmentJob(id: ${JSON.stringify(id)}) { id status }`,
  );
  return { query: `query Lookups {\n${fields.join('\n')}\n}`, variables: {} };
}

function byIdsQuery(ids: readonly string[]): { query: string; variables: Record<string, unknown> } {
  const chunks: string[][] = [];
  for (let first = 0; first < ids.length; first += 100) chunks.push(ids.slice(first, first + 100));
  const declarations = chunks.map((_, index) => `$c${index}: [ID!]!`).join(', ');
  const fields = chunks.map(
    (_, index) => `c${index}: segmentJobsByIds(ids: $c${index}) { id status }`,
  );
  return {
    query: `query LookupsByIds(${declarations}) {\n${fields.join('\n')}\n}`,
    variables: Object.fromEntries(chunks.map((chunk, index) => [`c${index}`, chunk])),
  };
}

/** Jobs found in a lookup answer: every non-null `{ id }` at depth one or two. */
function countFound(data: Record<string, unknown>): number {
  let found = 0;
  for (const value of Object.values(data)) {
    const items = Array.isArray(value) ? value : [value];
    found += items.filter((item) => item !== null && typeof item === 'object').length;
  }
  return found;
}

async function measureBatching(host: HostProcess, jobIds: readonly string[]): Promise<void> {
  const graphqlUrl = host.info.graphqlUrl as string;
  const rows = [];
  for (const size of BATCH_SIZES) {
    const ids = jobIds.slice(0, size);
    for (const [form, operation, aliases] of [
      ['segmentJob aliases', aliasQuery(ids), size],
      ['segmentJobsByIds, ≤100 ids each', byIdsQuery(ids), Math.ceil(size / 100)],
    ] as const) {
      await host.call('resetCalls', { record: false });
      const text = await fetchText({
        url: graphqlUrl,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(operation),
      });
      const json = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
      const { counts } = await host.call('calls');
      const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
      const bulkGets = counts[BULK_GET_PATH] ?? 0;
      const expected = Math.ceil(size / 100);
      const found = json.data === undefined ? 0 : countFound(json.data);
      rows.push({
        K: size,
        form,
        aliases,
        'jobs returned': found,
        'upstream calls': total,
        'bulk-gets': bulkGets,
        'expected ceil(K/100)': expected,
        ok: json.errors === undefined && found === size && total === expected ? 'yes' : 'NO',
      });
    }
  }
  console.log(
    `\nBatching: upstream calls for K lookups in one operation (GRAPHQL_MAX_ALIASES raised to ${HOST_ENV.GRAPHQL_MAX_ALIASES} and GRAPHQL_MAX_TOKENS to ${HOST_ENV.GRAPHQL_MAX_TOKENS} for the alias form; the default allows 15 aliases)`,
  );
  console.table(rows);
  if (rows.some((row) => row.ok !== 'yes')) process.exitCode = 1;
}

const JOB_QUERY = `query Job($id: ID!) {\n  segmentJob(id: $id) {\n  ${JOB_FIELDS}\n  }\n}`;
const BY_IDS_QUERY = `query Jobs($ids: [ID!]!) {\n  segmentJobsByIds(ids: $ids) {\n  ${JOB_FIELDS}\n  }\n}`;
const LOOKUPS = 30;
/** Shorter rows than the throughput table, so that the whole bench stays within minutes. */
const COMPARE_WARM_UP_SECONDS = 2;
const COMPARE_MEASURE_SECONDS = 5;
/**
 * `BENCH_COMPARE_ROUNDS`: rounds of before then after per workload, each row the median round
 * (as the levers table): one short row of a process that has just started drifts with the
 * machine by more than the levers' effect.
 */
const COMPARE_ROUNDS = Number(process.env.BENCH_COMPARE_ROUNDS ?? 3);
/** Targets: gateway CPU per 20-job page after ≤ this share of before … */
const PAGE_CPU_GOAL = 0.5;
/** … and req/s for a final job by id, cache warm, ≥ this multiple of before, with 0 upstream calls. */
const FINAL_BY_ID_RPS_GOAL = 2;

/**
 * The gateway before (every lever off: interpreted execution, no final-job cache, V8's default
 * young generation) and after (the defaults, with the young generation `npm start` sets).
 */
const BEFORE_AFTER = [
  {
    name: 'before',
    label: 'gateway before (GRAPHQL_JIT=off, FINAL_JOB_CACHE_SIZE=0)',
    env: { GRAPHQL_JIT: 'off', FINAL_JOB_CACHE_SIZE: '0' },
    nodeFlags: [] as string[],
  },
  {
    name: 'after',
    label: 'gateway after (defaults, --max-semi-space-size=32)',
    env: {} as Record<string, string>,
    nodeFlags: ['--max-semi-space-size=32'],
  },
] as const;

interface Workload {
  name: string;
  /** The GraphQL request (variables included). */
  operation: { query: string; variables: Record<string, unknown> };
  /** The embedded service's REST request for the same jobs. */
  rest: { path: string; method: 'GET' | 'POST'; body?: string; label: string };
  /** Checks a gateway answer holds the expected jobs and no errors. */
  check(json: { data?: Record<string, unknown> | null; errors?: unknown[] }): boolean;
}

function workloads(successIds: readonly string[]): Workload[] {
  const [single] = successIds;
  const lookups = successIds.slice(0, LOOKUPS);
  if (single === undefined || lookups.length < LOOKUPS) {
    throw new Error(`expected ${LOOKUPS} SUCCEEDED jobs, but got ${successIds.length}`);
  }
  return [
    {
      name: `page: segmentJobs(first: ${PAGE_SIZE})`,
      operation: { query: PAGE_QUERY, variables: { first: PAGE_SIZE } },
      rest: {
        path: `/segment/jobs?limit=${PAGE_SIZE}`,
        method: 'GET',
        label: `GET /segment/jobs?limit=${PAGE_SIZE}`,
      },
      check: (json) =>
        (json.data?.segmentJobs as { edges?: unknown[] } | undefined)?.edges?.length === PAGE_SIZE,
    },
    {
      name: 'final job by id: segmentJob(id), SUCCEEDED',
      operation: { query: JOB_QUERY, variables: { id: single } },
      rest: { path: `/segment/jobs/${single}`, method: 'GET', label: 'GET /segment/jobs/{id}' },
      check: (json) =>
        (json.data?.segmentJob as { status?: string } | null)?.status === 'SUCCEEDED',
    },
    {
      name: `${LOOKUPS} lookups: segmentJobsByIds(${LOOKUPS} final ids)`,
      operation: { query: BY_IDS_QUERY, variables: { ids: lookups } },
      rest: {
        path: '/segment/jobs/bulk-get',
        method: 'POST',
        label: `POST /segment/jobs/bulk-get (${LOOKUPS} ids)`,
        body: JSON.stringify({ ids: lookups.map((id) => ({ id })) }),
      },
      check: (json) => {
        const jobs = json.data?.segmentJobsByIds;
        return Array.isArray(jobs) && jobs.filter((job) => job !== null).length === LOOKUPS;
      },
    },
  ];
}

/** The ids of SUCCEEDED jobs among `jobIds`. */
async function succeededIds(baseUrl: string, jobIds: readonly string[]): Promise<string[]> {
  const statuses = await jobStatuses(baseUrl, jobIds);
  return jobIds.filter((id) => statuses.get(id) === 'SUCCEEDED');
}

/** The gateway's answer to `workload`, checked; its bytes. */
async function gatewayAnswer(url: string, workload: Workload): Promise<string> {
  const text = await fetchText({
    url,
    method: 'POST',
    headers: { ...JSON_HEADERS, ...ALONE_HEADERS },
    body: JSON.stringify(workload.operation),
  });
  const json = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  if (json.errors !== undefined || !workload.check(json)) {
    throw new Error(
      `expected ${workload.name} to answer its jobs and no errors: ${text.slice(0, 500)}`,
    );
  }
  return text;
}

/** The round whose first host's CPU per request is the median of `runs` (the lower middle one). */
function medianRun(runs: readonly LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => (a.cpuPerRequest[0] ?? 0) - (b.cpuPerRequest[0] ?? 0));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error('expected at least one measured round');
  return median;
}

/**
 * Before and after side by side with the node:http ceiling (the after answer's bytes) and the
 * embedded service's REST answer for the same jobs, for three workloads; then the target ratios.
 */
async function measureBeforeAfter(together: HostProcess, jobIds: readonly string[]): Promise<void> {
  const baseUrl = together.info.upstreamBaseUrl as string;
  const ceilingUrl = together.info.ceilingUrl as string;
  const ids = await succeededIds(baseUrl, jobIds);
  const gateways: HostProcess[] = [];
  const rows: Record<string, string | number>[] = [];
  const results = new Map<string, LoadResult>();
  const durations = {
    warmUpSeconds: COMPARE_WARM_UP_SECONDS,
    measureSeconds: COMPARE_MEASURE_SECONDS,
  };
  try {
    for (const side of BEFORE_AFTER) {
      // A gateway process alone, as (iii-b), over the embedded service of `together`.
      // HOST_ENV turns the final-job cache off for the batching table; here only `before` does.
      const env = Object.fromEntries(
        Object.entries(HOST_ENV).filter(([key]) => key !== 'FINAL_JOB_CACHE_SIZE'),
      );
      gateways.push(
        await startHost(
          {
            env: { ...env, ...serviceModeEnv(baseUrl), ...side.env },
            embedded: false,
            gateway: true,
            ceiling: false,
          },
          { nodeFlags: side.nodeFlags },
        ),
      );
    }
    for (const workload of workloads(ids)) {
      const bodies = await Promise.all(
        gateways.map((gateway) => gatewayAnswer(gateway.info.graphqlUrl as string, workload)),
      );
      const [body = ''] = bodies;
      // Every lever answers the same bytes, or it is not a lever but a change.
      if (bodies.some((other) => other !== body)) {
        throw new Error(`expected before and after to answer ${workload.name} with the same bytes`);
      }
      await together.call('setCeiling', { body, contentType: 'application/json' });
      const restRequest = {
        url: `${baseUrl}${workload.rest.path}`,
        method: workload.rest.method,
        headers:
          workload.rest.body === undefined
            ? { ...DEMO_HEADERS }
            : { ...DEMO_HEADERS, 'content-type': 'application/json' },
        ...(workload.rest.body === undefined ? {} : { body: workload.rest.body }),
      };
      const graphqlRequest = (gateway: HostProcess) => ({
        url: gateway.info.graphqlUrl as string,
        method: 'POST' as const,
        headers: { ...JSON_HEADERS, ...ALONE_HEADERS },
        body: JSON.stringify(workload.operation),
      });
      const targets: [string, Target][] = [
        [
          'ceiling',
          {
            name: 'node:http ceiling, same bytes',
            ...pageRequest(ceilingUrl),
            expectBody: body,
            hosts: [together],
          },
        ],
        [
          'embedded',
          {
            name: `embedded REST: ${workload.rest.label}`,
            ...restRequest,
            expectBody: await fetchText(restRequest),
            hosts: [together],
          },
        ],
        ...BEFORE_AFTER.map((side, index): [string, Target] => {
          const gateway = gateways[index] as HostProcess;
          return [
            side.name,
            {
              name: side.label,
              ...graphqlRequest(gateway),
              expectBody: body,
              // The gateway first: its upstream calls are counted.
              hosts: [gateway, together],
            },
          ];
        }),
      ];
      const measured = new Map<string, LoadResult[]>();
      const measure = async (key: string, target: Target) => {
        const runs = measured.get(key) ?? [];
        runs.push(await load(target, durations));
        measured.set(key, runs);
      };
      for (const [key, target] of targets.slice(0, 2)) await measure(key, target);
      for (let round = 0; round < COMPARE_ROUNDS; round++) {
        for (const [key, target] of targets.slice(2)) await measure(key, target);
      }
      for (const [key, target] of targets) {
        const runs = measured.get(key) ?? [];
        const result = medianRun(runs);
        results.set(`${workload.name}/${key}`, result);
        const gatewayRow = key === 'before' || key === 'after';
        rows.push({
          workload: workload.name,
          target: target.name,
          'CPU µs/req': gatewayRow
            ? `${formatInt(result.cpuPerRequest[0] ?? 0)} + ${formatInt(result.cpuPerRequest[1] ?? 0)} embedded`
            : formatInt(result.cpuPerRequest[0] ?? 0),
          'each round µs/req': gatewayRow
            ? runs.map((run) => formatInt(run.cpuPerRequest[0] ?? 0)).join(', ')
            : '',
          'req/s': result.row['req/s'] ?? '',
          'p99 ms': result.row['p99 ms'] ?? '',
          'upstream calls/req': gatewayRow ? (result.row['upstream calls/req'] ?? '') : '',
          'errors, non-2xx': runs.reduce(
            (sum, run) => sum + Number(run.row['errors, non-2xx'] ?? 0),
            0,
          ),
        });
      }
    }
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  }
  console.log(
    `\nBefore and after, side by side: each gateway process alone over the embedded service (as (iii-b)); before = GRAPHQL_JIT=off, FINAL_JOB_CACHE_SIZE=0, no --max-semi-space-size; after = defaults (JIT on, final-job cache on) with --max-semi-space-size=32 as \`npm start\`. ${CONNECTIONS} connections, ${COMPARE_WARM_UP_SECONDS} s warm-up (which also warms the cache) then ${COMPARE_MEASURE_SECONDS} s measured per row; the gateway rows alternate before and after over ${COMPARE_ROUNDS} rounds (BENCH_COMPARE_ROUNDS) and show the median round. CPU: the gateway process (+ the embedded service it calls) for gateway rows, the serving process otherwise. Same answer bytes checked before and after every row, and between before and after.`,
  );
  console.table(rows);
  const [page, single, lookups] = workloads(ids).map((workload) => ({
    before: results.get(`${workload.name}/before`),
    after: results.get(`${workload.name}/after`),
  }));
  const gatewayCpu = (result: LoadResult | undefined) => result?.cpuPerRequest[0] ?? Number.NaN;
  const callsPerRequest = (result: LoadResult | undefined) =>
    result?.upstreamCallsPerRequest ?? Number.NaN;
  const pageCpu = gatewayCpu(page?.after) / gatewayCpu(page?.before);
  const singleRps =
    (single?.after?.requestsPerSecond ?? 0) / (single?.before?.requestsPerSecond ?? 1);
  const singleCalls = callsPerRequest(single?.after);
  const lookupsRps =
    (lookups?.after?.requestsPerSecond ?? 0) / (lookups?.before?.requestsPerSecond ?? 1);
  const targetRows = [
    {
      ratio: `page: gateway CPU µs/req, after / before`,
      value: `${pageCpu.toFixed(2)}×`,
      target: `≤ ${PAGE_CPU_GOAL}×`,
      met: pageCpu <= PAGE_CPU_GOAL ? 'yes' : 'NO',
    },
    {
      ratio: 'final job by id, cache warm: req/s, after / before',
      value: `${singleRps.toFixed(2)}×`,
      target: `≥ ${FINAL_BY_ID_RPS_GOAL}×`,
      met: singleRps >= FINAL_BY_ID_RPS_GOAL ? 'yes' : 'NO',
    },
    {
      ratio: 'final job by id, cache warm: upstream calls/req, after',
      value: singleCalls.toFixed(2),
      target: '0',
      met: singleCalls === 0 ? 'yes' : 'NO',
    },
    {
      ratio: `${LOOKUPS} lookups: gateway CPU µs/req, after / before`,
      value: `${(gatewayCpu(lookups?.after) / gatewayCpu(lookups?.before)).toFixed(2)}×`,
      target: '',
      met: '',
    },
    {
      ratio: `${LOOKUPS} lookups: req/s, after / before`,
      value: `${lookupsRps.toFixed(2)}×`,
      target: '',
      met: '',
    },
  ];
  console.table(targetRows);
}

const PHASES: ProfilePhase[] = [
  {
    name: 'upstream answer: JSON.parse + validation',
    matches: (frame) =>
      (frame.functionName === 'readJson' && frame.url.includes('/src/upstream/')) ||
      frame.url.includes('/src/upstream/job-document'),
  },
  { name: 'upstream HTTP client (undici)', matches: (frame) => frame.url.includes('/undici/') },
  {
    name: 'operation log (pino)',
    matches: (frame) => frame.url.includes('/pino/') || frame.url.includes('operation-log'),
  },
  {
    name: 'result to JSON',
    matches: (frame) => frame.functionName === 'jsonStringifyResultWithoutInternals',
  },
  {
    name: 'GraphQL parse, validate, execute, resolvers',
    matches: (frame) =>
      frame.url.includes('/@graphql-tools/executor/') ||
      frame.url.includes('/node_modules/graphql/') ||
      frame.url.includes('/@pothos/') ||
      frame.url.includes('/src/schema/') ||
      frame.url.includes('/src/services/') ||
      frame.url.includes('/src/loaders/') ||
      frame.url.includes('/dataloader/'),
  },
  {
    name: 'HTTP server, yoga and whatwg-node plumbing',
    matches: (frame) =>
      frame.url.includes('/graphql-yoga/') ||
      frame.url.includes('/@whatwg-node/') ||
      frame.url.includes('/@envelop/') ||
      frame.url.includes('/src/server/') ||
      frame.url.startsWith('node:'),
  },
];

/** A short CPU profile of the gateway-only process under load: where its time goes. */
async function profileGateway(host: HostProcess): Promise<void> {
  const graphqlUrl = host.info.graphqlUrl as string;
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const path = join(dir, 'gateway.cpuprofile');
  try {
    await gatewayPage(graphqlUrl, ALONE_HEADERS);
    await host.call('cpuProfileStart');
    const result = await autocannon({
      ...pageRequest(graphqlUrl, ALONE_HEADERS),
      connections: CONNECTIONS,
      duration: PROFILE_SECONDS,
    });
    await host.call('cpuProfileStop', { path });
    const profile = readCpuProfile(path);
    const summary = summarizeCpuProfile(profile, 15);
    console.log(
      `\nCPU profile of the gateway process (iii-b), ${PROFILE_SECONDS} s of load at ${formatInt(result.requests.total / result.duration)} req/s: busy ${formatInt(summary.busyMs)} ms, idle ${formatInt(summary.idleMs)} ms. By phase (each sample goes to the innermost frame a phase claims):`,
    );
    console.table(profileRows(phaseShares(profile, PHASES)));
    console.log('Self time by area:');
    console.table(profileRows(summary.areas));
    console.log('Self time by function:');
    console.table(profileRows(summary.functions));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The CPU levers, one gateway-alone process each over the same embedded service (as (iii-b)):
 * compiled execution off and on, and the young generation sizes tried for `npm start`
 * (README "Performance"). Rounds alternate the levers so that drift of the machine hits them alike.
 */
const LEVERS: { name: string; env: Record<string, string>; nodeFlags: string[] }[] = [
  { name: 'GRAPHQL_JIT=off', env: { GRAPHQL_JIT: 'off' }, nodeFlags: [] },
  { name: 'GRAPHQL_JIT=on', env: { GRAPHQL_JIT: 'on' }, nodeFlags: [] },
  ...[16, 32, 64].map((size) => ({
    name: `GRAPHQL_JIT=on, --max-semi-space-size=${size}`,
    env: { GRAPHQL_JIT: 'on' },
    nodeFlags: [`--max-semi-space-size=${size}`],
  })),
];
/** `BENCH_LEVER_ROUNDS`: rounds over all levers; the table shows each lever's median. */
const LEVER_ROUNDS = Number(process.env.BENCH_LEVER_ROUNDS ?? 2);

async function measureLevers(together: HostProcess): Promise<void> {
  const baseUrl = together.info.upstreamBaseUrl as string;
  const samples = new Map<string, { gateway: number[]; embedded: number[]; rps: number[] }>();
  let expectBody: string | undefined;
  for (let round = 0; round < LEVER_ROUNDS; round++) {
    for (const lever of LEVERS) {
      const host = await startHost(
        {
          env: { ...HOST_ENV, ...serviceModeEnv(baseUrl), ...lever.env },
          embedded: false,
          gateway: true,
          ceiling: false,
        },
        { nodeFlags: lever.nodeFlags },
      );
      try {
        const url = host.info.graphqlUrl as string;
        const body = await gatewayPage(url, ALONE_HEADERS);
        // Every lever answers the same bytes, or it is not a lever but a change.
        expectBody ??= body;
        if (body !== expectBody) throw new Error(`expected ${lever.name} to answer the same bytes`);
        const result = await load({
          name: lever.name,
          ...pageRequest(url, ALONE_HEADERS),
          expectBody: body,
          hosts: [host, together],
        });
        const entry = samples.get(lever.name) ?? { gateway: [], embedded: [], rps: [] };
        entry.gateway.push(result.cpuPerRequest[0] ?? 0);
        entry.embedded.push(result.cpuPerRequest[1] ?? 0);
        entry.rps.push(result.requestsPerSecond);
        samples.set(lever.name, entry);
      } finally {
        await host.stop();
      }
    }
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  };
  const baseline = median(samples.get(LEVERS[0]?.name ?? '')?.gateway ?? [1]);
  console.log(
    `\nCPU levers: the gateway process alone (as (iii-b)) for segmentJobs(first: ${PAGE_SIZE}), medians of ${LEVER_ROUNDS} alternating round(s), ${MEASURE_SECONDS} s measured each; same answer bytes checked for every lever.`,
  );
  console.table(
    LEVERS.map((lever) => {
      const entry = samples.get(lever.name) ?? { gateway: [], embedded: [], rps: [] };
      const gateway = median(entry.gateway);
      return {
        lever: lever.name,
        'gateway CPU µs/req': formatInt(gateway),
        'vs JIT off': `${(gateway / baseline).toFixed(2)}×`,
        'each round µs/req': entry.gateway.map((value) => formatInt(value)).join(', '),
        'embedded CPU µs/req': formatInt(median(entry.embedded)),
        'req/s': formatInt(median(entry.rps)),
      };
    }),
  );
}

/**
 * Prints the throughput table, the ratios, the batching table, before and after side by side and
 * the CPU levers; profiles below the goal.
 */
export async function runGatewayBench(): Promise<void> {
  const together = await startHost({ env: HOST_ENV, embedded: true, gateway: true, ceiling: true });
  let alone: HostProcess | undefined;
  try {
    const baseUrl = together.info.upstreamBaseUrl as string;
    alone = await startHost({
      // The gateway process of (iii-b): service mode over the embedded service, behind a gateway key.
      env: { ...HOST_ENV, ...serviceModeEnv(baseUrl) },
      embedded: false,
      gateway: true,
      ceiling: false,
    });
    const jobIds = await createJobs(baseUrl, SEED_JOBS, { segmentsPerJob: 2 });
    await waitUntilFinal(baseUrl, jobIds, 60_000);
    const ratio = await measureThroughput({ together, alone });
    await measureBatching(together, jobIds);
    await measureBeforeAfter(together, jobIds);
    await measureLevers(together);
    if (ratio < GOAL_RATIO || process.env.BENCH_PROFILE === '1') await profileGateway(alone);
  } finally {
    await alone?.stop();
    await together.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runGatewayBench();
}
