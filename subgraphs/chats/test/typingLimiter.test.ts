import { createLogger } from '@chatgraph/logging';
import { RateLimits } from '@chatgraph/ratelimit';
import { testConfig } from '@chatgraph/testing';
import { TypingLimiter } from '../src/policy/TypingLimiter';

describe('TypingLimiter (counters in Redis)', () => {
  // Two chats instances: each its own limiter and Redis connection, the same deployment (namespace).
  const config = testConfig({ RATE_LIMIT_TYPING: '4/10s' });
  const limits = [0, 1].map(() => RateLimits.fromConfig(config, createLogger('typing-test', 'silent')));
  const [a, b] = limits.map((l) => new TypingLimiter(l)) as [TypingLimiter, TypingLimiter];
  let user = 1000n;
  const newUser = () => ++user;
  beforeAll(() => Promise.all(limits.map((l) => l.store.connected())));
  afterAll(() => Promise.all(limits.map((l) => l.close())));

  it('publishes a new state, drops the same state again, always publishes a change of state', async () => {
    const u = newUser();
    expect((await a.check(u, 9n, true)).action).toBe('publish');
    expect((await a.check(u, 9n, true)).action).toBe('drop');
    expect((await a.check(u, 9n, false)).action).toBe('publish');
    expect((await a.check(u, 9n, true)).action).toBe('publish');
  });

  it('refuses calls over the limit with the time until the window ends, counted across instances', async () => {
    const u = newUser();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push((await (i % 2 ? b : a).check(u, 9n, i % 2 === 0)).action);
    expect(decisions).toEqual(['publish', 'publish', 'publish', 'publish']);
    const refused = await b.check(u, 9n, true);
    expect(refused.action).toBe('reject');
    const retryAfterMs = refused.action === 'reject' ? refused.retryAfterMs : 0;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(10_000);
    // other users and other chats are counted apart
    expect((await a.check(newUser(), 9n, true)).action).toBe('publish');
    expect((await a.check(u, 8n, true)).action).toBe('publish');
  });
});
