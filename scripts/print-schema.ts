// Prints the gateway's schema as sorted SDL into schema.graphql; with --check, fails when the
// committed file differs instead of writing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/schema/index.ts';

const schemaFile = fileURLToPath(new URL('../schema.graphql', import.meta.url));

/** The SDL that `schema.graphql` must hold: sorted, with a trailing newline. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

function readCommitted(): string | undefined {
  try {
    return readFileSync(schemaFile, 'utf8');
  } catch {
    return undefined;
  }
}

function main(args: readonly string[]): number {
  const printed = printSortedSchema();
  if (!args.includes('--check')) {
    writeFileSync(schemaFile, printed);
    console.log(`Wrote ${schemaFile}`);
    return 0;
  }
  const committed = readCommitted();
  if (committed === printed) {
    console.log('schema.graphql is up to date');
    return 0;
  }
  console.error(
    committed === undefined
      ? 'schema.graphql is missing: run `npm run schema:print` and commit it'
      : 'schema.graphql differs from the schema the code builds: run `npm run schema:print` and commit the result',
  );
  return 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
