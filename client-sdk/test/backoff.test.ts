import { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from '../src/backoff.ts';
import { ChatGraphError } from '../src/ChatGraphError.ts';
import { retryTransient } from '../src/retryTransient.ts';

describe('backoffDelay', () => {
  it('grows exponentially from initialMs and stops at maxMs (no jitter)', () => {
    const delays = Array.from({ length: 10 }, (_, attempt) => backoffDelay(attempt, { jitter: 0 }));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  });

  it('stays within [(1 - jitter) * d, d] for every attempt, whatever the random source says', () => {
    const options = { initialMs: 100, maxMs: 5000, factor: 3, jitter: 0.4 };
    for (let attempt = 0; attempt < 60; attempt++) {
      const ceiling = Math.min(5000, 100 * 3 ** attempt);
      for (const r of [0, 0.25, 0.5, 0.999999, 1]) {
        const delay = backoffDelay(attempt, options, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.6));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('spreads clients out: different random draws give different delays at the same attempt', () => {
    const draws = new Set(Array.from({ length: 50 }, (_, i) => backoffDelay(3, {}, () => i / 50)));
    expect(draws.size).toBeGreaterThan(40);
  });

  it('never exceeds maxMs nor becomes NaN or Infinity for huge attempt counts', () => {
    for (const attempt of [1000, 1e9, Number.MAX_SAFE_INTEGER]) {
      const delay = backoffDelay(attempt);
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
      expect(delay).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.maxMs * (1 - DEFAULT_BACKOFF.jitter));
    }
  });

  it('clamps nonsense options (negative delays, jitter outside 0..1, maxMs below initialMs, negative attempts)', () => {
    expect(resolveBackoff({ initialMs: -5, maxMs: -1, factor: 0.5, jitter: 7 })).toEqual({
      initialMs: 0,
      maxMs: 0,
      factor: 1,
      jitter: 1,
    });
    expect(resolveBackoff({ initialMs: 500, maxMs: 100 }).maxMs).toBe(500);
    expect(backoffDelay(-3, { jitter: 0 })).toBe(250);
    expect(backoffDelay(0, {}, () => 5)).toBe(125);
  });
});

describe('retryTransient', () => {
  const fast = { initialMs: 1, maxMs: 2 };

  it('retries transient failures and returns the first success', async () => {
    let calls = 0;
    const result = await retryTransient(async () => {
      calls++;
      if (calls < 3) throw new ChatGraphError(calls === 1 ? 'NETWORK_ERROR' : 'SERVICE_UNAVAILABLE', 'down');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after `attempts` in all and throws the last error', async () => {
    let calls = 0;
    const failing = retryTransient(
      async () => {
        calls++;
        throw new ChatGraphError('NETWORK_ERROR', `attempt ${calls}`);
      },
      { ...fast, attempts: 3 },
    );
    await expect(failing).rejects.toMatchObject({ code: 'NETWORK_ERROR', message: 'attempt 3' });
    expect(calls).toBe(3);
  });

  it('does not retry errors that would fail again (FORBIDDEN, CONFLICT, non-SDK errors)', async () => {
    for (const error of [
      new ChatGraphError('FORBIDDEN', 'no'),
      new ChatGraphError('CONFLICT', 'no'),
      new TypeError('bug'),
    ]) {
      let calls = 0;
      await expect(
        retryTransient(async () => {
          calls++;
          throw error;
        }, fast),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});
