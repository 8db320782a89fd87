// The longest event-loop stall (perf_hooks.monitorEventLoopDelay) while the embedded service
// runs its heaviest work: an expensive `like` over long fields, and a 1,000,000-profile upload.
// One table row per scenario; the service runs in this process on 127.0.0.1 over a temp DATA_DIR.
// On Linux it also prints the most CPU one turn of the loop used, which other load cannot inflate.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadEmulatorConfig } from '../src/config/index.ts';
import { createSegmentationService } from '../src/segmentation-service/index.ts';

const HEADERS = {
  authorization: 'Bearer bench',
  'x-api-key': 'bench',
  'x-gw-ims-org-id': 'BENCH@AdobeOrg',
  'x-sandbox-name': 'prod',
  'content-type': 'application/json',
};

interface Row {
  scenario: string;
  outcome: string;
  'longest stall (ms)': string;
  'busiest turn (ms CPU)': string;
  'small requests answered': number;
  'total (s)': string;
}

async function withService<T>(run: (urls: { baseUrl: string; profilesUrl: string }) => Promise<T>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'emulator-stalls-'));
  const service = createSegmentationService({
    ...loadEmulatorConfig({}),
    seedDemo: false,
    stepMs: 1,
    dataDir,
  });
  try {
    return await run(await service.start(0, '127.0.0.1'));
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Nanoseconds the main thread has run on a CPU (Linux); undefined elsewhere. */
function mainThreadRunNs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return Number(fields[0]);
  } catch {
    return undefined;
  }
}

/**
 * The most main-thread CPU time one event-loop turn used while `measure` runs. Wall-clock stalls
 * include time the thread waited for a CPU on a busy machine; this does not.
 */
function startBusiestTurn(): { stop(): string } {
  let busiestNs = 0;
  let isRunning = mainThreadRunNs() !== undefined;
  let last = mainThreadRunNs() ?? 0;
  const turn = () => {
    if (!isRunning) return;
    const now = mainThreadRunNs() ?? last;
    busiestNs = Math.max(busiestNs, now - last);
    last = now;
    setImmediate(turn);
  };
  if (isRunning) setImmediate(turn);
  return {
    stop() {
      const wasRunning = isRunning;
      isRunning = false;
      return wasRunning ? (busiestNs / 1e6).toFixed(0) : 'n/a';
    },
  };
}

/** Runs `work` while measuring the loop delay and sending small GETs one after another. */
async function measure(
  scenario: string,
  probeUrl: string,
  work: () => Promise<string>,
): Promise<Row> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  let isDone = false;
  let answered = 0;
  const prober = (async () => {
    while (!isDone) {
      // A stalled server may drop a kept-alive socket; that request simply does not count.
      const isAnswered = await fetch(probeUrl, { headers: HEADERS }).then(
        (r) => r.arrayBuffer().then(() => true),
        () => false,
      );
      if (isAnswered && !isDone) answered += 1;
    }
  })();
  const startedMs = performance.now();
  histogram.enable();
  const busiest = startBusiestTurn();
  let outcome: string;
  let busiestMs: string;
  try {
    outcome = await work();
  } finally {
    histogram.disable();
    busiestMs = busiest.stop();
    isDone = true;
  }
  await prober;
  return {
    scenario,
    outcome,
    'longest stall (ms)': (histogram.max / 1e6).toFixed(0),
    'busiest turn (ms CPU)': busiestMs,
    'small requests answered': answered,
    'total (s)': ((performance.now() - startedMs) / 1000).toFixed(1),
  };
}

async function post(
  url: string,
  body: string | Uint8Array<ArrayBuffer>,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: HEADERS, body });
  return { status: response.status, json: await response.json() };
}

async function likeScenario(label: string, part: string, profiles: number): Promise<Row> {
  return withService(async ({ baseUrl, profilesUrl }) => {
    const long = 'a'.repeat(100_000);
    const docs = Array.from({ length: profiles }, (_, n) => ({
      identityMap: { ECID: [{ id: `p${n}`, primary: true }] },
      f1: long,
      f2: long,
      f3: long,
    }));
    await post(profilesUrl, JSON.stringify({ profiles: docs }));
    const pql = ['f1', 'f2', 'f3'].map((field) => `${field} like "%${part}%"`).join(' or ');
    const definition = await post(
      `${baseUrl}/segment/definitions`,
      JSON.stringify({
        name: label,
        expression: { type: 'PQL', format: 'pql/text', value: pql },
        schema: { name: '_xdm.context.profile' },
      }),
    );
    return measure(label, `${baseUrl}/segment/jobs?limit=1`, async () => {
      if (definition.status !== 200) return `definition refused: ${definition.status}`;
      const id = (definition.json as { id: string }).id;
      const job = await post(`${baseUrl}/segment/jobs`, JSON.stringify([{ segmentId: id }]));
      const jobId = (job.json as { id: string }).id;
      for (;;) {
        const response = await fetch(`${baseUrl}/segment/jobs/${jobId}`, { headers: HEADERS });
        const { status } = (await response.json()) as { status: string };
        if (status === 'SUCCEEDED' || status === 'FAILED') return `job ${status}`;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
  });
}

function uploadBody(count: number): string {
  const parts: string[] = [];
  for (let n = 0; n < count; n++) {
    parts.push(`{"identityMap":{"ECID":[{"id":"p${n}"}]},"x":1}`);
  }
  return `{"profiles":[${parts.join(',')}]}`;
}

async function uploadScenario(count: number): Promise<Row> {
  return withService(async ({ profilesUrl }) => {
    // Encoded before the measurement: the client shares this process and its event loop. A
    // Buffer goes to the socket as it is (a Blob would be streamed through this loop too).
    const body = new Uint8Array(Buffer.from(uploadBody(count)));
    const megabytes = (body.length / 1e6).toFixed(0);
    return measure(
      `upload ${count.toLocaleString('en')} profiles (${megabytes} MB)`,
      profilesUrl,
      async () => {
        const { status, json } = await post(profilesUrl, body);
        return `${status} totalProfiles ${(json as { totalProfiles?: number }).totalProfiles}`;
      },
    );
  });
}

export async function runEmulatorStallsBench(): Promise<void> {
  const rows: Row[] = [];
  const words = process.env.EMULATOR_STALLS_SCENARIOS?.split(',');
  const wanted = (name: string) => words === undefined || words.includes(name);
  if (wanted('attack')) {
    rows.push(
      await likeScenario(
        'like: 10k-char part, 3 × 100k fields, 1 profile',
        `${'a'.repeat(5_000)}_${'a'.repeat(4_998)}b`,
        1,
      ),
    );
  }
  if (wanted('like')) {
    rows.push(
      await likeScenario(
        'like: 1k-char part with _, 3 × 100k fields, 10 profiles',
        `${'a'.repeat(500)}_${'a'.repeat(495)}b`,
        10,
      ),
    );
  }
  if (wanted('upload')) rows.push(await uploadScenario(1_000_000));
  console.table(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runEmulatorStallsBench();
}
