import { Writable } from 'node:stream';
import { createLogger } from '../src';

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
});
