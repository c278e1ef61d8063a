import { classifyLiveError, type LiveFailureContext } from '../src/classifyLiveError.ts';
import { ChatGraphError } from '../src/ChatGraphError.ts';

const accepted: LiveFailureContext = { wasAcknowledged: true, consecutiveRefusals: 0 };
const summary = (err: unknown, context = accepted) => {
  const f = classifyLiveError(err, context);
  return f.action === 'retry' ? `retry ${f.delay} ${f.error.code}` : `fatal ${f.error.code}`;
};
const gqlErrors = (code: string) => [{ message: code, extensions: { code } }];

describe('classifyLiveError', () => {
  it('resubscribes after the gateway asks for it or a service is down', () => {
    for (const code of [
      'SLOW_CONSUMER',
      'SUBSCRIPTION_RESTART',
      'SERVICE_UNAVAILABLE',
      'RATE_LIMITED',
      'INTERNAL_SERVER_ERROR',
    ])
      expect(summary(gqlErrors(code))).toBe(`retry backoff ${code}`);
  });

  it('gives up on errors that a retry would repeat, keeping the server code and message', () => {
    for (const code of [
      'FORBIDDEN',
      'NOT_FOUND',
      'BAD_USER_INPUT',
      'LIMIT_EXCEEDED',
      'UNAUTHENTICATED',
      'GRAPHQL_VALIDATION_FAILED',
    ])
      expect(summary(gqlErrors(code))).toBe(`fatal ${code}`);
    const failure = classifyLiveError(
      [{ message: 'Your access was revoked.', extensions: { code: 'FORBIDDEN' } }],
      accepted,
    );
    expect(failure.error).toBeInstanceOf(ChatGraphError);
    expect(failure.error.message).toBe('Your access was revoked.');
  });

  it('reconnects after dropped sockets, gateway shutdown (1001) and pong timeouts', () => {
    expect(summary({ code: 1006, reason: '' })).toBe('retry backoff NETWORK_ERROR');
    expect(summary({ code: 1001, reason: 'Gateway shutting down' })).toBe('retry backoff NETWORK_ERROR');
    expect(summary({ code: 4499, reason: 'Terminated' })).toBe('retry backoff NETWORK_ERROR');
    expect(summary({ type: 'error', message: 'connect ECONNREFUSED 127.0.0.1:1' })).toBe('retry backoff NETWORK_ERROR');
    expect(classifyLiveError({ type: 'error', message: 'connect ECONNREFUSED' }, accepted).error.message).toContain(
      'ECONNREFUSED',
    );
  });

  it('reconnects at once with a fresh token when an accepted token expires (4401 "Token expired")', () => {
    expect(summary({ code: 4401, reason: 'Token expired' })).toBe('retry now UNAUTHENTICATED');
  });

  it('retries a token refused at connect a couple of times (getToken may refresh it), then gives up', () => {
    const refused = (n: number) =>
      summary({ code: 4401, reason: 'Token expired' }, { wasAcknowledged: false, consecutiveRefusals: n });
    expect(refused(1)).toBe('retry backoff UNAUTHENTICATED');
    expect(refused(2)).toBe('retry backoff UNAUTHENTICATED');
    expect(refused(3)).toBe('fatal UNAUTHENTICATED');
  });

  it('reconnects at once when the session was revoked while connected (4410): the next socket renews the token', () => {
    expect(summary({ code: 4410, reason: 'Session revoked' })).toBe('retry now UNAUTHENTICATED');
  });

  it('retries a refused token a couple of times when the client renews tokens itself (a session), then gives up', () => {
    const renewing = (n: number) =>
      summary(
        { code: 4401, reason: 'Unauthorized: revoked token' },
        { wasAcknowledged: false, consecutiveRefusals: n, renewsTokens: true },
      );
    expect(renewing(1)).toBe('retry backoff UNAUTHENTICATED');
    expect(renewing(3)).toBe('fatal UNAUTHENTICATED');
  });

  it('gives up at once on an invalid token and on protocol errors', () => {
    expect(summary({ code: 4401, reason: 'Unauthorized: invalid token' })).toBe('fatal UNAUTHENTICATED');
    expect(summary({ code: 4400, reason: 'Invalid message received' })).toBe('fatal BAD_REQUEST');
  });

  it('retries getToken() failures that are transient and gives up on the others', () => {
    expect(summary(new ChatGraphError('NETWORK_ERROR', 'refresh endpoint down'))).toBe('retry backoff NETWORK_ERROR');
    expect(summary(new ChatGraphError('UNAUTHENTICATED', 'signed out'))).toBe('fatal UNAUTHENTICATED');
  });
});
