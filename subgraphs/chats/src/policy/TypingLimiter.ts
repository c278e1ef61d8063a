/** Options of {@link TypingLimiter}. */
export interface TypingLimiterOptions {
  /** The same state again within this time is dropped silently. @default 1000 */
  repeatMs?: number;
  /** Calls allowed per user and chat within `windowMs` before RATE_LIMITED. @default 10 */
  burst?: number;
  /** @default 10000 */
  windowMs?: number;
  /** Most (user, chat) entries kept; the oldest are forgotten beyond it. @default 100000 */
  maxEntries?: number;
  /** @default Date.now */
  now?: () => number;
}

/** What to do with one `setTyping` call. */
export type TypingDecision = { action: 'publish' } | { action: 'drop' } | { action: 'reject'; retryAfterMs: number };

interface Entry {
  /** Times of the calls within the window, oldest first. */
  calls: number[];
  lastState: boolean;
  lastPublishedAt: number;
}

/**
 * Per user and chat limits for typing indicators, in this process's memory (typing is ephemeral and never stored;
 * with several chats instances each enforces its own share, which bounds the total all the same):
 * - the same state repeated within `repeatMs` is dropped silently (clients send "typing" on every keystroke);
 * - more than `burst` calls within `windowMs` are refused with the time until the next one is allowed.
 */
export class TypingLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly repeatMs: number;
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: TypingLimiterOptions = {}) {
    this.repeatMs = options.repeatMs ?? 1000;
    this.burst = options.burst ?? 10;
    this.windowMs = options.windowMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Records a call and says whether to publish it, drop it, or refuse it. */
  check(userId: bigint, chatId: bigint, typing: boolean): TypingDecision {
    const now = this.now();
    const key = `${userId}:${chatId}`;
    let entry = this.entries.get(key);
    if (entry) {
      // Re-inserting keeps the Map in least-recently-used order for the eviction below.
      this.entries.delete(key);
    } else {
      entry = { calls: [], lastState: !typing, lastPublishedAt: -Infinity };
    }
    this.entries.set(key, entry);
    while (entry.calls.length > 0 && entry.calls[0]! <= now - this.windowMs) entry.calls.shift();
    if (entry.calls.length >= this.burst) {
      return { action: 'reject', retryAfterMs: Math.max(1, entry.calls[0]! + this.windowMs - now) };
    }
    entry.calls.push(now);
    this.evict();
    if (entry.lastState === typing && now - entry.lastPublishedAt < this.repeatMs) return { action: 'drop' };
    entry.lastState = typing;
    entry.lastPublishedAt = now;
    return { action: 'publish' };
  }

  private evict(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) return;
      this.entries.delete(oldest);
    }
  }
}
