// A scriptable stand-in for the Segmentation Service over real HTTP on port 0, for fault
// injection: it records every request and answers with scripted statuses, delays, hangs, dropped
// sockets or garbage. It implements no business logic of its own.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tenant } from '../../src/domain/index.ts';

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** Path below the base path (e.g. `/segment/jobs/abc`), without query, still URL-encoded. */
  path: string;
  /** The raw request target, path and query. */
  url: string;
  query: URLSearchParams;
  /** Lower-case names, as Node parses them. */
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  rawBody: string;
  /** `performance.now()` when the request was fully read. */
  receivedAtMs: number;
  /** The client's port: equal ports mean one kept-alive connection. */
  remotePort: number | undefined;
  /** Becomes true when the client closes the connection before the response is complete. */
  closedByClient: boolean;
  /** Body bytes the fake has written so far (the socket may hold some the client never read). */
  bodyBytesSent: number;
  /** Becomes true once the response is complete or its connection closed. */
  isFinished: boolean;
  /** The requests in flight (not finished) when this one arrived, itself included. */
  inFlightAtArrival: readonly RecordedRequest[];
}

/**
 * What to answer. `body`: a string is sent as is (use it for garbage), anything else as JSON.
 * `hang`: never answer. `destroy`: close the socket after reading the request.
 */
export interface ScriptedResponse {
  /** @default 200 */
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  hang?: boolean;
  destroy?: boolean;
  /**
   * A large body written in 64 KiB chunks as fast as the client reads (backpressure honoured),
   * until `totalBytes` or until the client closes. `declareLength` sends a `content-length`.
   */
  stream?: { totalBytes: number; declareLength?: boolean };
  /** Headers at once, then `text` one byte every `intervalMs`, until done or the client closes. */
  drip?: { text: string; intervalMs: number };
}

export type FakeHandler = (
  request: RecordedRequest,
) => ScriptedResponse | Promise<ScriptedResponse>;

/**
 * Which requests a route takes: `"/segment/jobs"` (exact path, any method),
 * `"POST /segment/jobs"` (method and exact path), a RegExp tested on the path, or a predicate.
 */
export type RouteMatcher = string | RegExp | ((request: RecordedRequest) => boolean);

/** A handler, or a queue of responses used once each, in order. */
export type Responder = FakeHandler | readonly ScriptedResponse[];

export interface FakeUpstream {
  /** Ends before `/segment/jobs`, like the real base URL. */
  readonly baseUrl: string;
  readonly basePath: string;
  /** Every request received since start or the last `reset()`, in arrival order. */
  readonly requests: RecordedRequest[];
  /**
   * Adds a route. The newest route that matches and still has something to say answers; a queue
   * that has run out steps aside. Without a route: all requests.
   */
  respondWith(responder: Responder): void;
  respondWith(route: RouteMatcher, responder: Responder): void;
  /** Forgets recorded requests and routes (the handler given to `startFakeUpstream` stays). */
  reset(): void;
  /** Resolves once at least `count` requests arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Resolves once `predicate()` holds; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Requests whose response is neither complete nor closed, optionally only those matching. */
  inFlight(predicate?: (request: RecordedRequest) => boolean): RecordedRequest[];
  close(): Promise<void>;
}

export interface FakeUpstreamOptions {
  /** @default '/data/core/ups' */
  basePath?: string;
}

interface Route {
  matches: (request: RecordedRequest) => boolean;
  next: () => FakeHandler | undefined;
}

/**
 * Starts the fake on 127.0.0.1, port 0. `handler` answers what no route takes; without it the
 * fake answers 404 in the segmentation service's error shape.
 */
