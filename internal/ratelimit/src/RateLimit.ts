import type { Rate } from '@chatgraph/config';
import type { RateLimitStore } from './RateLimitStore';
import { rateLimitKey } from './rateLimitKey';
import { rateLimited } from './rateLimited';
import { RateLimiterRes, SharedLimiter, retryAfterMs } from './SharedLimiter';

/** What a limit says about one action. */
export type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * One family of rate limits (`message:user`, `signup:address`, ...): at most `rate.points` actions per subject within a
 * fixed window of `rate.durationSeconds`, counted in the shared Redis under `{rl:<family>:<subject>}` (see
 * {@link SharedLimiter} for what happens while Redis is down).
 */
export class RateLimit {
  private readonly limiter: SharedLimiter;

  constructor(
    store: RateLimitStore,
    readonly family: string,
    readonly rate: Rate,
    /** What is counted, plural, for the error message ("messages from you"). */
    private readonly what: string,
  ) {
    this.limiter = new SharedLimiter(store, { family, points: rate.points, durationSeconds: rate.durationSeconds });
  }

  /** Counts one action of `subject` and says whether it is allowed. */
  async take(subject: string): Promise<Verdict> {
    try {
      await this.limiter.consume(rateLimitKey(this.family, subject));
      return { allowed: true };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, retryAfterMs: retryAfterMs(err) };
      throw err;
    }
  }

  /** Gives back the action counted for `subject` (one that turned out not to happen, e.g. refused for access). */
  async refund(subject: string): Promise<void> {
    await this.limiter.reward(rateLimitKey(this.family, subject));
  }

  /** Counts one action of `subject`; throws `RATE_LIMITED` (with `retryAfterMs`) when it is over the limit. */
  async takeOrThrow(subject: string): Promise<void> {
    const verdict = await this.take(subject);
    if (!verdict.allowed) throw rateLimited(this.what, verdict.retryAfterMs);
  }
}
