import type { Logger } from '@chatgraph/logging';
import type { RedisClient } from '@chatgraph/pubsub';

/** Counters about the shared store, for metrics. */
export interface RateLimitStats {
  /** Limiter calls Redis could not answer; each was decided by the process's own counters instead. */
  redisFailures: number;
}

/** Options of {@link RateLimitStore}. */
export interface RateLimitStoreOptions {
  redis: RedisClient;
  /**
   * Prefix of every key (`DB_NAME_PREFIX`): deployments, and test runs, sharing one Redis keep separate counters.
   */
  namespace: string;
  logger: Logger;
  /** Closed by {@link close}. @default true */
  ownsRedis?: boolean;
}

/** While Redis keeps failing, one warning per this interval (a counter says how many calls failed in all). */
const WARN_EVERY_MS = 10_000;

/**
 * Where a process's rate limits keep their counters: one Redis shared by every instance, so a limit holds however many
 * gateways or subgraphs serve a client. When Redis cannot answer, a limit is decided by per-process memory counters
 * with the same numbers instead (each instance then enforces the limit on its own share of the traffic): limits
 * loosen during a Redis outage but sign-ins, messages and connections keep working. Every such fallback is counted
 * and logged (at most one warning per 10 s).
 */
export class RateLimitStore {
  readonly redis: RedisClient;
  readonly namespace: string;
  readonly stats: RateLimitStats = { redisFailures: 0 };
  private readonly logger: Logger;
  private readonly ownsRedis: boolean;
  private lastWarnAt = -Infinity;

  constructor(options: RateLimitStoreOptions) {
    this.redis = options.redis;
    this.namespace = options.namespace;
    this.logger = options.logger;
    this.ownsRedis = options.ownsRedis ?? true;
  }

  /**
   * Resolves once the Redis connection is ready, or after `timeoutMs` (limits then start on per-process counters).
   * Services wait for it before they listen, so their first requests are already counted in Redis.
   */
  async connected(timeoutMs = 2000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.redis.once('ready', done);
    });
  }

  /** Records that Redis could not answer a limiter call of `family`. */
  redisFailed(family: string, err: unknown): void {
    this.stats.redisFailures++;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn(
      { family, err: err instanceof Error ? err.message : String(err), redisFailures: this.stats.redisFailures },
      'rate limits fall back to per-process counters: redis unavailable',
    );
  }

  /** Closes the Redis connection (when this store opened it). */
  async close(): Promise<void> {
    if (!this.ownsRedis) return;
    await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }
}
