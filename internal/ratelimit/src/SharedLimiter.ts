import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitStore } from './RateLimitStore';

/** Options of {@link SharedLimiter}. */
export interface SharedLimiterOptions {
  /** Family name, for logs (`login:user`). */
  family: string;
  /** Distinguishes several counters of one family (`gate`); joined to the store's namespace. */
  counter?: string;
  points: number;
  durationSeconds: number;
}

/**
 * One rate-limiter-flexible counter in the shared Redis, with a memory counter of the same shape that decides while
 * Redis cannot answer (see {@link RateLimitStore}). Over the limit, `consume` rejects with the library's
 * `RateLimiterRes` (its `msBeforeNext` says how long to wait); a Redis failure never rejects.
 */
export class SharedLimiter {
  private readonly redis: RateLimiterRedis;
  private readonly memory: RateLimiterMemory;

  constructor(
    private readonly store: RateLimitStore,
    private readonly options: SharedLimiterOptions,
  ) {
    const keyPrefix = options.counter ? `${store.namespace}:${options.counter}` : store.namespace;
    const shape = { keyPrefix, points: options.points, duration: options.durationSeconds };
    // rejectIfRedisNotReady: while disconnected, decide at once from memory instead of waiting for a reconnect.
    this.redis = new RateLimiterRedis({ ...shape, storeClient: store.redis, rejectIfRedisNotReady: true });
    this.memory = new RateLimiterMemory(shape);
  }

  /** Takes `points` for `key`; rejects with `RateLimiterRes` over the limit. `customDuration` applies to a new key. */
  consume(key: string, points = 1, customDuration?: number): Promise<RateLimiterRes> {
    const options = customDuration === undefined ? {} : { customDuration };
    return this.fallback(
      () => this.redis.consume(key, points, options),
      () => this.memory.consume(key, points, options),
    );
  }

  /** Gives `points` back to `key`. */
  reward(key: string, points = 1): Promise<RateLimiterRes> {
    return this.fallback(
      () => this.redis.reward(key, points),
      () => this.memory.reward(key, points),
    );
  }

  /** Forgets `key`. */
  async delete(key: string): Promise<void> {
    await this.fallback(
      () => this.redis.delete(key),
      () => this.memory.delete(key),
    );
  }

  private async fallback<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      return await shared();
    } catch (err) {
      if (err instanceof RateLimiterRes) throw err;
      this.store.redisFailed(this.options.family, err);
      return local();
    }
  }
}

/** The wait a rejection asks for, in whole milliseconds (at least 1). */
export function retryAfterMs(rejection: RateLimiterRes): number {
  return Math.max(1, Math.ceil(rejection.msBeforeNext));
}

export { RateLimiterRes };
