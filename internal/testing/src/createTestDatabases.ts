import { Client } from 'pg';
import type { Config } from '@chatgraph/config';
import {
  createChatsDatabase,
  createNotificationsDatabase,
  createUsersDatabase,
  databaseUrl,
  migrateAll,
  shardMapFor,
  SHARDED_SERVICES,
  type ChatsClient,
  type NotificationsClient,
  type ShardedDatabase,
  type UsersClient,
} from '@chatgraph/db';

/** Migrated shard databases of a test, with clients, and a way to drop them. */
export interface TestDatabases {
  users: ShardedDatabase<UsersClient>;
  chats: ShardedDatabase<ChatsClient>;
  notifications: ShardedDatabase<NotificationsClient>;
  /** Closes the clients and drops every database the test created. */
  drop(): Promise<void>;
}

/** Drops every shard database of `config` (its own prefix), forcing out connections left open. */
export async function dropTestDatabases(config: Config): Promise<void> {
  const admin = new Client({ connectionString: databaseUrl(config.DATABASE_URL, 'postgres') });
  await admin.connect();
  try {
    for (const service of SHARDED_SERVICES) {
      for (const shard of shardMapFor(config, service).shards) {
        await admin.query(`DROP DATABASE IF EXISTS "${shard.database}" WITH (FORCE)`);
      }
    }
    await admin.query(`DROP DATABASE IF EXISTS "${config.DB_NAME_PREFIX}_control" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Creates and migrates the users, chats and notifications shards named by `config` (use {@link testConfig}). */
export async function createTestDatabases(config: Config): Promise<TestDatabases> {
  await migrateAll(config);
  const users = createUsersDatabase(config);
  const chats = createChatsDatabase(config);
  const notifications = createNotificationsDatabase(config);
  return {
    users,
    chats,
    notifications,
    async drop() {
      await users.close();
      await chats.close();
      await notifications.close();
      await dropTestDatabases(config);
    },
  };
}
