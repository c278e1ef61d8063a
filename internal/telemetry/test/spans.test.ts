import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { activeTraceId, contextFrom, inSpan, SpanKind, startTelemetry, traceHeaders, type Telemetry } from '../src';

describe('telemetry', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;

  beforeAll(() => {
    telemetry = startTelemetry('probe', {}, { exporter });
  });
  afterAll(() => telemetry.shutdown());
  beforeEach(() => exporter.reset());

  it('continues a caller traceparent, and hands the active span on to the next hop', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = contextFrom({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const headers = await inSpan('serve', { kind: SpanKind.SERVER, parent }, () =>
      inSpan('call', { kind: SpanKind.CLIENT }, () => {
        expect(activeTraceId()).toBe(traceId);
        return traceHeaders();
      }),
    );
    const [call, serve] = exporter.getFinishedSpans();
    expect(serve!.name).toBe('serve');
    expect(serve!.spanContext().traceId).toBe(traceId);
    expect(serve!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(call!.parentSpanContext?.spanId).toBe(serve!.spanContext().spanId);
    expect(headers.traceparent).toBe(`00-${traceId}-${call!.spanContext().spanId}-01`);
    expect(activeTraceId()).toBeUndefined();
  });

  it('starts a new trace for a missing or malformed traceparent, and records a thrown error', async () => {
    for (const carrier of [undefined, {}, { traceparent: 'not-a-traceparent' }, { traceparent: ['00-zz'] }]) {
      await inSpan('fresh', { parent: contextFrom(carrier) }, () => undefined);
    }
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(4);
    expect(spans.every((s) => s.parentSpanContext === undefined)).toBe(true);
    await expect(
      inSpan('failing', {}, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const failing = exporter.getFinishedSpans().at(-1)!;
    expect(failing.status).toMatchObject({ code: 2, message: 'boom' });
    expect(failing.events.map((e) => e.name)).toEqual(['exception']);
  });
});
