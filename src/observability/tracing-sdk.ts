// The OpenTelemetry SDK, for main only: registers a tracer provider (AsyncLocalStorage context,
// W3C trace context propagation) that exports over OTLP/HTTP, and only when an endpoint is
// configured. The rest of the code speaks `@opentelemetry/api` and never imports this.
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface TracingOptions {
  serviceName: string;
  /** Where finished spans go: a batch to OTLP in production, an in-memory exporter in tests. */
  spanProcessors: SpanProcessor[];
}

export interface Tracing {
  /** Exports what is pending, then unregisters the provider (the API goes back to no-ops). */
  shutdown(): Promise<void>;
}

/** Registers a global tracer provider with these processors. */
export function registerTracing(options: TracingOptions): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: options.spanProcessors,
  });
  provider.register();
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * Tracing as configured: off (undefined) without `otlpEndpoint`; else spans batched to
 * `<otlpEndpoint>/v1/traces`, flushed when the process is about to exit.
 */
export function startTracing(settings: {
  otlpEndpoint: string | undefined;
  serviceName: string;
}): Tracing | undefined {
  if (settings.otlpEndpoint === undefined) return undefined;
  const exporter = new OTLPTraceExporter({ url: `${settings.otlpEndpoint}/v1/traces` });
  const tracing = registerTracing({
    serviceName: settings.serviceName,
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // After a graceful stop the event loop empties: the last batch leaves before the exit.
  process.once('beforeExit', () => {
    void tracing.shutdown();
  });
  return tracing;
}
