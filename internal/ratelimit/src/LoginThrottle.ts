import type { Backoff, Rate } from '@chatgraph/config';
import { RateLimit } from './RateLimit';
import type { RateLimitStore } from './RateLimitStore';
import { rateLimitKey } from './rateLimitKey';
import { rateLimited } from './rateLimited';
import { RateLimiterRes, SharedLimiter, retryAfterMs } from './SharedLimiter';

/** How long unsuccessful attempts on a username are remembered (from the first one) when no success resets them. */
const ATTEMPTS_MEMORY_SECONDS = 24 * 3600;
/** Effectively unlimited: the attempts counter only counts, the gate refuses. */
const UNCOUNTED = 1_000_000_000;

/**
 * Slows down password guessing, in the shared Redis:
 * - per username, growing delays: the first `backoff.free` consecutive unsuccessful attempts pass at once; after
 *   that one attempt is allowed per wait, the wait starting at `backoff.firstSeconds` and doubling with every further
 *   attempt up to `backoff.maxSeconds`. A successful logIn forgets the username's attempts.
 * - per client address, at most `perAddress` attempts per window, whatever the usernames.
 *
 * Attempts are counted before the password is checked, so a burst of concurrent guesses cannot all slip through
 * before the first failure is recorded; an attempt refused here is not counted against the username.
 */
export class LoginThrottle {
  private readonly attempts: SharedLimiter;
  private readonly gate: SharedLimiter;
  private readonly address: RateLimit;

  constructor(
    store: RateLimitStore,
    private readonly backoff: Backoff,
    perAddress: Rate,
  ) {
    const family = 'login:user';
    this.attempts = new SharedLimiter(store, {
      family,
      points: UNCOUNTED,
      durationSeconds: ATTEMPTS_MEMORY_SECONDS,
    });
    // One attempt per wait: the first consume of a wait creates the key with the wait as its lifetime.
    this.gate = new SharedLimiter(store, { family, counter: 'gate', points: 1, durationSeconds: 1 });
    this.address = new RateLimit(store, 'login:address', perAddress, 'sign-in attempts from your address');
  }

  /** The wait before the attempt after `attempt` (1-based) may run, in seconds; 0 within the free attempts. */
  waitSeconds(attempt: number): number {
    const { free, firstSeconds, maxSeconds } = this.backoff;
    if (attempt <= free) return 0;
    return Math.min(maxSeconds, firstSeconds * 2 ** Math.min(attempt - free - 1, 30));
  }

  /**
   * Admits one logIn attempt for `username` from `clientAddress` (when known), before the password is checked.
   * Throws `RATE_LIMITED` with `retryAfterMs` when the address or the username must wait.
   */
  async admit(username: string, clientAddress?: string): Promise<void> {
    if (clientAddress !== undefined) await this.address.takeOrThrow(clientAddress);
    const key = rateLimitKey('login:user', username);
    const attempt = (await this.attempts.consume(key)).consumedPoints;
    const wait = this.waitSeconds(attempt);
    if (wait === 0) return;
    try {
      await this.gate.consume(key, 1, wait);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // Refused attempts do not count: the next wait is the one this attempt would have had.
      await this.attempts.reward(key);
      throw rateLimited('sign-in attempts for this username', retryAfterMs(err));
    }
  }

  /** A correct password: the username's attempts and wait are forgotten. */
  async succeeded(username: string): Promise<void> {
    const key = rateLimitKey('login:user', username);
    await Promise.all([this.attempts.delete(key), this.gate.delete(key)]);
  }
}
