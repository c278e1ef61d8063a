import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '@chatgraph/logging';

/** Options of {@link RedisEventBus}. */
export interface RedisEventBusOptions {
  url: string;
  logger: Logger;
  /** Per-publish time limit; a publish that cannot reach Redis fails after this instead of queueing. @default 1000 */
  publishTimeoutMs?: number;
  /** Publishes failing in a row that open the breaker. @default 3 */
  breakerFailures?: number;
  /** How long an open breaker refuses publishes before one is tried again. @default 2000 */
  breakerHalfOpenMs?: number;
}

/** Counters a service exposes about its publishing. */
export interface PublishStats {
  published: number;
  /** Publishes that did not reach Redis (errors, time-outs, and those the open breaker refused). */
  failed: number;
  /** Of `failed`, those the open breaker refused without trying. */
  refusedByBreaker: number;
  /** The publish breaker: `open` while Redis fails or does not answer. */
  breaker: 'closed' | 'open' | 'half-open';
}

const BREAKER_STATES = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
} as const;

/**
 * Redis pub/sub for chatgraph services, on ioredis: one publisher and one subscriber connection per process, reconnecting forever with capped backoff. Publishing never blocks on a down Redis: the
 * publisher has no offline queue, so a publish during an outage fails fast, is counted and logged, and the caller
 * carries on (pub/sub is at-most-once; the chat event log is the truth). A breaker (cockatiel) opens after a few
 * publishes failed in a row, so while Redis is frozen (connected but silent) a publish fails at once instead of after
 * its time limit, and a request that publishes is not held up; it lets one publish through after
 * `breakerHalfOpenMs`, and closes when that one succeeds. The subscriber re-subscribes its channels by itself after a
 * reconnect.
 */
export class RedisEventBus {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  readonly stats: PublishStats = { published: 0, failed: 0, refusedByBreaker: 0, breaker: 'closed' };
  private readonly logger: Logger;
  private readonly publishTimeoutMs: number;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(options: RedisEventBusOptions) {
    this.logger = options.logger;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 1000;
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.breakerHalfOpenMs ?? 2000,
      breaker: new ConsecutiveBreaker(options.breakerFailures ?? 3),
    });
    this.breaker.onStateChange((state) => {
      this.stats.breaker = BREAKER_STATES[state];
      this.logger.warn({ breaker: this.stats.breaker }, 'redis publish breaker');
    });
    const base: RedisOptions = {
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    };
    this.publisher = new Redis(options.url, { ...base, enableOfflineQueue: false, connectionName: 'publisher' });
    this.subscriber = new Redis(options.url, { ...base, maxRetriesPerRequest: null, connectionName: 'subscriber' });
    for (const [role, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      // Without a listener ioredis would print every failed reconnect as an unhandled error.
      client.on('error', (err: Error) => this.logger.warn({ role, err: err.message }, 'redis connection error'));
    }
  }

  /**
   * Publishes `payload` (JSON) on `topic`. Resolves true when Redis took it, false when it could not (logged and
   * counted); never rejects.
   */
  async publish(topic: string, payload: unknown): Promise<boolean> {
    try {
      await this.breaker.execute(() => this.publishOnce(topic, JSON.stringify(payload)));
      this.stats.published++;
      return true;
    } catch (err) {
      this.stats.failed++;
      if (err instanceof BrokenCircuitError) {
        // Logged once, when the breaker opened; counted here.
        this.stats.refusedByBreaker++;
        return false;
      }
      this.logger.warn({ topic, err: (err as Error).message, failed: this.stats.failed }, 'publish to redis failed');
      return false;
    }
  }

  private async publishOnce(topic: string, message: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.publisher.publish(topic, message),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`publish timed out after ${this.publishTimeoutMs} ms`)),
            this.publishTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes both connections. */
  async close(): Promise<void> {
    await Promise.all([this.publisher.quit(), this.subscriber.quit()].map((p) => p.catch(() => undefined)));
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
