import fs from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import {
  identitySignerFromConfig,
  RevocationFeed,
  tokenServiceFromConfig,
  type IdentitySigner,
  type TokenService,
} from '@chatgraph/auth';
import type { Config } from '@chatgraph/config';
import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import { parseId } from '@chatgraph/ids';
import type { Logger } from '@chatgraph/logging';
import { isCluster, type RedisClient } from '@chatgraph/pubsub';
import { RateLimits } from '@chatgraph/ratelimit';
import { createSubgraphServer, registerReannounceMetrics, type SubgraphServer } from '@chatgraph/service';
import type { UsersContext } from './context';
import { resolvers } from './resolvers';
import { HashingQueue } from './security/HashingQueue';
import { PasswordHasher } from './security/PasswordHasher';
import { RevocationPublisher } from './sessions/RevocationPublisher';
import { Sessions } from './sessions/Sessions';
import { SessionStore } from './sessions/SessionStore';
import { BlockStore } from './storage/BlockStore';
import { UsersStorage } from './storage/UsersStorage';
import { BlockChanges } from './live/BlockChanges';
import { ProfileChanges } from './live/ProfileChanges';
import { ApiTokens } from './integrations/ApiTokens';
import { ApiTokenStore } from './integrations/ApiTokenStore';

/** The users subgraph SDL (read from `src/` so the same path works when running from `dist/`). */
export const typeDefs: DocumentNode = parse(
  fs.readFileSync(path.join(__dirname, '..', 'src', 'schema.graphql'), 'utf8'),
);

/** What the users subgraph is built from. */
export interface UsersServerOptions {
  config: Config;
  /** The users shards; owned by the caller, which closes them after the server. */
  db: ShardedDatabase<UsersClient>;
  /** Where revocations go for the gateways (see `createFailFastRedis`); owned by the caller like `db`. */
  redis: RedisClient;
  logger: Logger;
  /** Issues access tokens. @default tokenServiceFromConfig(config) */
  tokens?: TokenService;
  /** Verifies the gateway's identity header. @default identitySignerFromConfig(config) */
  identity?: IdentitySigner;
  /** Hashes passwords. @default scrypt with N = 2^PASSWORD_HASH_COST, PASSWORD_HASH_CONCURRENCY at once */
  passwords?: PasswordHasher;
  /** logIn and signUp limits. @default RateLimits.fromConfig(config), closed with the server */
  limits?: RateLimits;
  /** The clock of session expiry (tests move it). @default Date.now */
  now?: () => number;
}

const DAY_MS = 24 * 3600_000;

/** Builds the users subgraph server (opens no port until `listen`). */
export function createUsersServer(options: UsersServerOptions): SubgraphServer<UsersContext> {
  const { config, db, logger } = options;
  const now = options.now ?? Date.now;
  const tokens = options.tokens ?? tokenServiceFromConfig(config);
  const passwords =
    options.passwords ??
    new PasswordHasher(
      { N: 2 ** config.PASSWORD_HASH_COST },
      new HashingQueue({ concurrency: config.PASSWORD_HASH_CONCURRENCY, queue: config.PASSWORD_HASH_QUEUE }),
    );
  const limits = options.limits ?? RateLimits.fromConfig(config, logger);
  const store = new SessionStore(
    db,
    {
      ttlMs: config.REFRESH_TTL_DAYS * DAY_MS,
      idleMs: config.REFRESH_IDLE_DAYS * DAY_MS,
      reuseGraceMs: config.REFRESH_REUSE_GRACE_SECONDS * 1000,
    },
    now,
  );
  // Namespaced like the databases: session and token ids are unique only within one set of them.
  const revocations = new RevocationPublisher(
    options.redis,
    RevocationFeed.keys(config.DB_NAME_PREFIX, isCluster(options.redis)),
    now,
  );
  const sessions = new Sessions({
    store,
    tokens,
    revocations,
    accessTtlMs: config.JWT_TTL_SECONDS * 1000,
    tokenCacheMs: config.API_TOKEN_CACHE_MS,
    logger,
    now,
  });
  const apiTokens = new ApiTokens({
    store: new ApiTokenStore(db, now),
    revocations,
    cacheMs: config.API_TOKEN_CACHE_MS,
    now,
  });
  const blocks = new BlockStore(db);
  const profileChanges = new ProfileChanges(options.redis, config.DB_NAME_PREFIX, logger);
  const blockChanges = new BlockChanges(profileChanges.reannouncer, config.DB_NAME_PREFIX);
  const identity = options.identity ?? identitySignerFromConfig(config);
  const server = createSubgraphServer<UsersContext>({
    name: 'users',
    typeDefs,
    resolvers,
    identity,
    logger,
    introspection: config.INTROSPECTION,
    beforeResponse: () => db.recordWrites(),
    context: (base) => ({
      ...base,
      users: new UsersStorage(db),
      passwords,
      limits,
      sessions,
      apiTokens,
      blocks,
      profileChanges,
      blockChanges,
      now,
      sessionId: parseId(base.identity.sessionId),
    }),
    // Rate limits never make the service unready: without Redis they fall back to per-process counters.
    ready: () => db.ping(),
  });
  registerReannounceMetrics(server.metrics, profileChanges.reannouncer);
  return {
    ...server,
    async listen(port, host) {
      // The first logIn is already counted in Redis (a few ms at start; without Redis, per-process counters).
      await limits.store.connected();
      return server.listen(port, host);
    },
    async close() {
      await server.close();
      await profileChanges.close();
      if (!options.limits) await limits.close();
    },
  };
}
