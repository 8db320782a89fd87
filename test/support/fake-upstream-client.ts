// An in-memory stand-in for the upstream client, for the watcher's unit tests: jobs per tenant,
// scripted failures and stalls, and a record of every call. Never used outside tests.
import type { SegmentJobModel, SegmentJobStatus, Tenant } from '../../src/domain/index.ts';
import { type UpstreamError, UpstreamNotFoundError } from '../../src/upstream/errors.ts';
import type {
  BulkGetResult,
  CallOptions,
  DefinitionBulkGetResult,
  DefinitionPage,
  JobPage,
  ListJobsParams,
  UpstreamClient,
} from '../../src/upstream/types.ts';

export type RecordedCall =
  | { method: 'bulkGetJobs'; tenant: Tenant; ids: string[]; atMs: number }
  | { method: 'listJobs'; tenant: Tenant; params: ListJobsParams; atMs: number }
  | { method: 'getJob' | 'cancelJob'; tenant: Tenant; ids: string[]; atMs: number }
  | { method: 'createJob'; tenant: Tenant; atMs: number };

export interface FakeUpstream extends UpstreamClient {
  readonly calls: RecordedCall[];
  /** Calls of one method (and one tenant key, when given). */
  callsOf(method: RecordedCall['method'], tenantKey?: string): RecordedCall[];
  /** Creates or replaces a job of the tenant; `updateTime` advances on every change. */
  setJob(tenant: Tenant, id: string, status: SegmentJobStatus): SegmentJobModel;
  /** Every call for the tenant rejects with this error until cleared with `undefined`. */
  failTenant(tenant: Tenant, error: Error | undefined): void;
  /** Bulk-gets answer this error for one id (a per-item fault) until cleared with `undefined`. */
  failItem(tenant: Tenant, id: string, error: UpstreamError | undefined): void;
  /** Every call for the tenant stays unanswered until cleared with `false`. */
  stallTenant(tenant: Tenant, isStalled: boolean): void;
}

export function testTenant(name: string): Tenant {
  return {
    key: `key-${name}`,
    orgId: `${name}@AdobeOrg`,
    sandboxName: 'prod',
    apiKey: `api-key-${name}`,
    mode: 'passthrough',
    canRenew: false,
    authorization: async () => `Bearer token-${name}`,
  };
}

export function createFakeUpstream(options: { now?: () => number } = {}): FakeUpstream {
  const now = options.now ?? Date.now;
  const jobsByTenant = new Map<string, Map<string, SegmentJobModel>>();
  const failures = new Map<string, Error>();
  const itemFailures = new Map<string, UpstreamError>();
  const stalls = new Map<string, Array<() => void>>();
  const calls: RecordedCall[] = [];
  let clock = 1_700_000_000_000;

  const jobsOf = (tenant: Tenant): Map<string, SegmentJobModel> => {
    let jobs = jobsByTenant.get(tenant.key);
    if (jobs === undefined) {
      jobs = new Map();
      jobsByTenant.set(tenant.key, jobs);
    }
    return jobs;
  };

  /** Behaves like I/O: answers on a later microtask, or fails, or waits while stalled. */
  const answer = async <T>(tenant: Tenant, produce: () => T): Promise<T> => {
    const waiting = stalls.get(tenant.key);
    if (waiting !== undefined) await new Promise<void>((resolve) => waiting.push(resolve));
    await Promise.resolve();
    const failure = failures.get(tenant.key);
    if (failure !== undefined) throw failure;
    return produce();
  };

  const notFound = (id: string): UpstreamNotFoundError =>
    new UpstreamNotFoundError(`expected job ${id}, but the upstream does not know it`, {
      method: 'POST',
      path: '/segment/jobs/bulk-get',
      status: 404,
    });

  return {
    calls,
    callsOf(method, tenantKey) {
      return calls.filter(
        (call) =>
          call.method === method && (tenantKey === undefined || call.tenant.key === tenantKey),
      );
    },
    setJob(tenant, id, status) {
      clock += 1;
      const previous = jobsOf(tenant).get(id);
      const job: SegmentJobModel = {
        id,
        imsOrgId: tenant.orgId,
        status,
        segments: [{ segmentId: `segment-of-${id}` }],
        creationTime: previous?.creationTime ?? clock,
        updateTime: clock,
      };
      jobsOf(tenant).set(id, job);
      return job;
    },
    failTenant(tenant, error) {
      if (error === undefined) failures.delete(tenant.key);
      else failures.set(tenant.key, error);
    },
    failItem(tenant, id, error) {
      const key = `${tenant.key}\u0000${id}`;
      if (error === undefined) itemFailures.delete(key);
      else itemFailures.set(key, error);
    },
    stallTenant(tenant, isStalled) {
      if (isStalled) {
        if (!stalls.has(tenant.key)) stalls.set(tenant.key, []);
        return;
      }
      const waiting = stalls.get(tenant.key) ?? [];
      stalls.delete(tenant.key);
      for (const resume of waiting) resume();
    },
    async bulkGetJobs(tenant, ids, _options?: CallOptions): Promise<BulkGetResult> {
      calls.push({ method: 'bulkGetJobs', tenant, ids: [...ids], atMs: now() });
      return answer(tenant, () => {
        const jobs = jobsOf(tenant);
        const result: BulkGetResult = new Map();
        for (const id of ids) {
          const itemFailure = itemFailures.get(`${tenant.key}\u0000${id}`);
          result.set(id, itemFailure ?? jobs.get(id) ?? notFound(id));
        }
        return result;
      });
    },
    // The watcher never reads definitions: an empty sandbox of them.
    async listDefinitions(tenant): Promise<DefinitionPage> {
      return answer(tenant, () => ({ totalCount: 0, definitions: [] }));
    },
    async bulkGetDefinitions(tenant, ids): Promise<DefinitionBulkGetResult> {
      return answer(tenant, () => new Map(ids.map((id) => [id, notFound(id)])));
    },
    async listJobs(tenant, params): Promise<JobPage> {
      calls.push({ method: 'listJobs', tenant, params: { ...params }, atMs: now() });
      return answer(tenant, () => {
        const all = [...jobsOf(tenant).values()].sort(
          (a, b) => (b.updateTime ?? 0) - (a.updateTime ?? 0),
        );
        const start = Number(params.start ?? 0);
        const limit = params.limit ?? 20;
        const jobs = all.slice(start, start + limit);
        return {
          totalCount: all.length,
          pageSize: jobs.length,
          jobs,
          unreadable: [],
          hasNext: start + limit < all.length,
          next:
            start + limit < all.length ? { ...params, start: String(start + limit) } : undefined,
        };
      });
    },
    async getJob(tenant, id) {
      calls.push({ method: 'getJob', tenant, ids: [id], atMs: now() });
      return answer(tenant, () => {
        const job = jobsOf(tenant).get(id);
        if (job === undefined) throw notFound(id);
        return job;
      });
    },
    async createJob(tenant) {
      calls.push({ method: 'createJob', tenant, atMs: now() });
      throw new Error('expected the watcher never to create jobs, but it did');
    },
    async cancelJob(tenant, id) {
      calls.push({ method: 'cancelJob', tenant, ids: [id], atMs: now() });
      throw new Error('expected the watcher never to cancel jobs, but it did');
    },
    droppedForeignJobs: 0,
    openCircuits: () => 0,
    async ping() {},
    async close() {},
  };
}
