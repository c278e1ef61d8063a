import type { Config } from '@chatgraph/config';
import { PrismaClient as UsersPrismaClient } from '../generated/users/client';
import { PrismaClient as ChatsPrismaClient } from '../generated/chats/client';
import { PrismaClient as NotificationsPrismaClient } from '../generated/notifications/client';
import { ShardMap } from '@chatgraph/ids';
import { ShardedDatabase } from './ShardedDatabase';
import type { ReplicaOptions } from './replicas/ReplicaReads';

export { UsersPrismaClient, ChatsPrismaClient, NotificationsPrismaClient };
export type UsersClient = InstanceType<typeof UsersPrismaClient>;
export type ChatsClient = InstanceType<typeof ChatsPrismaClient>;
export type NotificationsClient = InstanceType<typeof NotificationsPrismaClient>;

/** The services that own sharded databases. */
export type ShardedService = 'users' | 'chats' | 'notifications';

/** What {@link shardMapFor} reads: the prefix and the shard count of every sharded service. */
export type ShardCounts = Pick<Config, 'DB_NAME_PREFIX' | 'USERS_SHARDS' | 'CHATS_SHARDS' | 'NOTIFICATIONS_SHARDS'>;

const SHARD_COUNT_KEY = {
  users: 'USERS_SHARDS',
  chats: 'CHATS_SHARDS',
  notifications: 'NOTIFICATIONS_SHARDS',
} as const satisfies Record<ShardedService, keyof ShardCounts>;

/** The shard map of a service as configured (`<SERVICE>_SHARDS` databases, even ranges). */
export function shardMapFor(config: ShardCounts, service: ShardedService): ShardMap {
  return ShardMap.even(config.DB_NAME_PREFIX, service, config[SHARD_COUNT_KEY[service]]);
}

type DbConfig = ShardCounts & Pick<Config, 'DATABASE_URL' | 'DB_POOL_SIZE'>;

/** The users service's shards, one Prisma client each. */
export function createUsersDatabase(config: DbConfig, replicas?: ReplicaOptions): ShardedDatabase<UsersClient> {
  return new ShardedDatabase({
    map: shardMapFor(config, 'users'),
    baseUrl: config.DATABASE_URL,
    poolSize: config.DB_POOL_SIZE,
    replicas,
    createClient: (adapter) => new UsersPrismaClient({ adapter }),
  });
}

/** The chats service's shards, one Prisma client each. */
export function createChatsDatabase(config: DbConfig, replicas?: ReplicaOptions): ShardedDatabase<ChatsClient> {
  return new ShardedDatabase({
    map: shardMapFor(config, 'chats'),
    baseUrl: config.DATABASE_URL,
    poolSize: config.DB_POOL_SIZE,
    replicas,
    createClient: (adapter) => new ChatsPrismaClient({ adapter }),
  });
}

/** The notifications service's shards (by recipient), one Prisma client each. */
export function createNotificationsDatabase(
  config: DbConfig,
  replicas?: ReplicaOptions,
): ShardedDatabase<NotificationsClient> {
  return new ShardedDatabase({
    map: shardMapFor(config, 'notifications'),
    baseUrl: config.DATABASE_URL,
    poolSize: config.DB_POOL_SIZE,
    replicas,
    createClient: (adapter) => new NotificationsPrismaClient({ adapter }),
  });
}
