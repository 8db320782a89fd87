// Setting up a bench's data straight through the embedded service's REST API (never through the
// gateway): definitions, jobs, waiting for them to finish, cancelling. Loopback HTTP only.
import { isFinal, type SegmentJobStatus } from '../../src/domain/index.ts';
import { waitFor } from './measure.ts';

/** The demo tenant's four headers, as the embedded service seeds it. */
export const DEMO_HEADERS: Readonly<Record<string, string>> = {
  authorization: 'Bearer demo',
  'x-api-key': 'demo',
  'x-gw-ims-org-id': 'DEMO@AdobeOrg',
  'x-sandbox-name': 'prod',
};

interface JobDoc {
  id: string;
  status: SegmentJobStatus;
}

async function rest(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...DEMO_HEADERS },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

function expectStatus(
  what: string,
  answer: { status: number; body: unknown },
  expected: number,
): void {
  if (answer.status !== expected) {
    throw new Error(
      `expected ${what} to answer ${expected}, but got ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
}

/** The ids of the demo tenant's segment definitions. */
export async function definitionIds(baseUrl: string): Promise<string[]> {
  const answer = await rest(baseUrl, 'GET', '/segment/definitions?limit=100');
  expectStatus('the definition list', answer, 200);
  return (answer.body as { segments: { id: string }[] }).segments.map((segment) => segment.id);
}

/** Creates one job evaluating `segmentIds`; returns its id. */
export async function createJob(baseUrl: string, segmentIds: readonly string[]): Promise<string> {
  const answer = await rest(
    baseUrl,
    'POST',
    '/segment/jobs',
    segmentIds.map((segmentId) => ({ segmentId })),
  );
  expectStatus('a job create', answer, 200);
  return (answer.body as JobDoc).id;
}

/**
 * Creates `count` jobs, each over `segmentsPerJob` definitions taken in turn, `concurrency` at
 * a time; returns their ids in creation order.
 */
export async function createJobs(
  baseUrl: string,
  count: number,
  options: { segmentsPerJob?: number; concurrency?: number } = {},
): Promise<string[]> {
  const definitions = await definitionIds(baseUrl);
  if (definitions.length === 0) throw new Error('expected demo definitions, but got none');
  const perJob = Math.min(options.segmentsPerJob ?? 1, definitions.length);
  const concurrency = options.concurrency ?? 20;
  const ids: string[] = [];
  for (let first = 0; first < count; first += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - first) }, (_, offset) => {
      const index = first + offset;
      const segments = Array.from(
        { length: perJob },
        (_unused, k) => definitions[(index + k) % definitions.length] as string,
      );
      return createJob(baseUrl, segments);
    });
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

/** The current status of each id (bulk-get, 100 per call). */
export async function jobStatuses(
  baseUrl: string,
  ids: readonly string[],
): Promise<Map<string, SegmentJobStatus | undefined>> {
  const statuses = new Map<string, SegmentJobStatus | undefined>();
  for (let first = 0; first < ids.length; first += 100) {
    const chunk = ids.slice(first, first + 100);
    const answer = await rest(baseUrl, 'POST', '/segment/jobs/bulk-get', {
      ids: chunk.map((id) => ({ id })),
    });
    expectStatus('a bulk-get', answer, 207);
    const results = (answer.body as { results: Record<string, Partial<JobDoc>> }).results;
    for (const id of chunk) statuses.set(id, results[id]?.status);
  }
  return statuses;
}

/** Waits until every job is final. */
export async function waitUntilFinal(
  baseUrl: string,
  ids: readonly string[],
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      const statuses = await jobStatuses(baseUrl, ids);
      return [...statuses.values()].every((status) => status !== undefined && isFinal(status))
        ? true
        : undefined;
    },
    timeoutMs,
    `${ids.length} jobs to finish`,
    100,
  );
}

/** DELETE: a running job moves to CANCELLING. */
export async function cancelJob(baseUrl: string, id: string): Promise<void> {
  expectStatus('a cancel', await rest(baseUrl, 'DELETE', `/segment/jobs/${id}`), 204);
}
