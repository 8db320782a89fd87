import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../schema/index.ts';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql.ts';

/** The commented example block, uncommented. */
function secondExample(): string {
  const lines = GRAPHIQL_DEFAULT_QUERY.split('\n');
  const from = lines.findIndex((line) => line.startsWith('# query AudienceHistory'));
  return lines
    .slice(from)
    .filter((line) => line.startsWith('# '))
    .map((line) => line.slice(2))
    .join('\n');
}

describe('GraphiQL examples', () => {
  it('opens on a valid operation with segment names and metrics', () => {
    const document = parse(GRAPHIQL_DEFAULT_QUERY);
    expect(validate(schema, document)).toEqual([]);
    expect(GRAPHIQL_DEFAULT_QUERY).toMatch(/segments \{ id name \}/);
    expect(GRAPHIQL_DEFAULT_QUERY).toMatch(/segment \{ id name \}/);
  });

  it('holds a commented history example that is valid once uncommented', () => {
    const example = secondExample();
    expect(example).toMatch(/history\(last: 10\)/);
    expect(validate(schema, parse(example))).toEqual([]);
  });
});
