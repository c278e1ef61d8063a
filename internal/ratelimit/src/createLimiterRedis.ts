import type { Logger } from '@chatgraph/logging';
import { createRedis, type RedisClient, type RedisLocation } from '@chatgraph/pubsub';

/** How long one rate-limit command may take before the limiter stops waiting for Redis and falls back. */
export const LIMITER_COMMAND_TIMEOUT_MS = 500;

/**
 * The Redis connection of a process's rate limits (ioredis, a single server or a cluster: see `createRedis`), made to
 * fail fast: no offline queue (a command while disconnected fails at once instead of waiting for a reconnect), one try
 * per command and a short command timeout (a Redis that hangs). A failed command never refuses a request: the limiter
 * falls back (see `RateLimitStore`). Every counter's key is one hash tag (see `rateLimitKey`), so on a cluster the
 * library's script touches one slot.
 */
export function createLimiterRedis(
  location: string | RedisLocation,
  logger: Logger,
  options: { autoPipelining?: boolean } = {},
): RedisClient {
  const redis = createRedis(location, {
    name: 'ratelimit',
    offlineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeoutMs: LIMITER_COMMAND_TIMEOUT_MS,
    autoPipelining: options.autoPipelining ?? true,
  });
  // Without a listener ioredis would print every failed reconnect as an unhandled error.
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'rate-limit redis connection error'));
  return redis;
}
