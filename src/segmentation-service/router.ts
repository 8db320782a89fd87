// Matches a method and path to one route of the REST API, telling "no such path" (404) apart
// from "path exists, method does not" (405). Pure: it calls no handler and reads no body.
import type { TenantScope } from './tenant-scope.ts';

/** Where Adobe's Segmentation Service API lives below the host. */
export const API_BASE_PATH = '/data/core/ups';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What a handler receives: the caller's tenant, the parsed request and its id. */
export interface ServiceRequest {
  scope: TenantScope;
  requestId: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The parsed JSON body (a Buffer for `bodyFormat: 'bytes'`); `undefined` for routes that take none. */
  body: unknown;
}

export interface ServiceResponse {
  status: number;
  /** Serialized as JSON; omitted for 204. */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
}

export interface Route {
  method: HttpMethod;
  /** Full path with `:name` placeholders, e.g. `/data/core/ups/segment/jobs/:id`. */
  path: string;
  /** True when the handler needs a JSON body. */
  hasBody?: boolean;
  /**
   * `bytes` hands the handler the body as a Buffer, undecoded and unparsed, for routes that parse
   * large bodies in slices themselves. @default 'json'
   */
  bodyFormat?: 'json' | 'bytes';
  /** Body limit for this route; the server default otherwise. */
  maxBodyBytes?: number;
  handler(request: ServiceRequest): ServiceResponse | Promise<ServiceResponse>;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: HttpMethod[] }
  | { kind: 'not-found' };

export interface Router {
  match(method: string, pathname: string): RouteMatch;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
  paramCount: number;
}

function splitPath(pathname: string): string[] {
  return pathname.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: readonly string[], actual: readonly string[]) {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index] as string;
    const segment = actual[index] as string;
    if (expected.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
      params[expected.slice(1)] = decoded;
    } else if (expected !== segment) {
      return undefined;
    }
  }
  return params;
}

export function createRouter(routes: readonly Route[]): Router {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const segments = splitPath(route.path);
    return {
      route,
      segments,
      paramCount: segments.filter((segment) => segment.startsWith(':')).length,
    };
  });

  function match(method: string, pathname: string): RouteMatch {
    const actual = splitPath(pathname);
    const candidates: { route: Route; params: Record<string, string>; paramCount: number }[] = [];
    for (const entry of compiled) {
      const params = matchSegments(entry.segments, actual);
      if (params !== undefined) candidates.push({ ...entry, params });
    }
    if (candidates.length === 0) return { kind: 'not-found' };
    // A literal segment beats a placeholder: `/jobs/bulk-get` is not the job "bulk-get".
    const allowed = candidates
      .filter((candidate) => candidate.route.method === method)
      .sort((a, b) => a.paramCount - b.paramCount);
    const best = allowed[0];
    if (best !== undefined) return { kind: 'found', route: best.route, params: best.params };
    const allow = [...new Set(candidates.map((candidate) => candidate.route.method))];
    return { kind: 'method-not-allowed', allow };
  }

  return { match };
}
