// Persisted operations (trusted documents): the client module's manifest (SHA-256 → document),
// yoga's plugin in the mode PERSISTED_OPERATIONS picks, the same lookup for WebSocket subscribes,
// and the cache headers of persisted GETs. It never reads the environment or parses documents.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type UsePersistedOperationsOptions,
  usePersistedOperations,
} from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { PersistedOperationsMode } from '../config/gateway.ts';
import { PACKAGE_ROOT } from './package-root.ts';

/**
 * SHA-256 (hex) → document text: generated into client/ by `npm run codegen`. Read from the file
 * under the package root rather than imported: Node 20 warns on JSON modules.
 */
export const PERSISTED_DOCUMENTS: Readonly<Record<string, string>> = readManifest(
  join(PACKAGE_ROOT, 'client', 'generated', 'persisted-documents.json'),
);

function readManifest(path: string): Record<string, string> {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(
      `expected ${path} to hold an object of hash → document, but got ${typeof parsed}`,
    );
  }
  const manifest: Record<string, string> = Object.create(null);
  for (const [hash, document] of Object.entries(parsed)) {
    if (typeof document !== 'string') {
      throw new Error(`expected the document of ${hash} in ${path} to be a string`);
    }
    manifest[hash] = document;
  }
  return manifest;
}

/**
 * Headers of a successful persisted GET. Tenant data: `private` keeps it out of shared caches,
 * and a job's status may change any moment, so the browser revalidates every time (`no-cache`)
 * and the ETag turns an unchanged answer into a bodiless 304. `vary` names every header that
 * selects the tenant or the response format.
 */
export const PERSISTED_GET_CACHE_CONTROL = 'private, no-cache';
export const PERSISTED_GET_VARY =
  'accept, authorization, x-api-key, x-gw-ims-org-id, x-sandbox-name, x-gateway-key';
/** Every other GraphQL GET (document text, errors): never stored. */
export const UNCACHEABLE = 'no-store';

interface ParamsLike {
  query?: unknown;
  extensions?: unknown;
}

/** The hash a request names in `extensions.persistedQuery` (version 1), if any. */
export function persistedHashOf(params: ParamsLike | undefined): string | undefined {
  const extensions = params?.extensions;
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return undefined;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  return version === 1 && typeof sha256Hash === 'string' ? sha256Hash : undefined;
}

/**
 * True when `params` run a manifest document by its hash: the hash is in the manifest and the
 * request carries no other text (or, once resolved, exactly the manifest's). Only then is the
 * operation's name one the server chose, fit for logs and metric labels.
 */
export function isPersistedParams(params: ParamsLike | undefined): boolean {
  const hash = persistedHashOf(params);
  if (hash === undefined || !Object.hasOwn(PERSISTED_DOCUMENTS, hash)) return false;
  const query = params?.query;
  return (
    query === undefined || query === null || query === '' || query === PERSISTED_DOCUMENTS[hash]
  );
}

/** A GET naming a manifest document by hash and carrying no document text. */
export function isPersistedGet(request: Pick<Request, 'method' | 'url'>): boolean {
  if (request.method !== 'GET') return false;
  const search = new URL(request.url, 'http://localhost').searchParams;
  const query = search.get('query');
  if (query !== null && query !== '') return false;
  const extensions = search.get('extensions');
  if (extensions === null) return false;
  try {
    return isPersistedParams({ extensions: JSON.parse(extensions) as unknown });
  } catch {
    return false;
  }
}

function notFound(hash: string | undefined): GraphQLError {
  return createGraphQLError(
    `Unknown persisted operation: expected the sha256Hash of an operation in the client manifest (client/generated/persisted-documents.json), but got ${JSON.stringify(hash?.slice(0, 80) ?? null)}. Regenerate the client with npm run codegen, or send the document text.`,
    { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } } },
  );
}

function persistedOnly(): GraphQLError {
  return createGraphQLError(
    'This gateway runs persisted operations only (PERSISTED_OPERATIONS=require): expected extensions.persistedQuery { version: 1, sha256Hash } naming an operation of the client manifest, but got a document text.',
    { extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } } },
  );
}

function missingDocument(): GraphQLError {
  return createGraphQLError(
    'Expected a document: a query, or extensions.persistedQuery { version: 1, sha256Hash }, but got neither.',
    { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
  );
}

/** The yoga plugins for `mode`: none when off. */
export function usePersistedOperationsMode(mode: PersistedOperationsMode): Plugin[] {
  if (mode === 'off') return [];
  const options: UsePersistedOperationsOptions = {
    getPersistedOperation: (key) => PERSISTED_DOCUMENTS[key] ?? null,
    allowArbitraryOperations: mode === 'allow',
    customErrors: {
      notFound: ({ params }) => notFound(persistedHashOf(params)),
      persistedQueryOnly: () => persistedOnly(),
      keyNotFound: () => missingDocument(),
    },
  };
  return [usePersistedOperations(options) as Plugin, usePersistedGetCaching()];
}

/**
 * The document text of a graphql-ws subscribe payload: its `query`, or, when it names a
 * persisted operation (with `query: ''`, as graphql-ws requires a string), the manifest's.
 * Throws the same errors as over HTTP.
 */
export function resolveSubscribeQuery(
  mode: PersistedOperationsMode,
  payload: { query: string; extensions?: Record<string, unknown> | null | undefined },
): string {
  if (mode === 'off') return payload.query;
  const hash = persistedHashOf(payload);
  if (payload.query !== '') {
    if (mode === 'require' && !isPersistedParams(payload)) throw persistedOnly();
    return payload.query;
  }
  if (hash === undefined) throw missingDocument();
  const document = PERSISTED_DOCUMENTS[hash];
  if (document === undefined || !Object.hasOwn(PERSISTED_DOCUMENTS, hash)) throw notFound(hash);
  return document;
}

const JSON_TYPES = ['application/json', 'application/graphql-response+json'];

/**
 * Cache headers on GraphQL GETs: a persisted query answered with data and no errors gets
 * {@link PERSISTED_GET_CACHE_CONTROL}, an ETag and `vary`, and a matching `if-none-match` a 304;
 * any other GET `no-store`. Streams (SSE) are left alone.
 */
function usePersistedGetCaching(): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (request.method !== 'GET') return;
      const contentType = response.headers.get('content-type') ?? '';
      if (!JSON_TYPES.some((type) => contentType.startsWith(type))) return;
      if (response.status !== 200 || !isPersistedGet(request)) {
        response.headers.set('cache-control', UNCACHEABLE);
        return;
      }
      const body = await response.text();
      const headers = new fetchAPI.Headers(response.headers);
      if (hasErrors(body)) {
        headers.set('cache-control', UNCACHEABLE);
        setResponse(new fetchAPI.Response(body, { status: response.status, headers }));
        return;
      }
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
      headers.set('cache-control', PERSISTED_GET_CACHE_CONTROL);
      headers.set('vary', PERSISTED_GET_VARY);
      headers.set('etag', etag);
      if (matches(request.headers.get('if-none-match'), etag)) {
        headers.delete('content-length');
        setResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
      setResponse(new fetchAPI.Response(body, { status: 200, headers }));
    },
  };
}

function hasErrors(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    return parsed.errors !== undefined;
  } catch {
    return true;
  }
}

function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}
