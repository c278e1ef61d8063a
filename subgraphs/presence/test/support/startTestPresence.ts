import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Config } from '@chatgraph/config';
import { createLogger, type Logger } from '@chatgraph/logging';
import { subgraphRequester, testConfig } from '@chatgraph/testing';
import { createPresenceServer, type PresenceServer, type PresenceVisibility } from '../../src/server';
import { createPresenceRedis } from '../../src/storage/createPresenceRedis';
import type { PresenceStoreOptions } from '../../src/storage/PresenceStore';

/** A presence server of a test, listening on a free port, with keys under a prefix of its own. */
export interface TestPresence {
  config: Config;
  logger: Logger;
  redis: Redis;
  server: PresenceServer;
  url: string;
  keyPrefix: string;
  /** Sends an operation as `viewerId` (null: anonymous), signed like the gateway does. */
  request: ReturnType<typeof subgraphRequester>;
  /** Closes the server, deletes the test's keys (when Redis is up) and disconnects. */
  close(): Promise<void>;
}

/** Options of {@link startTestPresence}. */
export interface TestPresenceOptions {
  /** Redis to use (a `RedisServer` of the test's own); the machine's shared one by default. */
  redisUrl?: string;
  /** Extra environment, e.g. `{ PRESENCE_TTL_SECONDS: '1' }`. */
  env?: Record<string, string>;
  store?: Omit<PresenceStoreOptions, 'redis' | 'ttlMs' | 'keyPrefix'>;
  /**
   * Who may see whose presence. @default everyone sees everyone: these tests are about presence state in Redis, and
   * the real answer comes from the chats service, which test/e2e/presenceAccess.test.ts runs for real.
   */
  access?: PresenceVisibility;
}

const EVERYONE_VISIBLE: PresenceVisibility = { visible: async (_viewerId, userIds) => userIds.map(() => true) };

/** Resolves once `redis` is connected and ready (it does not queue commands before that). */
export async function redisReady(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') await once(redis, 'ready');
}

/** Deletes every key under `prefix` (never anything else: the shared Redis holds other tests' data). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Starts a presence server for a test. */
export async function startTestPresence(options: TestPresenceOptions = {}): Promise<TestPresence> {
  const config = testConfig({ ...options.env, ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}) });
  const logger = createLogger('presence-test', config.LOG_LEVEL);
  const redis = createPresenceRedis(config.REDIS_URL, logger);
  await redisReady(redis);
  const keyPrefix = `test:${randomBytes(6).toString('hex')}:presence:`;
  const server = createPresenceServer({
    config,
    redis,
    logger,
    store: { ...options.store, keyPrefix },
    access: options.access ?? EVERYONE_VISIBLE,
  });
  const url = await server.listen(0);
  return {
    config,
    logger,
    redis,
    server,
    url,
    keyPrefix,
    request: subgraphRequester(config, url),
    async close() {
      await server.close();
      if (redis.status === 'ready') await deleteKeys(redis, keyPrefix).catch(() => undefined);
      redis.disconnect();
    },
  };
}
