// The gateway's client module for frontends: typed documents for the operations a job UI needs,
// their persisted-operation hashes and manifest, and Apollo Client's possibleTypes. Everything
// here is generated from operations.graphql and ../schema.graphql by `npm run codegen`.
import type { DocumentNode } from 'graphql';
import manifest from './generated/persisted-documents.json' with { type: 'json' };
import possibleTypesResult from './generated/possible-types.ts';

export * from './generated/graphql.ts';

/**
 * Union and interface members by abstract type, for Apollo Client:
 * `new InMemoryCache({ possibleTypes })`. Without it the cache cannot tell that a
 * `ValidationError` is an `Error`, and drops the fields of `... on Error { code message }`.
 */
export const possibleTypes: Record<string, string[]> = possibleTypesResult.possibleTypes;

/** The persisted-operation manifest: SHA-256 (hex) → document text, as the gateway serves it. */
export const persistedDocuments: Readonly<Record<string, string>> = manifest;

/**
 * The SHA-256 (hex) a generated document is persisted under: send it as
 * `extensions: { persistedQuery: { version: 1, sha256Hash } }` instead of the document text.
 * Throws for a document that is not one of this module's.
 */
export function persistedHash(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string' || !(hash in manifest)) {
    throw new Error(
      'expected a document generated in client/ (with __meta__.hash in the manifest), but got another document',
    );
  }
  return hash;
}

/** The `extensions` of a request that runs `document` by its hash. */
export function persistedExtensions(document: DocumentNode): {
  persistedQuery: { version: 1; sha256Hash: string };
} {
  return { persistedQuery: { version: 1, sha256Hash: persistedHash(document) } };
}
