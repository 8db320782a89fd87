// Queries and mutations executed by graphql-jit: each (schema, document, operation) is compiled
// once into a function, kept in a bounded LRU. It must not change an answer: whatever the compiled
// path would word differently (variable errors, an operation that does not compile) runs on
// graphql-js instead. Subscriptions keep graphql-js (see shared-subscription-execution.ts).
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  type Source,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** Compiled operations held at most. @default 1000 */
export const COMPILED_OPERATIONS_MAX = 1_000;

export interface CompiledExecutionStats {
  /** Operations compiled (cache misses that compiled). */
  compiled: number;
  /** Executions answered by a compiled operation. */
  executions: number;
  /** Executions handed to graphql-js (no operation, variable errors, not compilable). */
  fallbacks: number;
}

/** What a cache entry holds: the compiled operation, or why graphql-js runs it instead. */
export type CompiledEntry = { schema: GraphQLSchema; compiled: CompiledQuery | undefined };

/** A bounded LRU of compiled operations by document object and operation name. */
export function createCompiledCache(maxEntries: number) {
  // Documents come from yoga's parse cache, so one document text is one object.
  const byDocument = new Map<DocumentNode, Map<string, CompiledEntry>>();
  let size = 0;
  return {
    get(document: DocumentNode, operationName: string): CompiledEntry | undefined {
      const perDocument = byDocument.get(document);
      const entry = perDocument?.get(operationName);
      if (perDocument !== undefined && entry !== undefined) {
        // Most recently used last.
        byDocument.delete(document);
        byDocument.set(document, perDocument);
      }
      return entry;
    },
    set(document: DocumentNode, operationName: string, entry: CompiledEntry): void {
      let perDocument = byDocument.get(document);
      if (perDocument === undefined) {
        perDocument = new Map();
        byDocument.set(document, perDocument);
      }
      if (!perDocument.has(operationName)) size++;
      perDocument.set(operationName, entry);
      while (size > maxEntries) {
        const oldest = byDocument.entries().next();
        if (oldest.done === true) break;
        const [oldestDocument, operations] = oldest.value;
        byDocument.delete(oldestDocument);
        size -= operations.size;
      }
    },
    get size() {
      return size;
    },
  };
}

/**
 * The envelop plugin replacing `execute` with graphql-jit for queries and mutations. Resolvers,
 * context and root value are the same as with graphql-js, so the resolved-items budget (keyed by
 * `info.rootValue` / `info.operation`), item errors (`info.path`), the `@live` store wrapping
 * this executor, error masking and codes see what they see with graphql-js.
 */
export function useCompiledExecution(
  options: { maxOperations?: number; stats?: CompiledExecutionStats } = {},
): Plugin {
  const cache = createCompiledCache(options.maxOperations ?? COMPILED_OPERATIONS_MAX);
  const stats = options.stats;

  const compiledFor = (args: ExecutionArgs): CompiledQuery | undefined => {
    const operationName = args.operationName ?? '';
    const cached = cache.get(args.document, operationName);
    if (cached !== undefined && cached.schema === args.schema) return cached.compiled;
    // graphql-js words the missing or ambiguous operation; the compiler is not asked.
    let compiled: CompiledQuery | undefined;
    if (getOperationAST(args.document, args.operationName) !== null) {
      const result = compileQuery(args.schema, args.document, args.operationName ?? undefined, {
        // No stack capture for errors that only ever travel as JSON.
        disablingCapturingStackErrors: true,
      });
      if (isCompiledQuery(result)) {
        compiled = result;
        if (stats) stats.compiled++;
      }
    }
    cache.set(args.document, operationName, { schema: args.schema, compiled });
    return compiled;
  };

  type Execute = (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;
  /** Compiled, or yoga's own executor (`standard`) where the compiled one would answer otherwise. */
  const compiledExecute = (args: ExecutionArgs, standard: Execute) => {
    const compiled = compiledFor(args);
    if (compiled !== undefined && variablesAreValid(args)) {
      if (stats) stats.executions++;
      const result = compiled.query(args.rootValue, args.contextValue, args.variableValues ?? {});
      return result instanceof Promise
        ? result.then((value) => asGraphqlJsResult(value, args.document))
        : asGraphqlJsResult(result, args.document);
    }
    if (stats) stats.fallbacks++;
    return standard(args);
  };

  return {
    onExecute({ executeFn, setExecuteFn }) {
      const standard = executeFn as Execute;
      setExecuteFn(((args: ExecutionArgs) => compiledExecute(args, standard)) as typeof executeFn);
    },
  };
}

/**
 * Whether graphql-js accepts the variables. Invalid ones fail the whole operation before any
 * resolver runs; graphql-js then answers, so the error wording stays the one clients know.
 */
function variablesAreValid(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  const definitions = operation?.variableDefinitions;
  if (operation === null || operation === undefined) return false;
  if (definitions === undefined || definitions.length === 0) return true;
  const coerced = getVariableValues(args.schema, definitions, args.variableValues ?? {}, {
    maxErrors: 1,
  });
  return coerced.errors === undefined;
}

/** Offsets of each line's start in a document's source, to turn locations back into positions. */
const lineStarts = new WeakMap<Source, number[]>();

function positionOf(source: Source, line: number, column: number): number {
  let starts = lineStarts.get(source);
  if (starts === undefined) {
    starts = [0];
    for (const match of source.body.matchAll(/\r\n|[\n\r]/g)) {
      starts.push((match.index ?? 0) + match[0].length);
    }
    lineStarts.set(source, starts);
  }
  return (starts[line - 1] ?? 0) + column - 1;
}

/**
 * graphql-jit's result in graphql-js's shape: `errors` before `data`, and each error a graphql-js
 * error built as `locatedError` builds it (a thrown located error as is, otherwise its message,
 * extensions and original error with the field's locations and path), so masking and codes see
 * the same errors and they serialize to the same bytes.
 */
function asGraphqlJsResult(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  const errors = result.errors;
  if (errors === undefined || errors.length === 0) return { data: result.data };
  const source = document.loc?.source;
  return {
    errors: errors.map((error) => {
      const raw: unknown = error.originalError;
      if (raw instanceof GraphQLError && Array.isArray(raw.path)) return raw;
      const positions =
        source === undefined
          ? undefined
          : error.locations?.map(({ line, column }) => positionOf(source, line, column));
      const original = raw instanceof Error ? raw : undefined;
      return new GraphQLError(original?.message ?? error.message, {
        ...(original instanceof GraphQLError && original.nodes !== undefined
          ? { nodes: original.nodes }
          : { source, positions }),
        path: error.path,
        originalError: original,
      });
    }),
    data: result.data,
  };
}
