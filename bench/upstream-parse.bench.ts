// Reading a 20-job list page as the gateway does, the hand-written reader against the zod
// reference it replaced: best of several timed runs after a warm-up, both in one process,
// alternating; then large bodies, native JSON.parse against the sliced parse: the longest
// event-loop stall and the total time. Pure CPU; it opens no sockets and writes no files.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseJobList } from '../src/upstream/response-reading.ts';
import { parseJsonSliced, SLICED_BODY_MIN_CHARS } from '../src/upstream/sliced-json.ts';
import { jobListBody, jobWithMetrics } from '../test/support/fake-upstream.ts';
import * as reference from '../test/upstream/job-document.reference.ts';

const JOBS_PER_PAGE = 20;
const PAGES_PER_RUN = 500;
const WARM_UP_RUNS = 3;
const TIMED_RUNS = 9;

/** A finished two-segment job as the embedded Segmentation Service lists it. */
function jobDocument(index: number): Record<string, unknown> {
  const id = `5a6f0e3c-4b7d-4f2a-9c1e-${String(index).padStart(12, '0')}`;
  const segmentIds = [`seg-${index}-a`, `seg-${index}-b`];
  const mergePolicyId = '0d6b3a52-7a0e-4c5f-8e61-3b2d7f4e9a10';
  const startMs = 1_735_689_600_000 + index * 1_000;
  const byNamespace = { ECID: 812, email: 377 };
  return {
    id,
    imsOrgId: 'DEMO@AdobeOrg',
    sandbox: {
      sandboxId: '8f1c2d3e-4a5b-8c6d-9e7f-0a1b2c3d4e5f',
      sandboxName: 'prod',
      type: 'production',
      default: true,
    },
    profileInstanceId: 'ups',
    source: 'api',
    status: 'SUCCEEDED',
    batchId: `b-${id}`,
    computeJobId: 8_811 + index,
    computeGatewayJobId: `g-${id}`,
    segments: segmentIds.map((segmentId) => ({
      segmentId,
      segment: {
        id: segmentId,
        expression: {
          type: 'PQL',
          format: 'pql/text',
          value: 'homeAddress.country = "US" and loyalty.points >= 2000',
        },
        mergePolicyId,
        mergePolicy: { id: mergePolicyId, version: 1 },
      },
    })),
    metrics: {
      totalTime: { startTimeInMs: startMs, endTimeInMs: startMs + 420, totalTimeInMs: 420 },
      profileSegmentationTime: {
        startTimeInMs: startMs + 20,
        endTimeInMs: startMs + 400,
        totalTimeInMs: 380,
      },
      totalProfiles: 2_000,
      segmentedProfileCounter: Object.fromEntries(
        segmentIds.map((segmentId) => [segmentId, 1_189]),
      ),
      segmentedProfileByNamespaceCounter: Object.fromEntries(
        segmentIds.map((segmentId) => [segmentId, byNamespace]),
      ),
      segmentedProfileByStatusCounter: Object.fromEntries(
        segmentIds.map((segmentId) => [segmentId, { realized: 1_189, exited: 0 }]),
      ),
      totalProfilesByMergePolicy: { [mergePolicyId]: 2_000 },
    },
    requestId: `r-${id}`,
    schema: { name: '_xdm.context.profile' },
    properties: {},
    _links: {
      cancel: { href: `/segment/jobs/${id}`, method: 'DELETE' },
      checkStatus: { href: `/segment/jobs/${id}`, method: 'GET' },
    },
    creationTime: startMs,
    updateTime: startMs + 420,
    updateEpoch: Math.floor((startMs + 420) / 1_000),
  };
}

/** The body of `GET /segment/jobs?limit=20`. */
function jobListPageText(): string {
  const children = Array.from({ length: JOBS_PER_PAGE }, (_, index) => jobDocument(index));
  return JSON.stringify({
    _page: { totalCount: 250, pageSize: JOBS_PER_PAGE },
    children,
    _links: { next: { href: `/segment/jobs?start=${JOBS_PER_PAGE}&limit=${JOBS_PER_PAGE}` } },
  });
}

type Reader = (value: unknown) => { ok: boolean };

interface Subject {
  label: string;
  read: Reader;
}

function timeRun(read: Reader, text: string, isParsedFirst: boolean): number {
  const parsed: unknown = JSON.parse(text);
  const start = performance.now();
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const result = read(isParsedFirst ? parsed : JSON.parse(text));
    if (!result.ok) throw new Error('expected the page to be read');
  }
  return ((performance.now() - start) * 1e6) / PAGES_PER_RUN;
}

