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

  /**
   * Counts one action against several limits at once (their Redis commands go out together: one round trip, not one
   * per limit) and throws `RATE_LIMITED` for the first of them, in the order given, that refuses it. A refused action
   * counts against none: the points the other limits took are given back.
   */
  static async takeAllOrThrow(takes: ReadonlyArray<readonly [RateLimit, string]>): Promise<void> {
    const verdicts = await Promise.all(takes.map(([limit, subject]) => limit.take(subject)));
    const refused = verdicts.findIndex((verdict) => !verdict.allowed);
    if (refused < 0) return;
    await Promise.all(takes.map(([limit, subject], i) => (verdicts[i]!.allowed ? limit.refund(subject) : undefined)));
    const verdict = verdicts[refused] as Extract<Verdict, { allowed: false }>;
    throw rateLimited(takes[refused]![0].what, verdict.retryAfterMs);
  }
}
