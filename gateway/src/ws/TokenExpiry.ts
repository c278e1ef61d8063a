/** Longest delay `setTimeout` takes; a later expiry is waited for in several steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Bucket<T> {
  timer: NodeJS.Timeout;
  connections: Set<T>;
}

/**
 * Ends connections when the token they were opened with expires, with one timer per second in which tokens expire
 * rather than one per connection (a timer, its callback and its closure are a good part of what an idle connection
 * costs). A connection is ended at the end of the second its token expires in: at most a second after the exact
 * instant.
 */
export class TokenExpiry<T> {
  private readonly buckets = new Map<number, Bucket<T>>();

  constructor(
    /** Ends a connection whose token expired. */
    private readonly expire: (connection: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ends `connection` when `expiresAtMs` has passed (unless {@link forget} comes first). */
  watch(connection: T, expiresAtMs: number): void {
    const second = TokenExpiry.secondOf(expiresAtMs);
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = { timer: this.arm(second), connections: new Set() };
      this.buckets.set(second, bucket);
    }
    bucket.connections.add(connection);
  }

  /** Stops watching a connection that closed (`expiresAtMs` as given to {@link watch}). */
  forget(connection: T, expiresAtMs: number): void {
    const second = TokenExpiry.secondOf(expiresAtMs);
    const bucket = this.buckets.get(second);
    if (!bucket?.connections.delete(connection) || bucket.connections.size > 0) return;
    clearTimeout(bucket.timer);
    this.buckets.delete(second);
  }

  /** Timers running now (one per second with expiries). */
  get timers(): number {
    return this.buckets.size;
  }

  /** Cancels every timer (shutdown). */
  stop(): void {
    for (const bucket of this.buckets.values()) clearTimeout(bucket.timer);
    this.buckets.clear();
  }

  private static secondOf(expiresAtMs: number): number {
    return Math.ceil(expiresAtMs / 1000) * 1000;
  }

  private arm(second: number): NodeJS.Timeout {
    const timer = setTimeout(
      () => {
        const bucket = this.buckets.get(second);
        if (!bucket) return;
        if (this.now() < second) {
          // Woken early: the expiry was further away than one timer can wait.
          bucket.timer = this.arm(second);
          return;
        }
        this.buckets.delete(second);
        for (const connection of bucket.connections) this.expire(connection);
      },
      Math.max(0, Math.min(second - this.now(), MAX_DELAY_MS)),
    );
    timer.unref();
    return timer;
  }
}
