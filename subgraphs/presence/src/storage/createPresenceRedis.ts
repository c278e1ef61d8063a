import Redis from 'ioredis';
import type { Logger } from '@chatgraph/logging';

/** Options of {@link createPresenceRedis}. */
export interface PresenceRedisOptions {
  /** Time limit of one command; a request never waits longer on Redis. @default 1000 */
  commandTimeoutMs?: number;
}

/**
 * The Redis connection of a presence instance. It fails fast instead of queueing while Redis is down (no offline
 * queue, one retry, a command timeout), so requests answer `SERVICE_UNAVAILABLE` at once, and it reconnects forever
 * with capped backoff, so the service recovers by itself when Redis is back.
 */
export function createPresenceRedis(url: string, logger: Logger, options: PresenceRedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: 'presence',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  });
  let down = false;
  // Without a listener ioredis prints every failed reconnect as an unhandled error; log the first of a series only.
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err: err.message }, 'presence redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('presence redis connection restored');
    down = false;
  });
  return redis;
}
