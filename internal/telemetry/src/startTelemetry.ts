import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

/** What tracing takes from the configuration (a whole `Config` fits). */
export interface TelemetrySettings {
  /**
   * Base URL of an OTLP/HTTP collector (traces go to `<url>/v1/traces`), e.g. `http://127.0.0.1:4318`. Unset: spans
   * are not recorded nor exported (trace ids still flow, so logs and downstream services keep them).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  /** Share of new traces recorded, 0…1 (a traced caller's own decision is followed). @default 1 */
  OTEL_TRACES_SAMPLER_RATIO?: number;
  /** How long finished spans wait to be exported in one batch, in ms. @default 5000 */
  OTEL_BSP_SCHEDULE_DELAY?: number;
}

/** Options of {@link startTelemetry}. */
export interface TelemetryOptions {
  /** Where spans go instead of OTLP (tests: an `InMemorySpanExporter`), exported one by one as they end. */
  exporter?: SpanExporter;
}

/** Tracing of a process, once started. */
export interface Telemetry {
  /** Whether spans are recorded and exported. */
  readonly recording: boolean;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Exports what is buffered and stops; safe to call twice. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;

/**
 * Starts OpenTelemetry tracing for the process `service` (once; a second call returns the first's): W3C trace context
 * (`traceparent`) as the propagator, async-hooks context, and spans exported over OTLP/HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set, sampled at `OTEL_TRACES_SAMPLER_RATIO` for new traces and following the
 * caller's decision for continued ones. Without an endpoint (the default) nothing is recorded, yet trace ids are
 * still made and propagated: log lines carry them, and a traced client's context crosses the process unchanged.
 *
 * When recording, `pg` (Prisma's driver), `ioredis` and `amqplib` are instrumented too: their calls become spans of
 * the request or event they serve (database and Redis calls only inside a trace: the relay's polling and the sweepers
 * make none). They patch those modules as they are loaded, so an entry point starts tracing before it imports
 * anything else (its `instrument.ts`, imported first).
 */
export function startTelemetry(
  service: string,
  settings: TelemetrySettings,
  options: TelemetryOptions = {},
): Telemetry {
  if (current) return current;
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  if (settings.OTEL_EXPORTER_OTLP_ENDPOINT) {
    const url = `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
    processors.push(
      new BatchSpanProcessor(new OTLPTraceExporter({ url }), {
        scheduledDelayMillis: settings.OTEL_BSP_SCHEDULE_DELAY ?? 5000,
      }),
    );
  }
  const recording = processors.length > 0;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    sampler: recording
      ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_RATIO ?? 1) })
      : new AlwaysOffSampler(),
    spanProcessors: processors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const unregister = recording
    ? registerInstrumentations({
        tracerProvider: provider,
        instrumentations: [
          new PgInstrumentation({ requireParentSpan: true }),
          new IORedisInstrumentation({ requireParentSpan: true }),
          new AmqplibInstrumentation(),
        ],
      })
    : () => undefined;
  let stopped: Promise<void> | undefined;
  current = {
    recording,
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= provider.shutdown().finally(() => {
        unregister();
        trace.disable();
        context.disable();
        propagation.disable();
        current = undefined;
      });
      return stopped;
    },
  };
  return current;
}

/** Exports what is buffered and stops tracing, when it was started (what `runService` does on SIGTERM). */
export async function shutdownTelemetry(): Promise<void> {
  await current?.shutdown();
}
