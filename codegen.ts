// GraphQL Code Generator: typed documents for the operations the tests send, and the client module
// for frontends (client/: typed documents, persisted-operation manifest, Apollo possibleTypes),
// generated from the committed schema.graphql. Run `npm run codegen` after changing either.
import { createHash } from 'node:crypto';
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
  generates: {
    // Every schema type, for code that builds inputs or reads results by type name.
    'test/generated/schema-types.ts': {
      plugins: ['typescript'],
      config: { ...shared, enumsAsTypes: true },
    },
    // The operations' variables and results, and typed documents to send.
    'test/generated/graphql.ts': {
      documents: ['test/operations/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { ...shared, importSchemaTypesFrom: 'test/generated/schema-types.ts' },
    },
    // The client module: a TypedDocumentNode per operation of client/operations.graphql, each
    // carrying its SHA-256 (`__meta__.hash`), and persisted-documents.json (hash → document), the
    // manifest the gateway serves persisted operations from.
    'client/generated/': {
      documents: ['client/operations.graphql'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: {
          mode: 'embedHashInDocument',
          // Bare hex, as `extensions.persistedQuery.sha256Hash` carries it (Apollo, urql, yoga).
          hashAlgorithm: (document: string) => createHash('sha256').update(document).digest('hex'),
        },
      },
      config: { ...shared, enumsAsTypes: true },
    },
    // Apollo Client's InMemoryCache matches `... on Error` and union members only with these.
    'client/generated/possible-types.ts': {
      plugins: ['fragment-matcher'],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
  },
};

export default config;
