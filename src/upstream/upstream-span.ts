// A client span per upstream HTTP attempt, child of the operation's span, and the W3C trace
// headers it sends. Only `@opentelemetry/api`: with no SDK registered (tracing off) every call
// here is a no-op. It never puts a path with an id, a query or a credential on a span.
import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { routeTemplate } from './route-template.ts';

const tracer = trace.getTracer('segment-jobs-gateway/upstream');
/** The only headers forwarded: no baggage, nothing else a propagator may add. */
const FORWARDED = new Set(['traceparent', 'tracestate']);

/**
 * Starts the span of one attempt, only under an active span (a GraphQL operation): the
 * watcher's polls and readiness pings are measured by metrics, not traced.
 */
export function startUpstreamSpan(method: string, path: string, attempt: number): Span | undefined {
  if (trace.getSpan(context.active()) === undefined) return undefined;
  const route = routeTemplate(path);
  return tracer.startSpan(`${method} ${route}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': method,
      'url.template': route,
      'http.request.resend_count': attempt - 1,
      'gateway.upstream.attempt': attempt,
    },
  });
}

/** `traceparent` (and `tracestate`) naming `span` as the parent, for the request headers. */
export function traceHeaders(span: Span | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (span === undefined) return headers;
  propagation.inject(trace.setSpan(context.active(), span), headers, {
    set(carrier, key, value) {
      if (FORWARDED.has(key.toLowerCase())) carrier[key.toLowerCase()] = value;
    },
  });
  return headers;
}

/** Ends the span with the answer's status, or the kind of fault when there was none. */
export function endUpstreamSpan(
  span: Span | undefined,
  status: number | undefined,
  outcomeKind: string,
): void {
  if (span === undefined) return;
  if (status !== undefined) span.setAttribute('http.response.status_code', status);
  else span.setAttribute('error.type', outcomeKind);
  if (status === undefined || status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
