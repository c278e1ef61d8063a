import { adminPortFor, type Config } from '@chatgraph/config';
import type { Logger } from '@chatgraph/logging';
import { redisLocation } from '@chatgraph/pubsub';
import type { RunningService } from '@chatgraph/service';
import { PresenceSweeper } from './PresenceSweeper';
import { createPresenceServer } from './server';
import { createPresenceRedis } from './storage/createPresenceRedis';

/** A running presence instance. */
export interface StartedPresence extends RunningService {
  /** The GraphQL URL it listens on. */
  url: string;
}

/**
 * Starts one presence instance as `index.ts` does: Redis connection, server on `config.PRESENCE_PORT`, sweeper.
 * It starts even when Redis is down (requests then answer `SERVICE_UNAVAILABLE` and `/ready` 503 until it is back).
 * `close()` stops the sweeper, drains the server and closes Redis, in that order.
 */
export async function startPresence(config: Config, logger: Logger): Promise<StartedPresence> {
  if (config.PRESENCE_TTL_SECONDS <= config.PRESENCE_HEARTBEAT_SECONDS) {
    // Clients heartbeat every PRESENCE_HEARTBEAT_SECONDS: with a TTL not longer than that, users flap to OFFLINE.
    logger.warn(
      { ttlSeconds: config.PRESENCE_TTL_SECONDS, heartbeatSeconds: config.PRESENCE_HEARTBEAT_SECONDS },
      'PRESENCE_TTL_SECONDS should be well above PRESENCE_HEARTBEAT_SECONDS (default 60 and 30)',
    );
  }
  const redis = createPresenceRedis(redisLocation(config), logger);
  const server = createPresenceServer({ config, redis, logger });
  const sweeper = new PresenceSweeper({ store: server.store, intervalMs: config.PRESENCE_SWEEP_INTERVAL_MS, logger });
  let url: string;
  try {
    url = await server.listen(config.PRESENCE_PORT, config.HOST);
    await server.admin.listen(adminPortFor(config, config.PRESENCE_PORT), config.ADMIN_HOST);
  } catch (err) {
    await server.close();
    redis.disconnect();
    throw err;
  }
  sweeper.start();
  return {
    url,
    async close() {
      await sweeper.stop();
      await server.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
