import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

export { SpanKind, type Attributes, type Context, type Span };

/** The tracer every chatgraph span comes from. */
export const tracer = () => trace.getTracer('chatgraph');

/** Options of {@link inSpan}. */
export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent: a context extracted from a request or an event. @default the active context */
  parent?: Context;
}

/**
 * Runs `fn` in a new active span named `name` and ends it when `fn` settles; a thrown error is recorded on the span
 * (status ERROR) and rethrown. Without tracing started this costs one no-op span.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T | Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** The W3C trace context headers of `ctx` (`traceparent`, and `tracestate` when there is one); empty without a trace. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * The context a `traceparent` (an HTTP header, or the field an event carries) continues; the root context when it is
 * missing or malformed, so a bad value starts a new trace rather than failing anything.
 */
export function contextFrom(carrier: Record<string, unknown> | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, {
    get: (c, key) => {
      const value = c[key];
      if (typeof value === 'string') return value;
      return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
    },
    keys: (c) => Object.keys(c),
  });
}

/** The active trace's id (32 hex digits), or undefined outside any trace. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
