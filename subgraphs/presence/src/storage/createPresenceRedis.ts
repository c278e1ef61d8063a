import type Redis from 'ioredis';
import type { Logger } from '@chatgraph/logging';
import { createRedis, type RedisClient, type RedisLocation } from '@chatgraph/pubsub';

/** Options of {@link createPresenceRedis}. */
export interface PresenceRedisOptions {
  /** Time limit of one command; a request never waits longer on Redis. @default 1000 */
  commandTimeoutMs?: number;
}

/**
 * The Redis connection of a presence instance (a single server or a cluster: see `createRedis`). It fails fast
 * instead of queueing while Redis is down (no offline queue, one retry, a command timeout), so requests answer
 * `SERVICE_UNAVAILABLE` at once, and it reconnects forever with capped backoff, so the service recovers by itself
 * when Redis is back.
 */
export function createPresenceRedis(url: string, logger: Logger, options?: PresenceRedisOptions): Redis;
export function createPresenceRedis(
  location: string | RedisLocation,
  logger: Logger,
  options?: PresenceRedisOptions,
): RedisClient;
export function createPresenceRedis(
  location: string | RedisLocation,
  logger: Logger,
  options: PresenceRedisOptions = {},
): RedisClient {
  const redis = createRedis(location, {
    name: 'presence',
    offlineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeoutMs: options.commandTimeoutMs ?? 1000,
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
