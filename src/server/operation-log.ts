// One structured log line per GraphQL operation: name, type, duration, upstream calls, tenant
// org and sandbox, error codes, and the trace id when tracing is on. Never a token, key or secret; internal errors are logged here
// with their stack because the caller only sees them masked.
import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { traceIdOf } from './operation-telemetry.ts';
import { isPersistedParams } from './persisted-operations.ts';
import type { RequestContext } from './request-context.ts';

function errorCodes(result: ExecutionResult): string[] {
  return (result.errors ?? []).map((error) => {
    const code = error.extensions?.code;
    return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
  });
}

/** An error the caller will only see masked: not a GraphQLError at its origin. */
function isInternal(error: GraphQLError): boolean {
  const original = error.originalError;
  return original !== undefined && original !== null && !(original instanceof GraphQLError);
}

function isExecutionResult(value: unknown): value is ExecutionResult {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}

/** The yoga plugin that writes the operation log. */
export function useOperationLog(logger: Logger): Plugin<RequestContext> {
  return {
    onValidate() {
      return ({ valid, result }) => {
        if (valid) return;
        logger.info(
          { outcome: 'rejected', errors: result.map((error) => error.message) },
          'operation rejected',
        );
      };
    },
    onExecute({ args }) {
      const startedMs = performance.now();
      const operation = getOperationAST(args.document, args.operationName);
      const context = args.contextValue as Partial<RequestContext> & { params?: object };
      // Only a persisted operation's name is one the server chose (metrics label only those).
      const persisted = isPersistedParams(context.params);
      return {
        onExecuteDone({ result }) {
          if (!isExecutionResult(result)) return;
          for (const error of result.errors ?? []) {
            if (isInternal(error)) {
              logger.error({ err: error.originalError, path: error.path }, 'internal error');
            }
          }
          const state = context.requestState;
          const traceId = traceIdOf(args.contextValue);
          logger.info(
            {
              operationName: operation?.name?.value ?? args.operationName ?? null,
              operationType: operation?.operation ?? null,
              persisted,
              durationMs: Math.round((performance.now() - startedMs) * 100) / 100,
              upstreamCalls: state?.upstreamCalls ?? 0,
              tenantOrg: state?.tenant?.orgId ?? null,
              tenantSandbox: state?.tenant?.sandboxName ?? null,
              tenantMode: state?.tenant?.mode ?? null,
              errorCodes: errorCodes(result),
              ...(traceId === undefined ? {} : { traceId }),
            },
            'operation',
          );
        },
      };
    },
  };
}
