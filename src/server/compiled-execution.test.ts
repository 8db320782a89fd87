// The compiled-operation cache: bounded by operations, least recently used dropped first.
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createCompiledCache } from './compiled-execution.ts';

const schema = buildSchema('type Query { a: Int }');
const entry = { schema, compiled: undefined };

describe('createCompiledCache', () => {
  it('holds at most maxEntries operations and drops the least recently used document', () => {
    const cache = createCompiledCache(2);
    const [one, two, three] = ['{ a }', 'query B { a }', 'query C { a }'].map((text) =>
      parse(text),
    );
    if (one === undefined || two === undefined || three === undefined) throw new Error('parse');
    cache.set(one, '', entry);
    cache.set(two, 'B', entry);
    expect(cache.get(one, '')).toBe(entry); // `one` is now the most recently used
    cache.set(three, 'C', entry);
    expect(cache.size).toBe(2);
    expect(cache.get(two, 'B')).toBeUndefined();
    expect(cache.get(one, '')).toBe(entry);
    expect(cache.get(three, 'C')).toBe(entry);
  });

  it('counts each operation name of a document as one entry', () => {
    const cache = createCompiledCache(2);
    const document = parse('query A { a } query B { a }');
    cache.set(document, 'A', entry);
    cache.set(document, 'B', entry);
    cache.set(document, 'B', entry);
    expect(cache.size).toBe(2);
    cache.set(parse('{ a }'), '', entry);
    // The whole older document goes: its two operations leave together.
    expect(cache.size).toBe(1);
    expect(cache.get(document, 'A')).toBeUndefined();
  });
});
