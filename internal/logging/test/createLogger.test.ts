import { Writable } from 'node:stream';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger, REDACTED_KEYS, withRequestScope, requestIdFrom } from '../src';

/** A stream that keeps what a logger writes. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes one JSON object per line by default, with the service and secrets redacted', () => {
    const out = capture();
    const logger = createLogger('users', { LOG_LEVEL: 'info' }, out.stream);
    logger.info({ user: { password: 'hunter2' }, session: { refreshToken: 'crt_1.x' }, chats: 3 }, 'signed up');
    logger.debug('not at this level');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 30,
      service: 'users',
      msg: 'signed up',
      chats: 3,
      user: { password: '[redacted]' },
      session: { refreshToken: '[redacted]' },
    });
  });

  it('writes readable single lines with LOG_FORMAT pretty', () => {
    const out = capture();
    const logger = createLogger('gateway', { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' }, out.stream);
    logger.warn({ token: 'abc', chats: 3 }, 'something to look at');
    const text = out.text();
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(gateway\): something to look at \{.*"chats":3.*\}\n$/);
    expect(text).toContain('"token":"[redacted]"');
    expect(text).not.toContain('abc');
  });

  it('takes a bare level', () => {
    const out = capture();
    const logger = createLogger('presence', 'silent', out.stream);
    logger.error('hidden');
    expect(out.text()).toBe('');
  });

  it('redacts every secret key at any of the first four levels, whatever else is logged', () => {
    const out = capture();
    const logger = createLogger('gateway', 'info', out.stream);
    const secrets = Object.fromEntries(REDACTED_KEYS.map((key, i) => [key, `s3cret-${i}-value`]));
    logger.info(
      { ...secrets, req: { ...secrets, headers: { ...secrets }, err: { config: { ...secrets } } } },
      'everything at once',
    );
    logger.error({ err: { message: 'failed', config: { headers: { authorization: 'Bearer eyJhbGci.x.y' } } } }, 'x');
    const text = out.text();
    expect(text).not.toMatch(/s3cret-/);
    expect(text).not.toContain('eyJhbGci');
    expect(text).toContain('"msg":"everything at once"');
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({
      password: '[redacted]',
      req: { 'x-chatgraph-identity': '[redacted]', headers: { cookie: '[redacted]' } },
    });
  });

  it('puts the active trace id and the request id on every line written inside them', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const out = capture();
      const logger = createLogger('chats', 'info', out.stream);
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const span = trace.wrapSpanContext({ traceId, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
      context.with(trace.setSpan(context.active(), span), () =>
        withRequestScope({ requestId: requestIdFrom('req-42') }, () => logger.info('inside')),
      );
      logger.info('outside');
      const [inside, outside] = out
        .text()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(inside).toMatchObject({ trace_id: traceId, span_id: 'b7ad6b7169203331', request_id: 'req-42' });
      expect(outside).not.toHaveProperty('trace_id');
      expect(outside).not.toHaveProperty('request_id');
    } finally {
      context.disable();
    }
  });

  it('keeps a sane caller request id and replaces anything else with a UUID', () => {
    expect(requestIdFrom('abc-123')).toBe('abc-123');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'has space', 'x'.repeat(129), 'line\nbreak'])
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
