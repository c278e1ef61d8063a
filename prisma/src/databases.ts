import type { Config } from '@chatgraph/config';
import { PrismaClient as UsersPrismaClient } from '../generated/users/client';
import { PrismaClient as ChatsPrismaClient } from '../generated/chats/client';
import { PrismaClient as NotificationsPrismaClient } from '../generated/notifications/client';
import { ShardMap } from '@chatgraph/ids';
import { ShardedDatabase, type Disconnectable, type ShardedDatabaseOptions } from './ShardedDatabase';
import { serverUrl, Topology, type ShardedService } from './topology/Topology';
import type { ReplicaOptions } from './replicas/ReplicaReads';

export { UsersPrismaClient, ChatsPrismaClient, NotificationsPrismaClient };
export type UsersClient = InstanceType<typeof UsersPrismaClient>;
export type ChatsClient = InstanceType<typeof ChatsPrismaClient>;
export type NotificationsClient = InstanceType<typeof NotificationsPrismaClient>;

export type { ShardedService };

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

type DbConfig = ShardCounts &
  Pick<Config, 'DATABASE_URL' | 'DB_POOL_SIZE'> &
  Partial<Pick<Config, 'TOPOLOGY_FILE' | 'SHARD_FENCE_WAIT_MS'>>;

/** A service's shards placed as `topology` says (default: the configured one), one Prisma client each. */
function sharded<TClient extends Disconnectable>(
  config: DbConfig,
  service: ShardedService,
  topology: Topology,
  createClient: ShardedDatabaseOptions<TClient>['createClient'],
  replicas: ReplicaOptions | undefined,
): ShardedDatabase<TClient> {
  return new ShardedDatabase({
    map: topology.mapFor(service),
    baseUrl: config.DATABASE_URL,
    placement: (shard) => topology.placementOf(service, shard.index).url,
    poolSize: config.DB_POOL_SIZE,
    fenceWaitMs: config.SHARD_FENCE_WAIT_MS,
    // A shard is read on the replicas the topology names for its server (and those the options add for it).
    replicas: replicas && {
      ...replicas,
      urls: (shard, server) => {
        const fromTopology = Object.values(topology.document.servers)
          .filter((s) => s.url === serverUrl(server))
          .flatMap((s) => s.replicas);
        return [...new Set([...fromTopology, ...replicas.urls(shard, server)])];
      },
    },
    createClient,
  });
}

/** The users service's shards, one Prisma client each. */
export function createUsersDatabase(
  config: DbConfig,
  topology: Topology = Topology.fromConfig(config),
  replicas?: ReplicaOptions,
): ShardedDatabase<UsersClient> {
  return sharded(config, 'users', topology, (adapter) => new UsersPrismaClient({ adapter }), replicas);
}

/** The chats service's shards, one Prisma client each. */
export function createChatsDatabase(
  config: DbConfig,
  topology: Topology = Topology.fromConfig(config),
  replicas?: ReplicaOptions,
): ShardedDatabase<ChatsClient> {
  return sharded(config, 'chats', topology, (adapter) => new ChatsPrismaClient({ adapter }), replicas);
}

/** The notifications service's shards (by recipient), one Prisma client each. */
export function createNotificationsDatabase(
  config: DbConfig,
  topology: Topology = Topology.fromConfig(config),
  replicas?: ReplicaOptions,
): ShardedDatabase<NotificationsClient> {
  return sharded(config, 'notifications', topology, (adapter) => new NotificationsPrismaClient({ adapter }), replicas);
}
