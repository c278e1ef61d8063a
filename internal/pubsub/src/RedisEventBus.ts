import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '@chatgraph/logging';

/** Options of {@link RedisEventBus}. */
export interface RedisEventBusOptions {
  url: string;
  logger: Logger;
  /** Per-publish time limit; a publish that cannot reach Redis fails after this instead of queueing. @default 1000 */
  publishTimeoutMs?: number;
}

/** Counters a service exposes about its publishing. */
export interface PublishStats {
  published: number;
  failed: number;
}

/**
 * Redis pub/sub for chatgraph services, on ioredis: one publisher and one subscriber connection per process, reconnecting forever with capped backoff. Publishing never blocks on a down Redis: the
 * publisher has no offline queue, so a publish during an outage fails fast, is counted and logged, and the caller
 * carries on (pub/sub is at-most-once; the chat event log is the truth). The subscriber re-subscribes its channels
 * by itself after a reconnect.
 */
export class RedisEventBus {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  readonly stats: PublishStats = { published: 0, failed: 0 };
  private readonly logger: Logger;
  private readonly publishTimeoutMs: number;

  constructor(options: RedisEventBusOptions) {
    this.logger = options.logger;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 1000;
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
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.publisher.publish(topic, JSON.stringify(payload)),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`publish timed out after ${this.publishTimeoutMs} ms`)),
            this.publishTimeoutMs,
          );
        }),
      ]);
      this.stats.published++;
      return true;
    } catch (err) {
      this.stats.failed++;
      this.logger.warn({ topic, err: (err as Error).message, failed: this.stats.failed }, 'publish to redis failed');
      return false;
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
