import fs from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import {
  identitySignerFromConfig,
  tokenServiceFromConfig,
  type IdentitySigner,
  type TokenService,
} from '@chatgraph/auth';
import type { Config } from '@chatgraph/config';
import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import type { Logger } from '@chatgraph/logging';
import { createSubgraphServer, type SubgraphServer } from '@chatgraph/service';
import type { UsersContext } from './context';
import { resolvers } from './resolvers';
import { PasswordHasher } from './security/PasswordHasher';
import { UsersStorage } from './storage/UsersStorage';

/** The users subgraph SDL (read from `src/` so the same path works when running from `dist/`). */
export const typeDefs: DocumentNode = parse(
  fs.readFileSync(path.join(__dirname, '..', 'src', 'schema.graphql'), 'utf8'),
);

/** What the users subgraph is built from. */
export interface UsersServerOptions {
  config: Config;
  /** The users shards; owned by the caller, which closes them after the server. */
  db: ShardedDatabase<UsersClient>;
  logger: Logger;
  /** Issues access tokens. @default tokenServiceFromConfig(config) */
  tokens?: TokenService;
  /** Verifies the gateway's identity header. @default identitySignerFromConfig(config) */
  identity?: IdentitySigner;
  /** Hashes passwords. @default new PasswordHasher({ N: 2 ** config.PASSWORD_HASH_COST }) */
  passwords?: PasswordHasher;
}

/** Builds the users subgraph server (opens no port until `listen`). */
export function createUsersServer(options: UsersServerOptions): SubgraphServer<UsersContext> {
  const { config, db, logger } = options;
  const tokens = options.tokens ?? tokenServiceFromConfig(config);
  const passwords = options.passwords ?? new PasswordHasher({ N: 2 ** config.PASSWORD_HASH_COST });
  return createSubgraphServer<UsersContext>({
    name: 'users',
    typeDefs,
    resolvers,
    identity: options.identity ?? identitySignerFromConfig(config),
    logger,
    introspection: config.INTROSPECTION,
    context: (base) => ({ ...base, users: new UsersStorage(db), passwords, tokens }),
    ready: () => db.ping(),
  });
}
