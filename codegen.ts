// GraphQL Code Generator: typed documents for the operations the tests (and clients) send,
// generated from the committed schema.graphql. Run `npm run codegen` after changing either.
import type { CodegenConfig } from '@graphql-codegen/cli';

const shared = {
  scalars: { DateTime: 'string', ID: 'string' },
  enumType: 'string-literal',
  useTypeImports: true,
  avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
  nonOptionalTypename: true,
  emitLegacyCommonJSImports: false,
} as const;

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    // Every schema type, for code that builds inputs or reads results by type name.
    'test/generated/schema-types.ts': {
      plugins: ['typescript'],
      config: { ...shared, enumsAsTypes: true },
    },
    // The operations' variables and results, and typed documents to send.
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { ...shared, importSchemaTypesFrom: 'test/generated/schema-types.ts' },
    },
  },
};

export default config;
