import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createOperationLimitsRule, type OperationLimits } from './operation-limits.ts';

const schema = buildSchema(`
  type Query {
    job(id: ID!): Job
    jobs(first: Int = 20): JobConnection!
    many(ids: [ID!]!): [Job]!
  }
  type JobConnection { edges: [JobEdge!]! totalCount: Int! }
  type JobEdge { node: Job! }
  type Job { id: ID! status: String! parent: Job tags: [String!]! history(last: Int = 20): [Point!] }
  type Point { a: Int b: Int c: Int }
`);

const limits: OperationLimits = { maxDepth: 4, maxAliases: 3, maxDirectives: 2, maxCost: 500 };

function errorsOf(query: string, overrides: Partial<OperationLimits> = {}): string[] {
  const rule = createOperationLimitsRule({ ...limits, ...overrides });
  return validate(schema, parse(query), [...specifiedRules, rule]).map((error) => error.message);
}

function codesOf(query: string): unknown[] {
  const rule = createOperationLimitsRule(limits);
  return validate(schema, parse(query), [rule]).map((error) => error.extensions.code);
}

describe('operation limits', () => {
  it.each([
    ['a last of 10', '{ job(id: 1) { history(last: 10) { a b c } } }', 0],
    ['a last of 200', '{ job(id: 1) { history(last: 200) { a b c } } }', 1],
    [
      'the default last (20) under 5 jobs',
      '{ jobs(first: 5) { edges { node { history { a b } } } } }',
      0,
    ],
    [
      'the default last (20) under 20 jobs',
      '{ jobs(first: 20) { edges { node { history { a b } } } } }',
      1,
    ],
  ])('counts a `last` page size like `first`: %s', (_name, query, errorCount) => {
    expect(errorsOf(query).filter((message) => message.startsWith('Query cost'))).toHaveLength(
      errorCount,
    );
  });

  it.each([
    ['depth within the limit', '{ job(id: 1) { parent { parent { id } } } }', []],
    [
      'depth over the limit',
      '{ job(id: 1) { parent { parent { parent { id } } } } }',
      ['Query depth is 5; the limit is 4.'],
    ],
    [
      'depth hidden in a fragment named __schema',
      '{ job(id: 1) { ...__schema } } fragment __schema on Job { parent { parent { parent { id } } } }',
      ['Query depth is 5; the limit is 4.'],
    ],
    [
      'depth hidden in an inline fragment',
      '{ job(id: 1) { ... on Job { parent { parent { parent { id } } } } } }',
      ['Query depth is 5; the limit is 4.'],
    ],
    ['three aliases', '{ a: job(id: 1) { id } b: job(id: 2) { id } c: job(id: 3) { id } }', []],
    [
      'four aliases',
      '{ a: job(id: 1) { id } b: job(id: 2) { id } c: job(id: 3) { id } d: job(id: 4) { id } }',
      ['Query uses 4 aliases; the limit is 3.'],
    ],
    [
      'aliases of __typename are free',
      '{ a: __typename b: __typename c: __typename d: __typename e: __typename }',
      [],
    ],
    [
      'a reused fragment counts its aliases at every spread',
      '{ job(id: 1) { ...F parent { ...F } } } fragment F on Job { x: id y: status }',
      ['Query uses 4 aliases; the limit is 3.'],
    ],
    [
      'directives counted through fragments',
      '{ job(id: 1) @include(if: true) { ...F } } fragment F on Job { id @skip(if: false) status @skip(if: false) }',
      ['Query uses 3 directives; the limit is 2.'],
    ],
    ['a page of 20 jobs is cheap', '{ jobs(first: 20) { edges { node { id status } } } }', []],
    [
      'a page of 100 with a list per job costs more',
      '{ jobs(first: 100) { edges { node { id status tags } } } }',
      [
        'Query cost is estimated at 501; the limit is 500. Ask for fewer items (smaller first/ids) or fewer fields.',
      ],
    ],
    [
      'a variable page size counts as the largest page',
      'query($n: Int) { jobs(first: $n) { edges { node { id status tags } } } }',
      [
        'Query cost is estimated at 501; the limit is 500. Ask for fewer items (smaller first/ids) or fewer fields.',
      ],
    ],
    [
      'ids count toward cost',
      `{ many(ids: [${Array.from({ length: 300 }, (_, i) => `"${i}"`).join(',')}]) { id status } }`,
      [
        'Query cost is estimated at 601; the limit is 500. Ask for fewer items (smaller first/ids) or fewer fields.',
      ],
    ],
  ])('%s', (_name, query, expected) => {
    expect(errorsOf(query)).toEqual(expected);
  });

  it("accepts GraphiQL's standard introspection query: introspection has its own depth allowance", () => {
    expect(errorsOf(getIntrospectionQuery(), { maxDepth: 2 })).toEqual([]);
  });

  it.each([
    [
      'a loop inside __schema',
      '{ __schema { types { fields { type { fields { name } } } } } }',
      [
        'Introspection repeats "fields" inside itself; expected each introspection field (except ofType) at most once per path.',
      ],
    ],
    [
      'a loop inside __type reached through a fragment',
      '{ ...F } fragment F on Query { __type(name: "Job") { fields { type { fields { name } } } } }',
      [
        'Introspection repeats "fields" inside itself; expected each introspection field (except ofType) at most once per path.',
      ],
    ],
    [
      'ofType nested past the introspection allowance',
      `{ __schema { types { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } } }`,
      ['Introspection depth is 23; the limit is 20.'],
    ],
  ])('refuses %s', (_name, query, expected) => {
    expect(errorsOf(query)).toEqual(expected);
  });

  it('rejects with BAD_USER_INPUT', () => {
    expect(codesOf('{ job(id: 1) { parent { parent { parent { parent { id } } } } } }')).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('survives a fragment cycle (reported by the spec rules, not a stack overflow)', () => {
    const messages = errorsOf(
      '{ job(id: 1) { ...A } } fragment A on Job { parent { ...B } } fragment B on Job { parent { ...A } }',
      { maxDepth: 1000 },
    );
    expect(messages.some((message) => message.includes('Cannot spread fragment'))).toBe(true);
  });
});