/** Prints ns per 20-job page for the zod reference and the hand-written reader, side by side. */
export async function runUpstreamParseBench(): Promise<void> {
  const text = jobListPageText();
  const before = reference.parseJobList(JSON.parse(text));
  const after = parseJobList(JSON.parse(text));
  if (!before.ok || !isDeepStrictEqual(before, after)) {
    throw new Error('expected both readers to read the page the same way');
  }
  const subjects: Subject[] = [
    { label: 'zod reference', read: reference.parseJobList },
    { label: 'hand-written', read: parseJobList },
  ];
  const rows = [];
  for (const [phase, isParsedFirst] of [
    ['validate + normalize (JSON already parsed)', true],
    ['JSON.parse + validate + normalize', false],
  ] as const) {
    const best = subjects.map(() => Number.POSITIVE_INFINITY);
    for (let run = 0; run < WARM_UP_RUNS + TIMED_RUNS; run++) {
      // Alternating, so a busy moment on the machine falls on both alike.
      for (const [index, subject] of subjects.entries()) {
        const ns = timeRun(subject.read, text, isParsedFirst);
        if (run >= WARM_UP_RUNS) best[index] = Math.min(best[index] ?? ns, ns);
      }
    }
    const [old = 0, current = 0] = best;
    rows.push({
      phase,
      'zod reference ns/page': Math.round(old).toLocaleString('en-US'),
      'hand-written ns/page': Math.round(current).toLocaleString('en-US'),
      'hand-written ns/job': Math.round(current / JOBS_PER_PAGE).toLocaleString('en-US'),
      speedup: `${(old / current).toFixed(1)}×`,
    });
  }
  console.log(
    `One ${JOBS_PER_PAGE}-job list page (${Buffer.byteLength(text).toLocaleString('en-US')} bytes), ${PAGES_PER_RUN.toLocaleString('en-US')} pages per run, best of ${TIMED_RUNS} runs after ${WARM_UP_RUNS} warm-up runs`,
  );
  console.table(rows);
  await runLargeBodyBench();
}

const LARGE_BODY_MB = [1, 4, 13];
const LARGE_BODY_RUNS = 3;

/** A list page of one job whose metric maps (and segments) are sized to make about `mb` MB. */
function bigMapsPage(mb: number): string {
  const page = (segments: number) =>
    JSON.stringify(
      jobListBody([jobWithMetrics({ segments, namespaces: 2, mergePolicies: segments })]),
    );
  const bytesPerSegment = Buffer.byteLength(page(1_000)) / 1_000;
  return page(Math.round((mb * 1_000_000) / bytesPerSegment));
}

/** A list page of as many ordinary jobs (two segments each) as make about `mb` MB. */
function manyJobsPage(mb: number): string {
  const jobBytes = JSON.stringify(jobDocument(0)).length;
  const children = Array.from({ length: Math.round((mb * 1_000_000) / jobBytes) }, (_, index) =>
    jobDocument(index),
  );
  return JSON.stringify({ _page: { totalCount: children.length }, children, _links: {} });
}

const nextTimer = () => new Promise((resolve) => setTimeout(resolve, 5));

/** The longest event-loop delay while `parse` runs, and its time from start to value. */
async function measureParse(
  parse: (text: string) => Promise<unknown>,
  text: string,
): Promise<{ stallMs: number; totalMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // Not reset() once enabled: the histogram then misses the next stall. Two idle timers instead.
  await nextTimer();
  await nextTimer();
  const start = performance.now();
  await parse(text);
  const totalMs = performance.now() - start;
  // The histogram's own timer records a stall once the loop turns again.
  await nextTimer();
  histogram.disable();
  return { stallMs: histogram.max / 1e6, totalMs };
}

/** Prints native JSON.parse against the sliced parse for 1, 4 and 13 MB bodies, side by side. */
async function runLargeBodyBench(): Promise<void> {
  const native = async (text: string) => JSON.parse(text);
  const sliced = (text: string) => parseJsonSliced(text);
  const rows = [];
  for (const [shape, build] of [
    ['1 job, big metric maps', bigMapsPage],
    ['many ordinary jobs', manyJobsPage],
  ] as const) {
    for (const mb of LARGE_BODY_MB) {
      const text = build(mb);
      if (!isDeepStrictEqual(await sliced(text), JSON.parse(text))) {
        throw new Error('expected the sliced parse to give what JSON.parse gives');
      }
      const worst = { native: 0, sliced: 0 };
      const best = { native: Number.POSITIVE_INFINITY, sliced: Number.POSITIVE_INFINITY };
      for (let run = 0; run < LARGE_BODY_RUNS; run++) {
        for (const [label, parse] of [
          ['native', native],
          ['sliced', sliced],
        ] as const) {
          const { stallMs, totalMs } = await measureParse(parse, text);
          worst[label] = Math.max(worst[label], stallMs);
          best[label] = Math.min(best[label], totalMs);
        }
      }
      rows.push({
        body: `${shape}, ${(text.length / 1e6).toFixed(1)} MB`,
        'native: longest stall ms': Math.round(worst.native),
        'sliced: longest stall ms': Math.round(worst.sliced),
        'native: total ms': Math.round(best.native),
        'sliced: total ms': Math.round(best.sliced),
      });
    }
  }
  console.log(
    `Large bodies: longest event-loop stall (worst of ${LARGE_BODY_RUNS} runs, monitorEventLoopDelay) and total time (best of ${LARGE_BODY_RUNS}); the client parses bodies over ${SLICED_BODY_MIN_CHARS.toLocaleString('en-US')} characters sliced`,
  );
  console.table(rows);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runUpstreamParseBench();
}
