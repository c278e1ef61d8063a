import type { Config } from '@chatgraph/config';
import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import { createLogger } from '@chatgraph/logging';
import { createTestDatabases, subgraphRequester, testConfig, type TestDatabases } from '@chatgraph/testing';
import { createUsersServer, type UsersServerOptions } from '../src/server';

/** A users subgraph on a free port over throwaway shard databases, and how to call it like the gateway does. */
export interface StartedUsers {
  config: Config;
  dbs: TestDatabases;
  url: string;
  /** Signed like the gateway: `request(query, variables, viewerId)`. */
  request: ReturnType<typeof subgraphRequester>;
  close(): Promise<void>;
}

/** Starts the users subgraph for a test (2 users shards; 1 chats shard, unused). */
export async function startUsers(
  overrides: Record<string, string> = {},
  extra: Partial<UsersServerOptions> = {},
): Promise<StartedUsers> {
  const config = testConfig({ CHATS_SHARDS: '1', ...overrides });
  const dbs = await createTestDatabases(config);
  const server = createUsersServer({ config, db: dbs.users, logger: createLogger('users', 'silent'), ...extra });
  const url = await server.listen(0);
  return {
    config,
    dbs,
    url,
    request: subgraphRequester(config, url),
    async close() {
      await server.close();
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
  user: { id: string; username: string; displayName: string; createdAt: string };
}
