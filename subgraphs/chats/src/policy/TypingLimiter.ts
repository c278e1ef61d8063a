import { rateLimitKey, RateLimiterRes, SharedLimiter, type RateLimits } from '@chatgraph/ratelimit';

/** What to do with one `setTyping` call. */
export type TypingDecision = { action: 'publish' } | { action: 'drop' } | { action: 'reject'; retryAfterMs: number };

/** The same state again within this time is dropped silently (clients send "typing" on every keystroke). */
const REPEAT_SECONDS = 1;

/**
 * Per user and chat limits for typing indicators, in the shared Redis (rate-limiter-flexible), so they hold across
 * every chats instance:
 * - more than `RATE_LIMIT_TYPING` calls per window are refused with the time until the window ends;
 * - the same state repeated within a second is dropped silently; a change of state is always published.
 */
export class TypingLimiter {
  private readonly repeat: SharedLimiter;

  constructor(private readonly limits: RateLimits) {
    this.repeat = new SharedLimiter(limits.store, {
      family: 'typing:repeat',
      points: 1,
      durationSeconds: REPEAT_SECONDS,
    });
  }

  /** Records a call and says whether to publish it, drop it, or refuse it. */
  async check(userId: bigint, chatId: bigint, typing: boolean): Promise<TypingDecision> {
    const subject = `${userId}:${chatId}`;
    const verdict = await this.limits.typing.take(subject);
    if (!verdict.allowed) return { action: 'reject', retryAfterMs: verdict.retryAfterMs };
    try {
      await this.repeat.consume(rateLimitKey('typing:repeat', `${subject}:${typing}`));
    } catch (err) {
      if (err instanceof RateLimiterRes) return { action: 'drop' };
      throw err;
    }
    // A new state: the other state's repeat window is over (typing, stopped, typing again is three events).
    await this.repeat.delete(rateLimitKey('typing:repeat', `${subject}:${!typing}`));
    return { action: 'publish' };
  }

  /**
   * Forgets a repeat window (the server ended the state itself: the next `typing: true` is news again and must be
   * published, however soon it comes).
   */
  async forget(userId: bigint, chatId: bigint, typing: boolean): Promise<void> {
    await this.repeat.delete(rateLimitKey('typing:repeat', `${userId}:${chatId}:${typing}`));
  }
}
