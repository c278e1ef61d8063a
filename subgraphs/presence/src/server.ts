import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { replicaUrls, type Config } from '@chatgraph/config';
import { identitySignerFromConfig } from '@chatgraph/auth';
import type { Logger } from '@chatgraph/logging';
import type { RedisClient } from '@chatgraph/pubsub';
import { createSubgraphServer, SubgraphClient, type SubgraphServer } from '@chatgraph/service';
import DataLoader from 'dataloader';
import { PresenceAccess, type PresenceVisibility } from './access/PresenceAccess';
import type { PresenceContext } from './resolvers/PresenceContext';
import { resolvers } from './resolvers/resolvers';
import { PresenceStore, type PresenceStoreOptions } from './storage/PresenceStore';

/** Dependencies and knobs of {@link createPresenceServer}. */
export interface PresenceServerOptions {
  config: Config;
  /** The instance's Redis connection (see `createPresenceRedis`). */
  redis: RedisClient;
  logger: Logger;
  /** Store settings beyond the config (key prefix, rate limit, retention); tests isolate themselves with these. */
  store?: Omit<PresenceStoreOptions, 'redis' | 'ttlMs'>;
  /** Who may see whose presence. @default {@link PresenceAccess} asking the chats service at `CHATS_URL` */
  access?: PresenceVisibility;
}

/** The presence subgraph's server (not listening yet) and the store it reads and writes. */
export interface PresenceServer extends SubgraphServer<PresenceContext> {
  store: PresenceStore;
}

/** The SDL, read from `src/` whether this runs from `src/` or `dist/`. */
export function loadPresenceSchema(): string {
  return fs.readFileSync(path.join(__dirname, '..', 'src', 'schema.graphql'), 'utf8');
}

/**
 * Builds the presence subgraph from injected dependencies; opens no port and starts no timer (the sweeper is a
 * separate {@link PresenceSweeper}). `/ready` answers when Redis does.
 */
export function createPresenceServer(options: PresenceServerOptions): PresenceServer {
  const { config, redis, logger } = options;
  const store = new PresenceStore({ ...options.store, redis, ttlMs: config.PRESENCE_TTL_SECONDS * 1000 });
  const identity = identitySignerFromConfig(config);
  const access =
    options.access ??
    new PresenceAccess({
      chats: new SubgraphClient({ name: 'chats', urls: replicaUrls(config.CHATS_URL), identity, timeoutMs: 2000 }),
      cacheMs: config.PRESENCE_ACCESS_CACHE_MS,
      logger,
    });
  const server = createSubgraphServer<PresenceContext>({
    name: 'presence',
    typeDefs: parse(loadPresenceSchema()),
    resolvers,
    identity,
    logger,
    introspection: config.INTROSPECTION,
    context: (base) => ({
      ...base,
      store,
      presence: store.createLoader(),
      visible: new DataLoader<string, boolean>((ids) => {
        const viewerId = base.viewerId;
        return viewerId === null ? Promise.resolve(ids.map(() => false)) : access.visible(viewerId, ids);
      }),
    }),
    ready: () => store.ping(),
  });
  return Object.assign(server, { store });
}

// The package entry: what tools, benchmarks and other packages' tests may use besides the server.
export { PresenceSweeper, type PresenceSweeperOptions } from './PresenceSweeper';
export { createPresenceRedis, type PresenceRedisOptions } from './storage/createPresenceRedis';
export { PresenceStore, PRESENCE_CHANNEL_PREFIX, type PresenceStoreOptions } from './storage/PresenceStore';
export type { Presence, PresenceStatus } from './storage/Presence';
export type { PresenceContext } from './resolvers/PresenceContext';
export { PresenceAccess, type PresenceAccessOptions, type PresenceVisibility } from './access/PresenceAccess';
