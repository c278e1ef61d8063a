import type Redis from 'ioredis';
import type { Logger } from '@chatgraph/logging';
import { createRedis, type RedisClient, type RedisLocation } from './createRedis';

/** Options of {@link createFailFastRedis}. */
export interface FailFastRedisOptions {
  /** Connection name shown by `CLIENT LIST` and in logs. */
  name: string;
  /** Time limit of one command; a request never waits longer on Redis. @default 1000 */
  commandTimeoutMs?: number;
}

/**
 * A Redis connection (a single server or a cluster: see `createRedis`) for commands a request waits on. It fails fast instead of queueing while Redis is down (no
 * offline queue, one retry, a command timeout), so the request answers `SERVICE_UNAVAILABLE` at once (the errors are
 * the ones `infrastructureFailure` recognises), and it reconnects forever with capped backoff, so the service recovers
 * by itself when Redis is back.
 */
export function createFailFastRedis(url: string, logger: Logger, options: FailFastRedisOptions): Redis;
export function createFailFastRedis(
  location: string | RedisLocation,
  logger: Logger,
  options: FailFastRedisOptions,
): RedisClient;
export function createFailFastRedis(
  location: string | RedisLocation,
  logger: Logger,
  options: FailFastRedisOptions,
): RedisClient {
  const redis = createRedis(location, {
    name: options.name,
    offlineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeoutMs: options.commandTimeoutMs ?? 1000,
  });
  let down = false;
  // Without a listener ioredis prints every failed reconnect as an unhandled error; log the first of a series only.
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err: err.message, connection: options.name }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ connection: options.name }, 'redis connection restored');
    down = false;
  });
  return redis;
}
