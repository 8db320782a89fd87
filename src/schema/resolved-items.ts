// The per-operation budget on list items resolved from upstream-sized data (a job's segments and
// errors, metric rows, namespaces, merge policies). Resolvers charge it before producing items;
// it never reads a job itself and holds nothing but counts.
import type { GraphQLError, GraphQLResolveInfo } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

/** The environment variable that sets the budget, named in the refusal. */
export const RESOLVED_ITEMS_VARIABLE = 'GRAPHQL_MAX_RESOLVED_ITEMS';

/** What a resolver needs to tell executions apart (a subscription executes once per event). */
export type ExecutionInfo = Pick<GraphQLResolveInfo, 'rootValue' | 'operation'>;

export interface ResolvedItemsBudget {
  /** Items allowed per execution. */
  readonly limit: number;
  /**
   * Takes `count` items of the execution `info` belongs to, or throws the limit error (as it
   * does for every later charge of that execution) when they would pass the limit.
   */
  charge(count: number, info: ExecutionInfo): void;
  /**
   * Throws the limit error when `count` more items would pass the limit, without taking them:
   * for a resolver that learns its size in steps and must stop before the last step.
   */
  check(count: number, info: ExecutionInfo): void;
  /** The limit error of that execution, once a charge passed the limit. */
  exceeded(info: ExecutionInfo): GraphQLError | undefined;
  /** Items taken so far by that execution. */
  used(info: ExecutionInfo): number;
}

interface Tally {
  used: number;
  error: GraphQLError | undefined;
}

/** The refusal: the count reached, the limit and the variable that sets it. */
export function resolvedItemsError(count: number, limit: number): GraphQLError {
  return createGraphQLError(
    `This operation resolves at least ${count} list items (segments, metric entries, namespaces); the limit is ${limit} (${RESOLVED_ITEMS_VARIABLE}). Ask for fewer jobs or fewer metric fields.`,
    { extensions: { code: 'BAD_USER_INPUT', limit, variable: RESOLVED_ITEMS_VARIABLE } },
  );
}

/**
 * A budget of `limit` items per execution. An operation over HTTP executes once; a subscription
 * executes once per event, with the event as its root value, so each event has its own budget.
 */
export function createResolvedItemsBudget(limit: number): ResolvedItemsBudget {
  const byRoot = new WeakMap<object, Tally>();
  const tallyOf = (info: ExecutionInfo): Tally => {
    const root: unknown = info.rootValue;
    const key = typeof root === 'object' && root !== null ? root : info.operation;
    let tally = byRoot.get(key);
    if (tally === undefined) {
      tally = { used: 0, error: undefined };
      byRoot.set(key, tally);
    }
    return tally;
  };
  const refuse = (tally: Tally, count: number): never => {
    tally.error ??= resolvedItemsError(tally.used + count, limit);
    throw tally.error;
  };
  return {
    limit,
    charge(count, info) {
      const tally = tallyOf(info);
      if (tally.error !== undefined || tally.used + count > limit) refuse(tally, count);
      tally.used += count;
    },
    check(count, info) {
      const tally = tallyOf(info);
      if (tally.error !== undefined || tally.used + count > limit) refuse(tally, count);
    },
    exceeded: (info) => tallyOf(info).error,
    used: (info) => tallyOf(info).used,
  };
}

/** A budget bound to one execution, as the pure list builders take it. */
export interface ItemCharge {
  /** Takes `count` items or throws the limit error. */
  charge(count: number): void;
  /** Throws the limit error when `count` more items would pass the limit; takes nothing. */
  check(count: number): void;
}

/** No limit: for callers outside an operation (tests, tools). */
export const UNLIMITED_ITEMS: ItemCharge = { charge() {}, check() {} };

/** `budget` bound to the execution `info` belongs to. */
export function itemChargeOf(budget: ResolvedItemsBudget, info: ExecutionInfo): ItemCharge {
  return {
    charge: (count) => budget.charge(count, info),
    check: (count) => budget.check(count, info),
  };
}
