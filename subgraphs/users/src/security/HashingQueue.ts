import { bulkhead, BulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import { userError } from '@chatgraph/errors';

/** Options of {@link HashingQueue}. */
export interface HashingQueueOptions {
  /** Hashes computed at once. @default 2 */
  concurrency?: number;
  /** Hashes waiting for a slot; more are refused. @default 32 */
  queue?: number;
}

/** First guess of one hash's duration, until hashes have been timed. */
const INITIAL_ESTIMATE_MS = 100;
/** Weight of the newest duration in the running average. */
const SMOOTHING = 0.2;

/**
 * Bounds the password hashes (scrypt) one process computes at once, with a bounded queue (cockatiel's bulkhead).
 * scrypt runs on libuv's thread pool (4 threads by default), which DNS lookups and file reads share: unbounded, a
 * flood of logIn calls fills the pool and every sign-in, and everything else waiting on the pool, slows down for
 * everyone. Beyond the queue a hash is refused at once with `SERVICE_UNAVAILABLE` and `retryAfterMs` (about the time
 * the work ahead takes), instead of waiting without bound.
 */
export class HashingQueue {
  private readonly policy: BulkheadPolicy;
  private readonly concurrency: number;
  private readonly queue: number;
  private averageMs = INITIAL_ESTIMATE_MS;

  constructor(options: HashingQueueOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.queue = options.queue ?? 32;
    this.policy = bulkhead(this.concurrency, this.queue);
  }

  /** Runs `hash` when a slot is free; throws `SERVICE_UNAVAILABLE` (with `retryAfterMs`) when the queue is full. */
  async run<T>(hash: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(async () => {
        const started = performance.now();
        try {
          return await hash();
        } finally {
          this.averageMs += SMOOTHING * (performance.now() - started - this.averageMs);
        }
      });
    } catch (err) {
      if (!(err instanceof BulkheadRejectedError)) throw err;
      // What is ahead: a full queue plus the hashes running, drained `concurrency` at a time.
      const retryAfterMs = Math.max(
        100,
        Math.ceil((this.averageMs * (this.queue + this.concurrency)) / this.concurrency),
      );
      throw userError('SERVICE_UNAVAILABLE', 'Too many sign-ins are being checked right now; try again shortly.', {
        retryAfterMs,
      });
    }
  }
}
