import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateProfiles } from '../demo-profiles.ts';
import type { PqlFunctionName, PqlNode, PqlScalar } from './ast.ts';
import { compileTree } from './compiler.ts';
import { compilePql } from './index.ts';
import { printPqlText, toPqlJson } from './print.ts';
import { parsePqlText } from './text-parser.ts';

const PATHS = [
  'homeAddress.country',
  'homeAddress.city',
  'workAddress.country',
  'workAddress',
  'person.name.firstName',
  'person.birthDate',
  'person.gender',
  'loyalty',
  'loyalty.tier',
  'loyalty.points',
  'personalEmail.address',
  'consents.marketing.email.val',
  'flag',
  'missing.field',
];

/** Demo profiles plus hand-made odd ones: nulls, wrong types, booleans. */
const PROFILES: unknown[] = [
  ...generateProfiles(150, { seed: 99 }),
  {},
  { homeAddress: null, loyalty: null, flag: true },
  { homeAddress: { country: 1 }, loyalty: { points: '1500', tier: 3 }, flag: false },
  { homeAddress: { country: ['US'] }, person: { name: { firstName: 'ALICE' } } },
  { homeAddress: { country: 'us', city: '' }, loyalty: { points: -0.5 } },
];

const at = {};

function path(text: string): PqlNode {
  return { kind: 'path', segments: text.split('.'), at };
}

function literal(value: PqlScalar): PqlNode {
  return { kind: 'literal', value, at };
}

function call(fn: PqlFunctionName, args: PqlNode[]): PqlNode {
  return { kind: 'call', fn, args, at };
}

const pathArb = fc.constantFrom(...PATHS).map(path);
const text = fc.oneof(
  fc.constantFrom('US', 'CA', 'gold', 'silver', 'a', 'Al', '.com', '', '1985', 'San', 'y'),
  fc.string({ maxLength: 4 }),
);
const number = fc.oneof(
  fc.integer({ min: -10, max: 25_000 }),
  fc.double({ min: -1e5, max: 1e5, noNaN: true, noDefaultInfinity: true }),
);
const scalar = fc.oneof(text, number, fc.boolean());
const orderable = fc.oneof(text, number).map((value) => literal(value));

const comparison = fc.oneof(
  fc
    .tuple(fc.constantFrom('=', '!='), pathArb, scalar.map(literal), fc.boolean())
    .map(([fn, field, value, isFlipped]) => call(fn, isFlipped ? [value, field] : [field, value])),
  fc
    .tuple(fc.constantFrom('<', '<=', '>', '>='), pathArb, orderable, fc.boolean())
    .map(([fn, field, value, isFlipped]) => call(fn, isFlipped ? [value, field] : [field, value])),
  fc
    .tuple(fc.constantFrom('=', '!=', '<', '>='), pathArb, pathArb)
    .map(([fn, left, right]) => call(fn, [left, right])),
);
const membership = fc
  .tuple(fc.constantFrom('in', 'notIn'), pathArb, fc.array(scalar, { maxLength: 4 }))
  .map(([fn, field, items]): PqlNode => call(fn, [field, { kind: 'list', items, at }]));
const stringTest = fc
  .tuple(
    fc.constantFrom('contains', 'startsWith', 'endsWith'),
    pathArb,
    fc.oneof(text.map(literal), pathArb),
    fc.option(fc.boolean(), { nil: undefined }),
  )
  .map(([fn, field, needle, isCaseSensitive]) =>
    call(
      fn,
      isCaseSensitive === undefined ? [field, needle] : [field, needle, literal(isCaseSensitive)],
    ),
  );
const like = fc
  .tuple(
    pathArb,
    fc.array(fc.constantFrom('%', '_', 'a', 'e', 'U', 'S', '.', '1'), { maxLength: 6 }),
  )
  .map(([field, chars]) => call('like', [field, literal(chars.join(''))]));
const existence = fc
  .tuple(fc.constantFrom('exists', 'isNull', 'isNotNull'), pathArb)
  .map(([fn, field]) => call(fn, [field]));
const leaf = fc.oneof(
  comparison,
  membership,
  stringTest,
  like,
  existence,
  pathArb,
  fc.boolean().map(literal),
);

const { tree: treeArb } = fc.letrec<{ tree: PqlNode }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('tree'), { minLength: 2, maxLength: 5 }).map((args) => call('and', args)),
    fc.array(tie('tree'), { minLength: 2, maxLength: 5 }).map((args) => call('or', args)),
    tie('tree').map((inner) => call('not', [inner])),
  ),
}));

