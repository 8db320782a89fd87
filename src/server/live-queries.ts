// `@live` queries kept fresh by the watcher, not by a timer: a live query's result is pushed again
// when a job in it changes status (the watcher's observations invalidate `SegmentJob:<id>`) and,
// for `segmentJobs`, when the tenant feed sees a job created. Owns the tenant-scoped keys, the
// watches a live query holds, and one execution per invalidation for identical live queries.
import {
  GraphQLLiveDirective,
  getLiveDirectiveArgumentValues,
  getLiveDirectiveNode,
  type GraphQLLiveDirective as LiveDirective,
} from '@n1ru4l/graphql-live-query';
import { InMemoryLiveQueryStore } from '@n1ru4l/in-memory-live-query-store';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  GraphQLSchema,
  getOperationAST,
  Kind,
  print,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { SegmentJobModel, Tenant } from '../domain/index.ts';
import type { JobStatusEvent } from '../pubsub/index.ts';
import type { SubscriptionQuota } from '../services/subscription-quota.ts';
import type { Watcher } from '../watcher/index.ts';

export interface LiveQueryStats {
  /** Live query executions (first results and re-executions after an invalidation). */
  executions: number;
  /** Results delivered to a live query from an execution made for an identical one. */
  shared: number;
  /** Invalidations by key kind: a job's status changed, a tenant's list gained a job. */
  jobInvalidations: number;
  listInvalidations: number;
}

export interface LiveQueryOptions<TContext> {
  watcher: Pick<Watcher, 'watchJobs' | 'watchTenant'>;
  /** Live queries count as subscriptions: same per-tenant cap. */
  quota: SubscriptionQuota;
  /** The caller's tenant from an operation's context; throws the error the caller should see. */
  tenantOf(context: TContext): Tenant;
  /**
   * A fresh context for one execution (new loaders, a fresh resolved-items budget) from the
   * context the live query arrived with. `signal` aborts its upstream calls once nobody listens;
   * `observedJobs` are put in its job loader so a re-execution reads what the watcher just saw.
   */
  freshContext(
    context: TContext,
    signal: AbortSignal,
    observedJobs: readonly SegmentJobModel[],
  ): TContext;
  stats?: LiveQueryStats | undefined;
}

type Result = ExecutionResult;

/** One client's live query: the latest result it has not taken yet (older ones are dropped). */
interface Listener {
  push(result: Result): void;
  end(): void;
}

/** Identical live queries of one tenant: one store execution, its results sent to every listener. */
interface SharedQuery {
  listeners: Set<Listener>;
  last: Result | undefined;
  stop(): void;
}

/** A job or the feed watched for a tenant's live queries, with the live queries holding it. */
interface Watch {
  holders: number;
  abort: AbortController;
}

interface TenantLive {
  tenant: Tenant;
  jobs: Map<string, Watch>;
  feed: Watch | undefined;
  /** Latest status and job each watched job had, as executed or as observed since. */
  known: Map<string, { status: string | undefined; job: SegmentJobModel | undefined }>;
}

/** `SegmentJob:<id>` within one tenant: what a job's observation invalidates. */
export function jobKey(tenantKey: string, jobId: string): string {
  return `SegmentJob:${jobId}@${encodeURIComponent(tenantKey)}`;
}

/** A tenant's `segmentJobs` lists: what a job created (seen by the tenant feed) invalidates. */
export function jobListKey(tenantKey: string): string {
  return `Query.segmentJobs@${encodeURIComponent(tenantKey)}`;
}

/** The store's per-execution context (its original context under a private symbol). */
interface StoreContext {
  collectResourceIdentifier(parameter: { typename: string; id: string }): void;
  addResourceIdentifier(values: string | readonly string[] | null | undefined): void;
}

function isStoreContext(value: unknown): value is StoreContext & Record<symbol, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'collectResourceIdentifier') === 'function'
  );
}

/** Whether an operation asks to be live (`@live`, `@live(if: true)`). */
function isLive(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation === null || operation === undefined || operation.operation !== 'query') {
    return false;
  }
  const directive = getLiveDirectiveNode(operation);
  if (directive === null || directive === undefined) return false;
  return getLiveDirectiveArgumentValues(directive, args.variableValues).isLive;
}

function selectsJobList(document: DocumentNode, operationName: string | null | undefined) {
  const operation = getOperationAST(document, operationName);
  return (
    operation?.selectionSet.selections.some(
      (selection) => selection.kind === Kind.FIELD && selection.name.value === 'segmentJobs',
    ) === true
  );
}

/** The status each job id of `ids` shows in a result, where the query selected it. */
function statusesIn(data: unknown, ids: ReadonlySet<string>, into: Map<string, string>): void {
  if (Array.isArray(data)) {
    for (const item of data) statusesIn(item, ids, into);
    return;
  }
  if (typeof data !== 'object' || data === null) return;
  const { id, status } = data as { id?: unknown; status?: unknown };
  if (typeof id === 'string' && ids.has(id) && typeof status === 'string') into.set(id, status);
  for (const value of Object.values(data)) statusesIn(value, ids, into);
}

