export { startTelemetry, shutdownTelemetry } from './startTelemetry';
export type { Telemetry, TelemetryOptions, TelemetrySettings } from './startTelemetry';
export { inSpan, traceHeaders, contextFrom, activeTraceId, tracer, SpanKind } from './spans';
export type { SpanOptions, Attributes, Context, Span } from './spans';
