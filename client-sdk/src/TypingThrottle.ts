/** Options of {@link TypingThrottle}. */
export interface TypingThrottleOptions {
  /** While typing goes on, "typing" is sent again at most once per this interval. @default 3000 */
  intervalMs?: number;
  /**
   * At least this long between two requests: changes that come faster are sent once the gap has passed (only the
   * latest state), so the server's limit of 10 calls per 10 s is never reached. @default 1200
   */
  minGapMs?: number;
  /** "Stopped typing" is sent by itself after this long without `set(true)`. @default 5000 */
  idleMs?: number;
  /** Called when a deferred request fails (typing is best effort: nothing else happens). */
  onError?: (error: unknown) => void;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Client-side throttling of `setTyping` for one chat, so that `set(true)` can be called on every keystroke:
 * - "typing" is sent when it starts, then again at most once per `intervalMs` while it goes on;
 * - "stopped" is sent when it stops (only if "typing" was sent), and by itself after `idleMs` without a keystroke;
 * - two requests are always at least `minGapMs` apart; a change within the gap is sent when it ends, latest state only.
 */
export class TypingThrottle {
  private desired = false;
  private sent = false;
  private lastSentAt = -Infinity;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly intervalMs: number;
  private readonly minGapMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  /** @param send sends one `setTyping`. */
  constructor(
    private readonly send: (typing: boolean) => Promise<unknown>,
    private readonly options: TypingThrottleOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 3000;
    this.minGapMs = options.minGapMs ?? 1200;
    this.idleMs = options.idleMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Reports the typing state. Resolves true when a request was sent now (and rejects with its error), false when none
   * was needed or it was deferred to the end of the gap.
   */
  async set(typing: boolean): Promise<boolean> {
    clearTimeout(this.idleTimer);
    this.desired = typing;
    if (typing)
      this.idleTimer = setTimeout(() => void this.set(false).catch((err) => this.options.onError?.(err)), this.idleMs);
    if (!this.needsSend()) return false;
    const wait = this.lastSentAt + this.minGapMs - this.now();
    if (wait > 0) {
      this.gapTimer ??= setTimeout(() => {
        this.gapTimer = undefined;
        if (this.needsSend()) this.transmit().catch((err) => this.options.onError?.(err));
      }, wait);
      return false;
    }
    await this.transmit();
    return true;
  }

  /** Stops the timers (call when leaving the chat; `set(false)` first clears the indicator for the others). */
  dispose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }

  private needsSend(): boolean {
    if (this.desired !== this.sent) return true;
    return this.desired && this.now() - this.lastSentAt >= this.intervalMs;
  }

  private transmit(): Promise<unknown> {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    this.sent = this.desired;
    this.lastSentAt = this.now();
    return this.send(this.desired);
  }
}
