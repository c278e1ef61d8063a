import type { EventPublisher } from '../live/EventPublisher';
import type { TypingLimiter } from './TypingLimiter';

/** How long a `typing: true` holds without renewal before the server says `typing: false`. */
export const TYPING_TTL_MS = 6_000;

/**
 * Ends typing states that were not renewed: each `typing: true` (published, or a repeat the limiter dropped) sets a
 * timer for {@link TYPING_TTL_MS}; an explicit `typing: false` clears it; when it fires, `typing: false` is
 * published for the user. Timers live in the process that took the last call (a client's renewals normally reach the
 * same instance; one reaching another instance still renews there) and never keep the process alive.
 */
export class TypingExpiry {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly publisher: Pick<EventPublisher, 'publishTyping'>,
    private readonly limiter: Pick<TypingLimiter, 'forget'>,
    private readonly ttlMs = TYPING_TTL_MS,
  ) {}

  /** The user is (still) typing in the chat: (re)starts the timer. */
  renew(chatId: bigint, userId: bigint): void {
    const key = `${chatId}:${userId}`;
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(() => {
      this.timers.delete(key);
      // The next `typing: true` must be published even within the limiter's repeat window.
      void this.limiter
        .forget(userId, chatId, true)
        .catch(() => undefined)
        .then(() => this.publisher.publishTyping(chatId, userId, false, new Date()));
    }, this.ttlMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** The user stopped typing (they said so): nothing to expire. */
  cancel(chatId: bigint, userId: bigint): void {
    const key = `${chatId}:${userId}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** Clears every timer (shutdown). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
