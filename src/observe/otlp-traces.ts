/**
 * Spans over OTLP, for an OpenTelemetry collector (Jaeger, Tempo, Honeycomb...): one SERVER span per
 * invocation, with the ids nano already gave it (the response's `traceparent`, the log's trace id), so
 * the span found in the tracing backend is the one the logs and the caller name. Loaded only when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: the SDK is the heaviest
 * dependency nano has, and nobody else pays for it. The exporter reads the standard OTEL_* variables
 * itself (headers, timeout, batch delay); spans go out in batches, off the request path.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import type { Invocation, TraceContext } from '../server/index.js';

export interface OtlpTracing {
  onInvocation(invocation: Invocation): void;
  /** Sends what is still batched, then stops. */
  shutdown(): Promise<void>;
}

export function createOtlpTracing(options: { serviceVersion: string; nodeId: string }): OtlpTracing {
  // The SDK draws a span's ids from its IdGenerator as the span starts: this one hands it the
  // invocation's own, set just before startSpan and read during it (one synchronous step).
  let ids: TraceContext | undefined;
  const idGenerator: IdGenerator = {
    generateTraceId: () => ids?.traceId ?? '',
    generateSpanId: () => ids?.spanId ?? '',
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'nano',
      'service.version': options.serviceVersion,
      'service.instance.id': options.nodeId,
    }),
    idGenerator,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  const tracer = provider.getTracer('nano', options.serviceVersion);

  return {
    onInvocation(invocation) {
      const span = invocation.trace;
      if (span === undefined) return;
      // The caller's span as the parent: the SDK's default sampler follows its sampled flag.
      const parent =
        span.parentId === undefined
          ? ROOT_CONTEXT
          : trace.setSpanContext(ROOT_CONTEXT, {
              traceId: span.traceId,
              spanId: span.parentId,
              traceFlags: span.flags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE,
              isRemote: true,
            });
      const attributes: Attributes = {
        'faas.name': invocation.name,
        'faas.coldstart': invocation.coldStart ?? false,
        'http.response.status_code': invocation.status,
        'nano.request_id': invocation.requestId,
        'nano.outcome': invocation.outcome,
        'nano.duration_ms': invocation.durationMs,
      };
      if (invocation.version !== null) attributes['faas.version'] = String(invocation.version);
      ids = span;
      const started = tracer.startSpan(
        `invoke ${invocation.name}`,
        { kind: SpanKind.SERVER, startTime: invocation.startMs ?? invocation.timeMs, attributes },
        parent,
      );
      ids = undefined;
      if (invocation.outcome !== 'ok')
        started.setStatus({ code: SpanStatusCode.ERROR, message: invocation.lines.at(-1) ?? invocation.outcome });
      started.end(invocation.timeMs);
    },
    shutdown: () => provider.shutdown(),
  };
}
