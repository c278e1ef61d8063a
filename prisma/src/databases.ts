import type { Config } from '@chatgraph/config';
import { PrismaClient as UsersPrismaClient } from '../generated/users/client';
import { PrismaClient as ChatsPrismaClient } from '../generated/chats/client';
import { ShardMap } from '@chatgraph/ids';
import { ShardedDatabase } from './ShardedDatabase';

export { UsersPrismaClient, ChatsPrismaClient };
export type UsersClient = InstanceType<typeof UsersPrismaClient>;
export type ChatsClient = InstanceType<typeof ChatsPrismaClient>;

/** The services that own sharded databases. */
export type ShardedService = 'users' | 'chats';

/** The shard map of a service as configured (`USERS_SHARDS` / `CHATS_SHARDS` databases, even ranges). */
export function shardMapFor(
  config: Pick<Config, 'DB_NAME_PREFIX' | 'USERS_SHARDS' | 'CHATS_SHARDS'>,
  service: ShardedService,
): ShardMap {
  return ShardMap.even(config.DB_NAME_PREFIX, service, service === 'users' ? config.USERS_SHARDS : config.CHATS_SHARDS);
}

type DbConfig = Pick<Config, 'DB_NAME_PREFIX' | 'USERS_SHARDS' | 'CHATS_SHARDS' | 'DATABASE_URL' | 'DB_POOL_SIZE'>;

/** The users service's shards, one Prisma client each. */
export function createUsersDatabase(config: DbConfig): ShardedDatabase<UsersClient> {
  return new ShardedDatabase({
    map: shardMapFor(config, 'users'),
    baseUrl: config.DATABASE_URL,
    poolSize: config.DB_POOL_SIZE,
    createClient: (adapter) => new UsersPrismaClient({ adapter }),
  });
}

/** The chats service's shards, one Prisma client each. */
export function createChatsDatabase(config: DbConfig): ShardedDatabase<ChatsClient> {
  return new ShardedDatabase({
    map: shardMapFor(config, 'chats'),
    baseUrl: config.DATABASE_URL,
    poolSize: config.DB_POOL_SIZE,
    createClient: (adapter) => new ChatsPrismaClient({ adapter }),
  });
}
