import Redis from 'ioredis';
import type { Logger } from '@chatgraph/logging';

/** How long one rate-limit command may take before the limiter stops waiting for Redis and falls back. */
export const LIMITER_COMMAND_TIMEOUT_MS = 500;

/**
 * The Redis connection of a process's rate limits (ioredis), made to fail fast: no offline queue (a command while
 * disconnected fails at once instead of waiting for a reconnect), one try per command and a short command timeout (a
 * Redis that hangs). A failed command never refuses a request: the limiter falls back (see `RateLimitStore`).
 */
export function createLimiterRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: LIMITER_COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    connectionName: 'ratelimit',
  });
  // Without a listener ioredis would print every failed reconnect as an unhandled error.
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'rate-limit redis connection error'));
  return redis;
}