/**
 * The envelop plugin: adds the `@live` directive to the schema and serves live queries. Keys are
 * tenant-scoped (`jobKey`, `jobListKey`), so one tenant's observation never re-executes another
 * tenant's query. Nothing here polls: a live query holds watcher watches (the job ids its last
 * result held; the tenant feed for `segmentJobs`) exactly like a subscription over the same jobs,
 * and the watcher's shared polling is the only upstream traffic between executions.
 */
export function useLiveQueries<TContext>(options: LiveQueryOptions<TContext>): Plugin {
  // One store: identifiers are made tenant-scoped before they reach it (see `execute` below).
  const store = new InMemoryLiveQueryStore();
  const tenants = new Map<string, TenantLive>();
  const shared = new Map<string, SharedQuery>();
  const printed = new WeakMap<DocumentNode, string>();
  const stats = options.stats;

  const tenantLive = (tenant: Tenant): TenantLive => {
    let live = tenants.get(tenant.key);
    if (live === undefined) {
      live = { tenant, jobs: new Map(), feed: undefined, known: new Map() };
      tenants.set(tenant.key, live);
    }
    return live;
  };
  const dropIfIdle = (live: TenantLive): void => {
    if (live.jobs.size === 0 && live.feed === undefined) tenants.delete(live.tenant.key);
  };

  /** An observation of the watcher: invalidates the job's key when its status is news. */
  const observed = (live: TenantLive, event: JobStatusEvent): void => {
    const key = live.tenant.key;
    if (event.previousStatus === null && !event.initial && live.feed !== undefined) {
      if (stats) stats.listInvalidations++;
      void store.invalidate(jobListKey(key));
    }
    const known = live.known.get(event.jobId);
    if (known === undefined) return;
    known.job = event.job;
    if (known.status === event.status) return;
    known.status = event.status;
    if (stats) stats.jobInvalidations++;
    void store.invalidate(jobKey(key, event.jobId));
  };

  const follow = (live: TenantLive, events: AsyncIterableIterator<JobStatusEvent>) => {
    void (async () => {
      try {
        for await (const event of events) observed(live, event);
      } catch {
        // A job that went away or credentials the upstream refused: the next execution says so.
      }
    })();
  };

  const holdJob = (live: TenantLive, id: string): void => {
    const watch = live.jobs.get(id);
    if (watch !== undefined) {
      watch.holders++;
      return;
    }
    const abort = new AbortController();
    live.jobs.set(id, { holders: 1, abort });
    if (!live.known.has(id)) live.known.set(id, { status: undefined, job: undefined });
    follow(live, options.watcher.watchJobs(live.tenant, [id], { signal: abort.signal }));
  };
  const releaseJob = (live: TenantLive, id: string): void => {
    const watch = live.jobs.get(id);
    if (watch === undefined) return;
    watch.holders--;
    if (watch.holders > 0) return;
    watch.abort.abort();
    live.jobs.delete(id);
    live.known.delete(id);
    dropIfIdle(live);
  };
  const holdFeed = (live: TenantLive): void => {
    if (live.feed !== undefined) {
      live.feed.holders++;
      return;
    }
    const abort = new AbortController();
    live.feed = { holders: 1, abort };
    follow(live, options.watcher.watchTenant(live.tenant, { signal: abort.signal }));
  };
  const releaseFeed = (live: TenantLive): void => {
    if (live.feed === undefined) return;
    live.feed.holders--;
    if (live.feed.holders > 0) return;
    live.feed.abort.abort();
    live.feed = undefined;
    dropIfIdle(live);
  };

  /** Starts the one execution identical live queries of a tenant share. */
  const startShared = (
    key: string,
    args: ExecutionArgs,
    tenant: Tenant,
    executeFn: (args: ExecutionArgs) => unknown,
  ): SharedQuery => {
    const live = tenantLive(tenant);
    const abort = new AbortController();
    const context = args.contextValue as TContext;
    const isList = selectsJobList(args.document, args.operationName);
    let held = new Set<string>();
    if (isList) holdFeed(live);

    const execute = (storeArgs: ExecutionArgs): unknown => {
      const storeContext = storeArgs.contextValue;
      if (!isStoreContext(storeContext)) {
        throw new Error('expected the live query store context, but got another value');
      }
      const original = Object.getOwnPropertySymbols(storeContext).find(
        (symbol) => symbol.description === 'originalContext',
      );
      if (original === undefined) throw new Error('expected the store context symbol');
      if (stats) stats.executions++;
      const observedJobs: SegmentJobModel[] = [];
      for (const id of held) {
        const job = live.known.get(id)?.job;
        if (job !== undefined) observedJobs.push(job);
      }
      const jobIds = new Set<string>();
      const scoped: StoreContext & Record<symbol, unknown> = {
        ...storeContext,
        [original]: options.freshContext(context, abort.signal, observedJobs),
        collectResourceIdentifier: ({ typename, id }) => {
          if (typename === 'SegmentJob') jobIds.add(id);
          storeContext.addResourceIdentifier(
            typename === 'SegmentJob'
              ? jobKey(tenant.key, id)
              : `${typename}:${id}@${encodeURIComponent(tenant.key)}`,
          );
        },
      };
      if (isList) storeContext.addResourceIdentifier(jobListKey(tenant.key));
      const settle = (result: unknown): unknown => {
        if (abort.signal.aborted) return result;
        // The jobs this result shows are the ones to watch from now on.
        const statuses = new Map<string, string>();
        statusesIn((result as Result).data, jobIds, statuses);
        for (const id of jobIds) if (!held.has(id)) holdJob(live, id);
        for (const id of held) if (!jobIds.has(id)) releaseJob(live, id);
        held = jobIds;
        for (const id of jobIds) {
          const known = live.known.get(id);
          if (known !== undefined) known.status = statuses.get(id) ?? known.status;
        }
        return result;
      };
      const result = executeFn({ ...storeArgs, contextValue: scoped });
      return result instanceof Promise ? result.then(settle) : settle(result);
    };

    const results = store.makeExecute(execute as never)({ ...args, contextValue: context });
    const query: SharedQuery = {
      listeners: new Set(),
      last: undefined,
      stop() {
        abort.abort();
        shared.delete(key);
        for (const id of held) releaseJob(live, id);
        held = new Set();
        if (isList) releaseFeed(live);
        void Promise.resolve(results).then((stream) => {
          if (isAsyncIterable(stream)) void stream.return?.();
        });
      },
    };
    void (async () => {
      const stream = await results;
      if (!isAsyncIterable(stream)) {
        for (const listener of query.listeners) listener.push(stream);
        query.stop();
        return;
      }
      for await (const result of stream) {
        const plain: Result = { ...result };
        delete (plain as { isLive?: boolean }).isLive;
        query.last = plain;
        let isFirst = true;
        for (const listener of query.listeners) {
          if (!isFirst && stats) stats.shared++;
          isFirst = false;
          listener.push(plain);
        }
      }
    })().catch(() => {
      for (const listener of query.listeners) listener.end();
    });
    return query;
  };

  const liveExecute =
    (executeFn: (args: ExecutionArgs) => unknown) =>
    (args: ExecutionArgs): Result | AsyncIterableIterator<Result> => {
      let tenant: Tenant;
      let release: () => void;
      try {
        tenant = options.tenantOf(args.contextValue as TContext);
        release = options.quota.acquire(tenant.key);
      } catch (error) {
        return { errors: [asGraphQLError(error)] };
      }
      let document = printed.get(args.document);
      if (document === undefined) {
        document = print(args.document);
        printed.set(args.document, document);
      }
      const key = JSON.stringify([
        tenant.key,
        document,
        args.operationName ?? '',
        args.variableValues ?? {},
      ]);
      let query = shared.get(key);
      if (query === undefined) {
        query = startShared(key, args, tenant, executeFn);
        shared.set(key, query);
      }
      return listen(query, release);
    };

  return {
    onSchemaChange({ schema, replaceSchema }) {
      if (schema.getDirective(GraphQLLiveDirective.name) !== undefined) return;
      const config = schema.toConfig();
      replaceSchema(
        new GraphQLSchema({
          ...config,
          directives: [...config.directives, GraphQLLiveDirective as typeof LiveDirective],
        }),
      );
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!isLive(args)) return;
      setExecuteFn(liveExecute(executeFn as (args: ExecutionArgs) => unknown) as never);
    },
  };
}

/** One listener on a shared query, as the async iterator a transport reads. */
function listen(query: SharedQuery, release: () => void): AsyncIterableIterator<Result> {
  let pending: Result | undefined = query.last;
  let isEnded = false;
  let wake: (() => void) | undefined;
  const listener: Listener = {
    push(result) {
      // Only the newest result matters to a live query: an unread older one is replaced.
      pending = result;
      wake?.();
    },
    end() {
      isEnded = true;
      wake?.();
    },
  };
  query.listeners.add(listener);
  const finish = (): IteratorResult<Result> => {
    if (query.listeners.delete(listener)) {
      release();
      if (query.listeners.size === 0) query.stop();
    }
    isEnded = true;
    wake?.();
    return { done: true, value: undefined };
  };
  return {
    async next() {
      while (pending === undefined && !isEnded) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (pending !== undefined) {
        const value = pending;
        pending = undefined;
        return { done: false, value };
      }
      return finish();
    },
    async return() {
      return finish();
    },
    async throw() {
      return finish();
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  return new GraphQLError(error instanceof Error ? error.message : String(error));
}

function isAsyncIterable(value: unknown): value is AsyncIterableIterator<Result> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
