// The committed artifacts match the code: schema.graphql is the sorted SDL the schema builds,
// and the typed test documents are what codegen makes from it.
import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.ts';
import { printSortedSchema } from '../../scripts/print-schema.ts';

const root = new URL('../../', import.meta.url);

describe('committed schema artifacts', () => {
  it('schema.graphql equals the printed, sorted schema', () => {
    const committed = readFileSync(new URL('schema.graphql', root), 'utf8');
    expect(printSortedSchema()).toBe(committed);
  });

  it('the generated typed documents are up to date with schema.graphql and the operations', async () => {
    const outputs = await generate({ ...codegenConfig, cwd: root.pathname, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const committed = readFileSync(new URL(output.filename, root), 'utf8');
      expect(output.content, `${output.filename} is stale: run npm run codegen`).toBe(committed);
    }
  });
});