/** A deliberately naive tree-walking reading of the PQL rules, to check the compiled closures. */
function read(profile: unknown, segments: readonly string[]): unknown {
  let value = profile;
  for (const segment of segments) {
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.hasOwn(value, segment)
    ) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function isScalar(value: unknown): value is PqlScalar {
  return ['string', 'number', 'boolean'].includes(typeof value);
}

function value(node: PqlNode, profile: unknown): unknown {
  if (node.kind === 'path') return read(profile, node.segments);
  if (node.kind === 'literal') return node.value;
  if (node.kind === 'call') return reference(node, profile);
  throw new Error('lists have no value');
}

function referenceLike(pattern: string, subject: string): boolean {
  const source = [...pattern]
    .map((char) =>
      char === '%' ? '.*' : char === '_' ? '.' : char.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, 'su').test(subject);
}

function reference(node: PqlNode, profile: unknown): boolean {
  if (node.kind === 'path') {
    const found = read(profile, node.segments);
    return typeof found === 'boolean' ? found : found !== undefined && found !== null;
  }
  if (node.kind === 'literal') return node.value === true;
  if (node.kind === 'list') throw new Error('a list is not a condition');
  const [first, second, third] = node.args;
  const a =
    first === undefined
      ? undefined
      : node.fn === 'in' || node.fn === 'notIn'
        ? value(first, profile)
        : first.kind === 'list'
          ? undefined
          : value(first, profile);
  switch (node.fn) {
    case 'and':
      return node.args.every((arg) => reference(arg, profile));
    case 'or':
      return node.args.some((arg) => reference(arg, profile));
    case 'not':
      return !reference(first as PqlNode, profile);
    case 'exists':
    case 'isNotNull':
      return a !== undefined && a !== null;
    case 'isNull':
      return a === undefined || a === null;
    case 'in':
    case 'notIn': {
      if (!isScalar(a) || second?.kind !== 'list') return false;
      const isMember = second.items.some((item) => item === a);
      return node.fn === 'in' ? isMember : !isMember;
    }
    case 'like':
      return (
        typeof a === 'string' &&
        second?.kind === 'literal' &&
        referenceLike(String(second.value), a)
      );
    case 'contains':
    case 'startsWith':
    case 'endsWith': {
      const needle = value(second as PqlNode, profile);
      if (typeof a !== 'string' || typeof needle !== 'string') return false;
      const isCaseSensitive = third?.kind !== 'literal' || third.value !== false;
      const subject = isCaseSensitive ? a : a.toLowerCase();
      const wanted = isCaseSensitive ? needle : needle.toLowerCase();
      if (node.fn === 'contains') return subject.includes(wanted);
      return node.fn === 'startsWith' ? subject.startsWith(wanted) : subject.endsWith(wanted);
    }
    default: {
      const b = value(second as PqlNode, profile);
      if (!isScalar(a) || !isScalar(b) || typeof a !== typeof b) return false;
      if (node.fn === '=') return a === b;
      if (node.fn === '!=') return a !== b;
      if (typeof a === 'boolean') return false;
      if (node.fn === '<') return a < b;
      if (node.fn === '<=') return a <= b;
      if (node.fn === '>') return a > b;
      return a >= b;
    }
  }
}

/** Strips locations so trees from different sources compare by meaning. */
function withoutLocations(node: PqlNode): unknown {
  return JSON.parse(
    JSON.stringify(node, (key, item: unknown) => (key === 'at' ? undefined : item)),
  );
}

describe('compiled expressions, checked against a naive reference on generated trees', () => {
  it('give the reference answer for every profile', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const { predicate } = compileTree(tree);
        for (const profile of PROFILES) {
          expect(predicate(profile), printPqlText(tree)).toBe(reference(tree, profile));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('give the same answers from pql/text and from pql/json', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const fromText = compilePql({ format: 'pql/text', value: printPqlText(tree) });
        const fromJson = compilePql({ format: 'pql/json', value: JSON.stringify(toPqlJson(tree)) });
        expect(fromJson.fields).toEqual(fromText.fields);
        for (const profile of PROFILES) {
          expect(fromJson.evaluate(profile)).toBe(fromText.evaluate(profile));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('read back the same tree from printed pql/text', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        expect(withoutLocations(parsePqlText(printPqlText(tree)))).toEqual(withoutLocations(tree));
      }),
      { numRuns: 300 },
    );
  });

  it('make = and != together cover exactly the profiles where the field holds a value of the literal’s type', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), scalar, (field, literalValue) => {
        const equal = compilePql({
          format: 'pql/text',
          value: `${field} = ${printPqlText(literal(literalValue))}`,
        });
        const unequal = compilePql({
          format: 'pql/text',
          value: `${field} != ${printPqlText(literal(literalValue))}`,
        });
        for (const profile of PROFILES) {
          const found = read(profile, field.split('.'));
          const isComparable = isScalar(found) && typeof found === typeof literalValue;
          expect(equal.evaluate(profile) || unequal.evaluate(profile)).toBe(isComparable);
          expect(equal.evaluate(profile) && unequal.evaluate(profile)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
