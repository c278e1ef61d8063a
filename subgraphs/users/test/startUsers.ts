import type Redis from 'ioredis';
import type { Config } from '@chatgraph/config';
import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import { createLogger } from '@chatgraph/logging';
import { createFailFastRedis } from '@chatgraph/pubsub';
import { createTestDatabases, subgraphRequester, testConfig, type TestDatabases } from '@chatgraph/testing';
import { createUsersServer, type UsersServerOptions } from '../src/server';

/** A users subgraph on a free port over throwaway shard databases, and how to call it like the gateway does. */
export interface StartedUsers {
  config: Config;
  dbs: TestDatabases;
  url: string;
  /** The server's Redis connection (where it writes revocations). */
  redis: Redis;
  /** Signed like the gateway: `request(query, variables, viewerId)`. */
  request: ReturnType<typeof subgraphRequester>;
  close(): Promise<void>;
}

/**
 * Starts the users subgraph for a test (2 users shards; 1 chats shard, unused) on the machine's Redis (revocations
 * are namespaced by the test's own DB_NAME_PREFIX).
 */
export async function startUsers(
  overrides: Record<string, string> = {},
  extra: Partial<UsersServerOptions> = {},
): Promise<StartedUsers> {
  const config = testConfig({ CHATS_SHARDS: '1', ...overrides });
  const dbs = await createTestDatabases(config);
  const logger = createLogger('users', 'silent');
  const redis = createFailFastRedis(config.REDIS_URL, logger, { name: 'users-test' });
  // The connection fails fast rather than queueing: be connected before the first request.
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const server = createUsersServer({ config, db: dbs.users, redis, logger, ...extra });
  const url = await server.listen(0);
  return {
    config,
    dbs,
    url,
    redis,
    request: subgraphRequester(config, url),
    async close() {
      await server.close();
      await redis.quit();
      await dbs.drop();
    },
  };
}

/** Rows in `users` and `username_directory`, summed over every users shard. */
export async function countRows(db: ShardedDatabase<UsersClient>): Promise<{ users: number; directory: number }> {
  let users = 0;
  let directory = 0;
  for (const { client } of db.all()) {
    users += await client.user.count();
    directory += await client.usernameDirectory.count();
  }
  return { users, directory };
}

export const SIGN_UP = /* GraphQL */ `
  mutation SignUp($username: String!, $password: String!, $displayName: String!) {
    signUp(username: $username, password: $password, displayName: $displayName) {
      token
      expiresAt
      refreshToken
      refreshExpiresAt
      user {
        id
        username
        displayName
        createdAt
      }
    }
  }
`;

export const LOG_IN = /* GraphQL */ `
  mutation LogIn($username: String!, $password: String!) {
    logIn(username: $username, password: $password) {
      token
      expiresAt
      refreshToken
      refreshExpiresAt
      user {
        id
        username
        displayName
        createdAt
      }
    }
  }
`;

/** The shape of a signUp/logIn answer. */
export interface AuthData {
  token: string;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  user: { id: string; username: string; displayName: string; createdAt: string };
}
