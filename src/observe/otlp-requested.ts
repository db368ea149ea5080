/**
 * Whether the environment asks for spans over OTLP (the OpenTelemetry variables): kept apart from
 * otlp-traces.ts so that asking loads nothing of the SDK.
 */
export function otlpRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_TRACES_EXPORTER !== 'none';
}
