// The `/segment/definitions` endpoints, so jobs have something real to run. Every expression is
// compiled before it is stored; a definition that does not compile is never written.
import {
  createDefinitionDocument,
  type DefinitionDocument,
  patchDefinitionDocument,
  type SegmentExpression,
} from './definition-document.ts';
import type { ExpressionCompiler } from './job-runner.ts';
import { nextPageHref, parseDefinitionListQuery } from './list-query.ts';
import {
  bulkGetSchema,
  createDefinitionSchema,
  parseBody,
  patchDefinitionSchema,
} from './request-schemas.ts';
import { API_BASE_PATH, type Route, type ServiceRequest, type ServiceResponse } from './router.ts';
import {
  type BulkGetErrorEntry,
  badRequest,
  bulkGetError,
  bulkGetNoneFound,
  notFound,
  ServiceError,
} from './service-errors.ts';
import type { SegmentationStore } from './store.ts';
import type { TenantScope } from './tenant-scope.ts';

export interface DefinitionRoutesOptions {
  store: SegmentationStore;
  compile: ExpressionCompiler;
  /** @default Date.now */
  now?: () => number;
}

/** Where the PQL went wrong and why, from the position or JSON path the compiler reports. */
function describeCompileError(error: unknown): string {
  if (!(error instanceof Error)) return `: ${String(error)}`;
  if ('position' in error && typeof error.position === 'number') {
    return ` at position ${error.position}: ${error.message}`;
  }
  if ('path' in error && typeof error.path === 'string') {
    return ` at ${error.path === '' ? 'the root' : error.path}: ${error.message}`;
  }
  return `: ${error.message}`;
}

function nameTaken(name: string): ServiceError {
  return new ServiceError(
    422,
    `expected a unique segment definition name, but "${name}" already exists in this sandbox; use PATCH to change it`,
  );
}

export function definitionRoutes(options: DefinitionRoutesOptions): Route[] {
  const { store } = options;
  const now = options.now ?? Date.now;
  const definitionsPath = `${API_BASE_PATH}/segment/definitions`;

  function compileOrReject(expression: SegmentExpression): void {
    try {
      options.compile(expression);
    } catch (error) {
      throw badRequest(
        `invalid PQL in expression.value (${expression.format})${describeCompileError(error)}`,
      );
    }
  }

  function requireDefinition(scope: TenantScope, id: string): DefinitionDocument {
    const definition = store.getDefinition(scope, id);
    if (definition === undefined) throw notFound(`segment definition ${id} not found`);
    return definition;
  }

  function resolveMergePolicyId(scope: TenantScope, requested: string | undefined): string {
    const fallback = store.defaultMergePolicy(scope);
    if (requested === undefined) return fallback.id;
    if (store.getMergePolicy(scope, requested) === undefined) {
      throw badRequest(
        `expected mergePolicyId to name a merge policy of this sandbox (the default is ${fallback.id}), but got "${requested}"`,
      );
    }
    return requested;
  }

  function list(request: ServiceRequest): ServiceResponse {
    const query = parseDefinitionListQuery(request.query);
    const { totalCount, definitions } = store.listDefinitions(request.scope, query);
    const nextStart = query.start + query.limit;
    return {
      status: 200,
      body: {
        segments: definitions,
        page: {
          totalCount,
          totalPages: Math.ceil(totalCount / query.limit),
          // The envelope names one key: the first, which orders the page most.
          sortField: query.sort[0].field,
          sort: query.sort[0].direction,
          pageSize: definitions.length,
          limit: query.limit,
        },
        link:
          nextStart < totalCount
            ? { next: nextPageHref('/segment/definitions', request.query, nextStart) }
            : {},
      },
    };
  }

  function create(request: ServiceRequest): ServiceResponse {
    const body = parseBody(createDefinitionSchema, request.body, 'segment definition');
    compileOrReject(body.expression);
    const doc = createDefinitionDocument({
      scope: request.scope,
      name: body.name,
      description: body.description,
      expression: body.expression,
      schemaName: body.schema.name,
      mergePolicyId: resolveMergePolicyId(request.scope, body.mergePolicyId),
      evaluationInfo: body.evaluationInfo,
      profileInstanceId: body.profileInstanceId,
      dataGovernancePolicy: body.dataGovernancePolicy,
      payloadSchema: body.payloadSchema,
      nowMs: now(),
    });
    if (store.insertDefinition(request.scope, doc) === 'name-taken') throw nameTaken(doc.name);
    return { status: 200, body: doc, headers: { 'x-location': `/segment/definitions/${doc.id}` } };
  }

  function get(request: ServiceRequest): ServiceResponse {
    return { status: 200, body: requireDefinition(request.scope, request.params.id ?? '') };
  }

  function patch(request: ServiceRequest): ServiceResponse {
    const current = requireDefinition(request.scope, request.params.id ?? '');
    const changes = parseBody(patchDefinitionSchema, request.body, 'segment definition patch');
    if (changes.expression !== undefined) compileOrReject(changes.expression);
    const doc = patchDefinitionDocument(current, changes, now());
    const outcome = store.replaceDefinition(request.scope, doc);
    if (outcome === 'name-taken') throw nameTaken(doc.name);
    if (outcome === 'missing') throw notFound(`segment definition ${doc.id} not found`);
    return { status: 200, body: doc, headers: { 'x-location': `/segment/definitions/${doc.id}` } };
  }

  function remove(request: ServiceRequest): ServiceResponse {
    const id = request.params.id ?? '';
    if (!store.deleteDefinition(request.scope, id)) {
      throw notFound(`segment definition ${id} not found`);
    }
    return { status: 200, body: { status: true, message: `segment definition ${id} deleted` } };
  }

  function bulkGet(request: ServiceRequest): ServiceResponse {
    const { ids } = parseBody(bulkGetSchema, request.body, 'bulk-get request');
    const found = store.getDefinitions(
      request.scope,
      ids.map((entry) => entry.id),
    );
    // None known: one 404 for the whole request (docs/embedded-service.md says why).
    if (found.size === 0)
      throw bulkGetNoneFound(
        'segment definition',
        ids.map(({ id }) => id),
      );
    // fromEntries defines own keys, so an id like "__proto__" gets its entry too.
    const results: Record<string, DefinitionDocument | BulkGetErrorEntry> = Object.fromEntries(
      ids.map(({ id }) => [id, found.get(id) ?? bulkGetError(id, 'segment definition')]),
    );
    return { status: 207, body: { results } };
  }

  return [
    { method: 'GET', path: definitionsPath, handler: list },
    { method: 'POST', path: definitionsPath, hasBody: true, handler: create },
    { method: 'POST', path: `${definitionsPath}/bulk-get`, hasBody: true, handler: bulkGet },
    { method: 'GET', path: `${definitionsPath}/:id`, handler: get },
    { method: 'PATCH', path: `${definitionsPath}/:id`, hasBody: true, handler: patch },
    { method: 'DELETE', path: `${definitionsPath}/:id`, handler: remove },
  ];
}
