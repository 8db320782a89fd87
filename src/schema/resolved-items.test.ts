import { Kind, type OperationDefinitionNode, OperationTypeNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { SegmentJobMetricsModel } from '../domain/index.ts';
import { createResolvedItemsBudget, itemChargeOf } from './resolved-items.ts';
import { counterEntries, segmentMetricsOf } from './segment-job-metrics.ts';

const operation: OperationDefinitionNode = {
  kind: Kind.OPERATION_DEFINITION,
  operation: OperationTypeNode.QUERY,
  selectionSet: { kind: Kind.SELECTION_SET, selections: [] },
};
const query = { rootValue: undefined, operation };

describe('createResolvedItemsBudget', () => {
  it('takes items up to the limit, then refuses that charge and every later one', () => {
    const budget = createResolvedItemsBudget(10);
    budget.charge(6, query);
    budget.charge(4, query);
    expect(() => budget.charge(1, query)).toThrow(
      'This operation resolves at least 11 list items (segments, metric entries, namespaces); the limit is 10 (GRAPHQL_MAX_RESOLVED_ITEMS). Ask for fewer jobs or fewer metric fields.',
    );
    expect(() => budget.charge(0, query)).toThrow('at least 11 list items');
    expect(budget.exceeded(query)?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      limit: 10,
      variable: 'GRAPHQL_MAX_RESOLVED_ITEMS',
    });
    expect(budget.used(query)).toBe(10);
  });

  it('check refuses without taking anything', () => {
    const budget = createResolvedItemsBudget(10);
    budget.check(10, query);
    expect(budget.used(query)).toBe(0);
    expect(() => budget.check(11, query)).toThrow('at least 11 list items');
    expect(budget.exceeded(query)).toBeDefined();
  });

  it('gives each subscription event (root value) its own budget', () => {
    const budget = createResolvedItemsBudget(10);
    const first = { rootValue: { event: 1 }, operation };
    const second = { rootValue: { event: 2 }, operation };
    budget.charge(10, first);
    budget.charge(10, second);
    expect(() => budget.charge(1, first)).toThrow();
    expect(budget.exceeded(second)).toBeUndefined();
  });
});

describe('segmentMetricsOf under a budget', () => {
  it('refuses before reading the next map once one map alone passes what is left', () => {
    const reads: string[] = [];
    const map = (name: string, keys: number) => {
      reads.push(name);
      return Object.fromEntries(Array.from({ length: keys }, (_, index) => [`s${index}`, 1]));
    };
    const metrics: SegmentJobMetricsModel = {
      get segmentedProfileCounter() {
        return map('counter', 30);
      },
      get segmentedProfileByNamespaceCounter() {
        reads.push('byNamespace');
        return {};
      },
    };
    const budget = createResolvedItemsBudget(20);
    expect(() => segmentMetricsOf(metrics, itemChargeOf(budget, query))).toThrow(
      'at least 30 list items',
    );
    expect(reads).toEqual(['counter']);
    expect(budget.used(query)).toBe(0);
  });

  it('charges one item per segment id across the maps, and the namespaces when listed', () => {
    const budget = createResolvedItemsBudget(100);
    const items = itemChargeOf(budget, query);
    const entries = segmentMetricsOf(
      {
        segmentedProfileCounter: { a: 1, b: 2 },
        segmentedProfileByNamespaceCounter: { b: { ECID: 2, email: 1 }, c: { ECID: 1 } },
      },
      items,
    );
    expect(entries.map((entry) => entry.segmentId)).toEqual(['a', 'b', 'c']);
    expect(budget.used(query)).toBe(3);
    expect(counterEntries(entries[1]?.namespaces, items)).toEqual([
      ['ECID', 2],
      ['email', 1],
    ]);
    expect(budget.used(query)).toBe(5);
  });
});