export async function startFakeUpstream(
  handler: FakeHandler = notFoundHandler,
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const basePath = options.basePath ?? '/data/core/ups';
  const requests: RecordedRequest[] = [];
  let routes: Route[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const parsed = new URL(url, 'http://fake');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: parsed.pathname.startsWith(basePath)
          ? parsed.pathname.slice(basePath.length) || '/'
          : parsed.pathname,
        url,
        query: parsed.searchParams,
        headers: req.headers,
        body: parseBody(rawBody),
        rawBody,
        receivedAtMs: performance.now(),
        remotePort: req.socket.remotePort,
        closedByClient: false,
        bodyBytesSent: 0,
        isFinished: false,
        inFlightAtArrival: [],
      };
      requests.push(recorded);
      recorded.inFlightAtArrival = requests.filter((request) => !request.isFinished);
      res.on('close', () => {
        recorded.isFinished = true;
        if (!res.writableFinished) recorded.closedByClient = true;
      });
      void answer(recorded, res);
    });
  });

  async function answer(request: RecordedRequest, res: ServerResponse): Promise<void> {
    let response: ScriptedResponse;
    try {
      response = await pickHandler(request)(request);
    } catch (error) {
      response = { status: 500, body: { title: `fake handler failed: ${String(error)}` } };
    }
    if (response.destroy === true) {
      res.socket?.destroy();
      return;
    }
    if (response.hang === true) return;
    if (response.delayMs !== undefined && response.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, response.delayMs);
        timers.add(timer);
      });
    }
    if (res.destroyed) return;
    if (response.stream !== undefined) {
      await streamBody(request, res, response, response.stream);
      return;
    }
    if (response.drip !== undefined) {
      await dripBody(request, res, response, response.drip);
      return;
    }
    const isRaw = typeof response.body === 'string';
    const text =
      response.body === undefined
        ? ''
        : isRaw
          ? String(response.body)
          : JSON.stringify(response.body);
    const headers: Record<string, string> = { ...response.headers };
    if (text !== '' && !hasHeader(headers, 'content-type')) {
      headers['content-type'] = isRaw ? 'text/plain' : 'application/json';
    }
    res.writeHead(response.status ?? 200, headers);
    request.bodyBytesSent = Buffer.byteLength(text);
    res.end(text);
  }

  async function streamBody(
    request: RecordedRequest,
    res: ServerResponse,
    response: ScriptedResponse,
    stream: { totalBytes: number; declareLength?: boolean },
  ): Promise<void> {
    const { totalBytes, declareLength } = stream;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...response.headers,
    };
    if (declareLength === true) headers['content-length'] = String(totalBytes);
    res.writeHead(response.status ?? 200, headers);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    while (request.bodyBytesSent < totalBytes && !res.destroyed) {
      const size = Math.min(chunk.length, totalBytes - request.bodyBytesSent);
      request.bodyBytesSent += size;
      if (!res.write(chunk.subarray(0, size))) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    if (!res.destroyed) res.end();
  }

  async function dripBody(
    request: RecordedRequest,
    res: ServerResponse,
    response: ScriptedResponse,
    drip: { text: string; intervalMs: number },
  ): Promise<void> {
    res.writeHead(response.status ?? 200, {
      'content-type': 'application/json',
      ...response.headers,
    });
    res.flushHeaders();
    const bytes = Buffer.from(drip.text);
    for (const byte of bytes) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, drip.intervalMs);
        timers.add(timer);
      });
      if (res.destroyed) return;
      res.write(Buffer.of(byte));
      request.bodyBytesSent += 1;
    }
    res.end();
  }

  function pickHandler(request: RecordedRequest): FakeHandler {
    for (let index = routes.length - 1; index >= 0; index -= 1) {
      const route = routes[index];
      if (route === undefined || !route.matches(request)) continue;
      const found = route.next();
      if (found !== undefined) return found;
    }
    return handler;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function respondWith(first: RouteMatcher | Responder, second?: Responder): void {
    const [matcher, responder] =
      second === undefined ? [() => true, first as Responder] : [first as RouteMatcher, second];
    routes.push({ matches: toPredicate(matcher), next: toNext(responder) });
  }

  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    basePath,
    requests,
    respondWith,
    reset: () => {
      requests.length = 0;
      routes = [];
    },
    waitForRequests: async (count, timeoutMs = 5_000) => {
      await waitUntil(() => requests.length >= count, timeoutMs, `${count} requests`);
      return requests;
    },
    waitFor: (predicate, timeoutMs = 5_000) => waitUntil(predicate, timeoutMs, 'the condition'),
    inFlight: (predicate = () => true) =>
      requests.filter((request) => !request.isFinished && predicate(request)),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `predicate` every few ms until it holds; rejects after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean,
  timeoutMs = 5_000,
  what = 'the condition',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function toPredicate(matcher: RouteMatcher): (request: RecordedRequest) => boolean {
  if (typeof matcher === 'function') return matcher;
  if (matcher instanceof RegExp) return (request) => matcher.test(request.path);
  const spaceAt = matcher.indexOf(' ');
  if (spaceAt < 0) return (request) => request.path === matcher;
  const method = matcher.slice(0, spaceAt).toUpperCase();
  const path = matcher.slice(spaceAt + 1);
  return (request) => request.method === method && request.path === path;
}

function toNext(responder: Responder): () => FakeHandler | undefined {
  if (typeof responder === 'function') return () => responder;
  const queue = [...responder];
  return () => {
    const response = queue.shift();
    return response === undefined ? undefined : () => response;
  };
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

function notFoundHandler(request: RecordedRequest): ScriptedResponse {
  return segmentationError(404, `no fake route for ${request.method} ${request.path}`);
}

/** An error body in the segmentation service's own shape. */
export function segmentationError(status: number, title: string, code?: string): ScriptedResponse {
  const upstreamCode = code ?? `UPAPI-100000-${status}`;
  return {
    status,
    body: {
      requestId: `req-${randomUUID()}`,
      type: `https://ns.adobe.com/aep/errors/${upstreamCode}`,
      title,
      status,
      errors: { [String(status)]: [{ code: upstreamCode, message: title }] },
    },
  };
}

/** The fake tenant used with the fake upstream; `overrides` changes any part. */
export function fakeTenant(overrides: Partial<Tenant> & { token?: string } = {}): Tenant {
  const { token = 'test-token', ...rest } = overrides;
  return {
    // Hashed like real keys, so that a key in a log never shows the token.
    key: createHash('sha256')
      .update(JSON.stringify([rest.orgId ?? 'ORG1@AdobeOrg', rest.sandboxName ?? 'prod', token]))
      .digest('hex'),
    orgId: 'ORG1@AdobeOrg',
    sandboxName: 'prod',
    apiKey: 'test-api-key',
    mode: 'passthrough',
    canRenew: false,
    authorization: () => Promise.resolve(`Bearer ${token}`),
    ...rest,
  };
}

/**
 * A complete job as the upstream sends it, for `tenant` (default: `fakeTenant()`). `overrides`
 * replace top-level fields and may hold values the API does not document, to test refusals.
 */
export function sampleJob(
  overrides: Record<string, unknown> = {},
  tenant: Pick<Tenant, 'orgId' | 'sandboxName'> = fakeTenant(),
): Record<string, unknown> {
  const id = typeof overrides.id === 'string' ? overrides.id : randomUUID();
  return {
    id,
    imsOrgId: tenant.orgId,
    sandbox: {
      sandboxId: 'sandbox-1',
      sandboxName: tenant.sandboxName,
      type: 'production',
      default: true,
    },
    profileInstanceId: 'ups',
    source: 'api',
    status: 'PROCESSING',
    batchId: 'batch-1',
    computeJobId: 8811,
    computeGatewayJobId: 'gateway-job-1',
    segments: [
      {
        segmentId: 'segment-1',
        segment: {
          id: 'segment-1',
          expression: { type: 'PQL', format: 'pql/text', value: 'workAddress.country = "US"' },
          mergePolicyId: 'merge-policy-1',
          mergePolicy: { id: 'merge-policy-1', version: 1 },
        },
      },
    ],
    metrics: { totalTime: { startTimeInMs: 1_573_203_617_195 }, profileSegmentationTime: {} },
    requestId: 'job-request-1',
    schema: { name: '_xdm.context.profile' },
    properties: { scheduleId: 'schedule-1', runId: 'run-1' },
    _links: {
      cancel: { href: `/segment/jobs/${id}`, method: 'DELETE' },
      checkStatus: { href: `/segment/jobs/${id}`, method: 'GET' },
    },
    creationTime: 1_573_203_600_535,
    updateTime: 1_573_204_395_000,
    updateEpoch: 1_573_204_395,
    ...overrides,
  };
}

/** The list envelope around `jobs`. */
export function jobListBody(
  jobs: readonly unknown[],
  options: { hasNext?: boolean } = {},
): unknown {
  return {
    _page: { totalCount: jobs.length, pageSize: jobs.length },
    children: jobs,
    _links: { next: options.hasNext === true ? { href: '/segment/jobs?start=20' } : {} },
  };
}

/** A 207 bulk-get body; each id maps to its item (a job or an error entry). */
export function bulkBody(results: Readonly<Record<string, unknown>>): ScriptedResponse {
  return { status: 207, body: { results } };
}

/** Sizes of the metric maps of {@link jobWithMetrics}. */
export interface MetricSizes {
  /** Segment ids: entries of `segments` and keys of the three per-segment maps. */
  segments: number;
  /** Namespaces per segment in `segmentedProfileByNamespaceCounter`. @default 3 */
  namespaces?: number;
  /** Keys of `totalProfilesByMergePolicy`. @default 1 */
  mergePolicies?: number;
}

/**
 * A finished job (via {@link sampleJob}) evaluating `sizes.segments` definitions, with every
 * metric map filled to the given sizes: what a large org's job looks like, or an attack on the
 * gateway's work per operation when the sizes are huge.
 */
export function jobWithMetrics(
  sizes: MetricSizes,
  overrides: Record<string, unknown> = {},
  tenant: Pick<Tenant, 'orgId' | 'sandboxName'> = fakeTenant(),
): Record<string, unknown> {
  const namespaceCodes = Array.from({ length: sizes.namespaces ?? 3 }, (_, index) =>
    index === 0 ? 'ECID' : `ns${index}`,
  );
  const segments: Record<string, unknown>[] = [];
  const counter: Record<string, number> = {};
  const byNamespace: Record<string, Record<string, number>> = {};
  const byStatus: Record<string, Record<string, number>> = {};
  for (let index = 0; index < sizes.segments; index++) {
    const segmentId = `segment-${index}`;
    segments.push({ segmentId });
    counter[segmentId] = index;
    const namespaces: Record<string, number> = {};
    for (const code of namespaceCodes) namespaces[code] = index;
    byNamespace[segmentId] = namespaces;
    byStatus[segmentId] = { realized: index, exited: 1 };
  }
  const byMergePolicy: Record<string, number> = {};
  for (let index = 0; index < (sizes.mergePolicies ?? 1); index++) {
    byMergePolicy[`merge-policy-${index}`] = index;
  }
  return sampleJob(
    {
      status: 'SUCCEEDED',
      segments,
      metrics: {
        totalTime: { startTimeInMs: 1_573_203_617_195, endTimeInMs: 1_573_204_395_000 },
        profileSegmentationTime: {},
        totalProfiles: sizes.segments * 10,
        segmentedProfileCounter: counter,
        segmentedProfileByNamespaceCounter: byNamespace,
        segmentedProfileByStatusCounter: byStatus,
        totalProfilesByMergePolicy: byMergePolicy,
      },
      ...overrides,
    },
    tenant,
  );
}

/**
 * How a {@link createFakeJobListing} reads `start`: `one-based` counts positions from 1 (a
 * missing start is 1); `created-time` takes the sort key of the last job of the previous page
 * (Adobe's "page offset, as per the created time of the resource", e.g. `start=109103839`) and
 * answers the jobs after it. Neither is the 0-based offset the embedded service uses.
 */
export type FakeStartSemantics = 'one-based' | 'created-time';

export interface FakeJobListingOptions {
  semantics: FakeStartSemantics;
  /** Jobs as the upstream holds them (sample jobs); the listing sorts them per request. */
  jobs: Record<string, unknown>[];
  /**
   * How `_links.next.href` is written: `relative` (`/segment/jobs?…`), or `foreign`: an
   * absolute URL on another host and path with an extra parameter the gateway does not send.
   * @default 'relative'
   */
  hrefStyle?: 'relative' | 'foreign';
  /** Runs before each list request is answered (e.g. to create or delete jobs "between pages"). */
  beforeAnswer?: (request: RecordedRequest, listIndex: number) => void;
}

/** A `GET /segment/jobs` handler that pages with start semantics other than 0-based offsets. */
export function createFakeJobListing(options: FakeJobListingOptions): FakeHandler {
  let listIndex = 0;
  return (request) => {
    options.beforeAnswer?.(request, listIndex);
    listIndex += 1;
    const query = request.query;
    const [field = 'creationTime', direction = 'desc'] = (query.get('sort') ?? '').split(':');
    const keyOf = (job: Record<string, unknown>): number => Number(job[field] ?? 0);
    const sign = direction === 'asc' ? 1 : -1;
    const status = query.get('status');
    const all = options.jobs
      .filter((job) => status === null || job.status === status)
      .sort(
        (a, b) => sign * (keyOf(a) - keyOf(b)) || String(a.id).localeCompare(String(b.id), 'en'),
      );
    const limit = Number(query.get('limit') ?? '20');
    const start = query.get('start');
    let from: number;
    if (options.semantics === 'one-based') {
      from = start === null ? 0 : Math.max(Number(start) - 1, 0);
    } else {
      const token = start === null ? undefined : Number(start);
      from = token === undefined ? 0 : all.findIndex((job) => sign * (keyOf(job) - token) > 0);
      if (from < 0) from = all.length;
    }
    const children = all.slice(from, from + limit);
    const hasMore = from + limit < all.length;
    let nextStart = '';
    if (hasMore) {
      const last = children.at(-1);
      nextStart =
        options.semantics === 'one-based'
          ? String(from + limit + 1)
          : String(last === undefined ? 0 : keyOf(last));
    }
    const next = new URLSearchParams(query);
    next.set('start', nextStart);
    const href =
      options.hrefStyle === 'foreign'
        ? `https://elsewhere.invalid/other/path?${next}&totalCount=${all.length}`
        : `/segment/jobs?${next}`;
    return {
      status: 200,
      body: {
        _page: { totalCount: all.length, pageSize: children.length },
        children,
        _links: { next: hasMore ? { href } : {} },
      },
    };
  };
}
