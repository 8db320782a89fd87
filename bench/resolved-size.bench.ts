// What one operation over jobs with huge metric maps costs the gateway's event loop: the longest
// stall and the heap growth while it runs, per scenario. Gateway, fake upstream and client share
// this process and stay on loopback; the fake's bodies are serialized before the clock starts.
import { request as httpRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  type FakeUpstream,
  jobListBody,
  jobWithMetrics,
  type MetricSizes,
  startFakeUpstream,
} from '../test/support/fake-upstream.ts';
import { startGatewayHarness, tenantHeaders } from '../test/support/gateway-harness.ts';

interface Scenario {
  name: string;
  jobs: number;
  sizes: MetricSizes;
  /** Keeps `segments` to one entry: only the metric maps are large. */
  isMapsOnly: boolean;
  query: string;
}

const SEGMENTS_QUERY =
  'metrics { segments { segmentId qualified realized exited byNamespace { namespace count } } }';
const MAPS_QUERY = `metrics { segments { segmentId qualified byNamespace { namespace count } } totalProfilesByMergePolicy { mergePolicyId count } }`;

const HUGE_MAPS: MetricSizes = { segments: 100_000, namespaces: 2, mergePolicies: 100_000 };

const SCENARIOS: Scenario[] = [
  {
    name: 'ordinary page: 100 jobs × 20 segments × 3 namespaces',
    jobs: 100,
    sizes: { segments: 20, namespaces: 3 },
    isMapsOnly: false,
    query: `{ segmentJobs(first: 100) { edges { node { id segments { id } ${SEGMENTS_QUERY} } } } }`,
  },
  {
    name: '(a) 100 jobs × 5,000 segments, metrics.segments.byNamespace',
    jobs: 100,
    sizes: { segments: 5_000, namespaces: 3 },
    isMapsOnly: false,
    query: `{ segmentJobs(first: 100) { edges { node { id ${SEGMENTS_QUERY} } } } }`,
  },
  {
    name: '(b) 1 job, 100,000-key metric maps',
    jobs: 1,
    sizes: HUGE_MAPS,
    isMapsOnly: true,
    query: `{ segmentJobs(first: 1) { edges { node { id ${MAPS_QUERY} } } } }`,
  },
  {
    name: '(c) 10 jobs, 100,000-key metric maps',
    jobs: 10,
    sizes: HUGE_MAPS,
    isMapsOnly: true,
    query: `{ segmentJobs(first: 10) { edges { node { id ${MAPS_QUERY} } } } }`,
  },
  {
    name: '(c) 10 jobs, 100,000-key maps, no metrics selected',
    jobs: 10,
    sizes: HUGE_MAPS,
    isMapsOnly: true,
    query: '{ segmentJobs(first: 10) { edges { node { id status } } } }',
  },
];

interface Row {
  scenario: string;
  upstreamMb: number;
  parseMs: number;
  stallMs: number;
  /** The stall less the body's JSON.parse: what the gateway's own code spent in one go. */
  beyondParseMs: number;
  heapMb: number;
  responseKb: number;
  outcome: string;
}

/** POSTs and counts the answer's bytes without decoding them (the client's cost stays small). */
function post(
  url: string,
  query: string,
): Promise<{ status: number; bytes: number; head: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query });
    const request = httpRequest(
      url,
      {
        method: 'POST',
        // A fresh connection: one kept alive across a long set-up would be reset by the server.
        agent: false,
        headers: { 'content-type': 'application/json', ...tenantHeaders('ORG1@AdobeOrg') },
      },
      (response) => {
        let bytes = 0;
        let head = '';
        response.on('data', (chunk: Buffer) => {
          if (head.length < 400) head += chunk.subarray(0, 400).toString('utf8');
          bytes += chunk.length;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, head }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function runScenario(upstream: FakeUpstream, url: string, scenario: Scenario): Promise<Row> {
  const jobs = Array.from({ length: scenario.jobs }, (_, index) =>
    jobWithMetrics(scenario.sizes, {
      id: `job-${index}`,
      ...(scenario.isMapsOnly ? { segments: [{ segmentId: 'segment-0' }] } : {}),
    }),
  );
  const text = JSON.stringify(jobListBody(jobs));
  jobs.length = 0;
  // The part no gateway code can shorten: parsing the upstream's body.
  const parseStartedMs = performance.now();
  JSON.parse(text);
  const parseMs = performance.now() - parseStartedMs;
  upstream.reset();
  upstream.respondWith('GET /segment/jobs', () => ({
    headers: { 'content-type': 'application/json' },
    body: text,
  }));
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 5);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const answer = await post(url, scenario.query).catch((error: unknown) => ({
    status: 0,
    bytes: 0,
    head: `"code":"${(error as NodeJS.ErrnoException).code ?? 'FAILED'}"`,
  }));
  delay.disable();
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const code = /"code":"([A-Z_]+)"/.exec(answer.head)?.[1];
  return {
    scenario: scenario.name,
    upstreamMb: text.length / 1e6,
    parseMs,
    stallMs: delay.max / 1e6,
    beyondParseMs: Math.max(0, delay.max / 1e6 - parseMs),
    heapMb: (heapPeak - heapBefore) / 1e6,
    responseKb: answer.bytes / 1e3,
    outcome: `${answer.status} ${code === undefined ? 'data' : `error ${code}`}`,
  };
}

export async function runResolvedSizeBench(): Promise<void> {
  const upstream = await startFakeUpstream();
  const harness = await startGatewayHarness({
    upstreamBaseUrl: upstream.baseUrl,
    // Neither the static cost nor the upstream body cap (16 MiB by default, which alone refuses
    // (a) and (c)) is what this bench measures: both are lifted to reach the work past them.
    env: {
      LOG_LEVEL: 'silent',
      GRAPHQL_MAX_COST: '10000000',
      UPSTREAM_MAX_BODY_BYTES: String(1024 * 1024 * 1024),
      UPSTREAM_TIMEOUT_MS: '120000',
    },
  });
  const rows: Row[] = [];
  try {
    // Warm-up: the first operation pays for compiling the gateway's code.
    await runScenario(upstream, harness.graphqlUrl, SCENARIOS[0] as Scenario);
    for (const scenario of SCENARIOS) {
      rows.push(await runScenario(upstream, harness.graphqlUrl, scenario));
    }
  } finally {
    await harness.close();
    await upstream.close();
  }
  console.log(
    `resolved-item budget: ${harness.config.graphql.maxResolvedItems ?? 'none'} (GRAPHQL_MAX_RESOLVED_ITEMS)\n`,
  );
  console.log(
    '| scenario | upstream body MB | JSON.parse of it, ms | longest loop stall, ms | stall less JSON.parse, ms | heap growth, MB | response KB | outcome |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const row of rows) {
    console.log(
      `| ${row.scenario} | ${row.upstreamMb.toFixed(1)} | ${row.parseMs.toFixed(0)} | ${row.stallMs.toFixed(0)} | ${row.beyondParseMs.toFixed(0)} | ${row.heapMb.toFixed(0)} | ${row.responseKb.toFixed(0)} | ${row.outcome} |`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runResolvedSizeBench();
}
