import { TypingLimiter } from '../src/policy/TypingLimiter';

describe('TypingLimiter', () => {
  let now = 0;
  const limiter = () => new TypingLimiter({ now: () => now });
  beforeEach(() => {
    now = 1_000_000;
  });

  it('publishes a new state, drops the same state within a second, publishes it again after', () => {
    const l = limiter();
    expect(l.check(1n, 9n, true).action).toBe('publish');
    now += 500;
    expect(l.check(1n, 9n, true).action).toBe('drop');
    expect(l.check(1n, 9n, false).action).toBe('publish');
    now += 1000;
    expect(l.check(1n, 9n, false).action).toBe('publish');
  });

  it('refuses the 11th call within 10 s with the time until the window frees a slot', () => {
    const l = limiter();
    for (let i = 0; i < 10; i++) {
      expect(l.check(1n, 9n, i % 2 === 0).action).not.toBe('reject');
      now += 100;
    }
    expect(l.check(1n, 9n, true)).toEqual({ action: 'reject', retryAfterMs: 9000 });
    // other users and other chats are counted apart
    expect(l.check(2n, 9n, true).action).toBe('publish');
    expect(l.check(1n, 8n, true).action).toBe('publish');
    now += 9000;
    expect(l.check(1n, 9n, true).action).not.toBe('reject');
  });

  it('forgets the least recently used entries beyond its bound', () => {
    const l = new TypingLimiter({ now: () => now, maxEntries: 2, burst: 1 });
    expect(l.check(1n, 1n, true).action).toBe('publish');
    expect(l.check(1n, 1n, true).action).toBe('reject');
    l.check(2n, 1n, true);
    l.check(3n, 1n, true); // evicts user 1
    expect(l.check(1n, 1n, true).action).toBe('publish');
  });
});
