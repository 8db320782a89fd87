// Per GraphQL operation: its metrics (type, outcome, first error code, duration; open
// subscriptions by transport) and its trace span, the parent of the upstream calls it makes.
// Spans go through `@opentelemetry/api` only: with no SDK registered they cost nearly nothing.
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { type DocumentNode, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type {
  GatewayMetrics,
  OperationOutcome,
  OperationType,
  Transport,
} from '../observability/gateway-metrics.ts';
import type { RequestContext } from './request-context.ts';

const tracer = trace.getTracer('segment-jobs-gateway');
const spans = new WeakMap<object, Span>();

/** The trace id of the operation run with this context value, when tracing is on. */
export function traceIdOf(contextValue: unknown): string | undefined {
  if (typeof contextValue !== 'object' || contextValue === null) return undefined;
  const spanContext = spans.get(contextValue)?.spanContext();
  if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return undefined;
  return spanContext.traceId;
}

function firstErrorCode(result: ExecutionResult): string | undefined {
  const first = result.errors?.[0];
  if (first === undefined) return undefined;
  const code = first.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

function outcomeOf(result: ExecutionResult): OperationOutcome {
  return (result.errors?.length ?? 0) > 0 ? 'error' : 'ok';
}

function operationTypeOf(document: DocumentNode, operationName?: string | null): OperationType {
  return getOperationAST(document, operationName)?.operation ?? 'unknown';
}

/** graphql-ws builds its context with the `connection_init` payload; HTTP with the request. */
function transportOf(contextValue: unknown): Transport {
  return typeof contextValue === 'object' &&
    contextValue !== null &&
    'connectionParams' in contextValue
    ? 'ws'
    : 'sse';
}

/** What a request's headers offer (yoga's `Request` may be a ponyfill, not the global one). */
interface HeaderGetter {
  get(name: string): string | null;
}

function headersOf(contextValue: unknown): HeaderGetter | undefined {
  if (typeof contextValue !== 'object' || contextValue === null) return undefined;
  const request = 'request' in contextValue ? contextValue.request : undefined;
  if (typeof request !== 'object' || request === null || !('headers' in request)) return undefined;
  const { headers } = request;
  return typeof headers === 'object' && headers !== null && 'get' in headers
    ? (headers as HeaderGetter)
    : undefined;
}

/** The caller's trace context from an HTTP request's `traceparent`, else the active one. */
function parentContext(contextValue: unknown): Context {
  const headers = headersOf(contextValue);
  if (headers === undefined || headers.get('traceparent') === null) return context.active();
  return propagation.extract(ROOT_CONTEXT, headers, {
    keys: () => ['traceparent', 'tracestate'],
    get: (carrier, key) => carrier.get(key) ?? undefined,
  });
}

function isExecutionResult(value: unknown): value is ExecutionResult {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}

function startSpan(type: OperationType, operationName: string | undefined, parent: Context): Span {
  return tracer.startSpan(
    `graphql.${type}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'graphql.operation.type': type,
        ...(operationName === undefined
          ? {}
          : { 'graphql.operation.name': operationName.slice(0, 100) }),
      },
    },
    parent,
  );
}

function endSpan(span: Span, result: ExecutionResult): void {
  const code = firstErrorCode(result);
  if (code !== undefined) {
    span.setAttribute('graphql.error.code', code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }
  span.end();
}

/** The yoga plugin; `metrics` undefined leaves only the spans. */
export function useOperationTelemetry(metrics: GatewayMetrics | undefined): Plugin<RequestContext> {
  return {
    onParse() {
      const startedMs = performance.now();
      return ({ result }) => {
        if (!(result instanceof Error)) return;
        metrics?.recordOperation({
          type: 'unknown',
          outcome: 'rejected',
          errorCode: result instanceof GraphQLError ? 'GRAPHQL_PARSE_FAILED' : 'OTHER',
          durationMs: performance.now() - startedMs,
        });
      };
    },
    onValidate({ params }) {
      const startedMs = performance.now();
      return ({ valid, result }) => {
        if (valid) return;
        const code = result[0]?.extensions?.code;
        metrics?.recordOperation({
          type: operationTypeOf(params.documentAST),
          outcome: 'rejected',
          errorCode: typeof code === 'string' ? code : 'GRAPHQL_VALIDATION_FAILED',
          durationMs: performance.now() - startedMs,
        });
      };
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const startedMs = performance.now();
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'unknown';
      const span = startSpan(
        type,
        operation?.name?.value ?? args.operationName ?? undefined,
        parentContext(args.contextValue),
      );
      if (typeof args.contextValue === 'object' && args.contextValue !== null) {
        spans.set(args.contextValue, span);
      }
      // Resolvers (and the loaders they start) run inside the span: upstream calls become its children.
      const active = trace.setSpan(context.active(), span);
      setExecuteFn((executeArgs) => context.with(active, () => executeFn(executeArgs)));
      return {
        onExecuteDone({ result }) {
          if (!isExecutionResult(result)) {
            span.end();
            return;
          }
          metrics?.recordOperation({
            type,
            outcome: outcomeOf(result),
            errorCode: firstErrorCode(result),
            durationMs: performance.now() - startedMs,
          });
          endSpan(span, result);
        },
      };
    },
    onSubscribe({ args }) {
      const startedMs = performance.now();
      const transport = transportOf(args.contextValue);
      return {
        onSubscribeResult({ result }) {
          if (isExecutionResult(result)) {
            metrics?.recordOperation({
              type: 'subscription',
              outcome: outcomeOf(result),
              errorCode: firstErrorCode(result),
              durationMs: performance.now() - startedMs,
            });
            return;
          }
          metrics?.recordOperation({
            type: 'subscription',
            outcome: 'ok',
            errorCode: undefined,
            durationMs: performance.now() - startedMs,
          });
          if (metrics === undefined) return;
          metrics.subscriptionStarted(transport);
          let isEnded = false;
          return {
            onEnd() {
              if (isEnded) return;
              isEnded = true;
              metrics.subscriptionEnded(transport);
            },
          };
        },
      };
    },
  };
}
