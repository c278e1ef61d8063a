export { ShardedDatabase, databaseUrl } from './ShardedDatabase';
export { AdapterStatements } from './AdapterStatements';
export type { SqlStatement } from './AdapterStatements';
export type { ShardedDatabaseOptions, Disconnectable, ShardPoolStats } from './ShardedDatabase';
export {
  createUsersDatabase,
  createChatsDatabase,
  createNotificationsDatabase,
  shardMapFor,
  UsersPrismaClient,
  ChatsPrismaClient,
  NotificationsPrismaClient,
} from './databases';
export type { UsersClient, ChatsClient, NotificationsClient, ShardedService, ShardCounts } from './databases';
export {
  runMigrations,
  readMigrations,
  readMigrationSets,
  describe as describeMigration,
  MigrationChecksumError,
} from './migrate/runMigrations';
export type { MigrationFile, ShardMigrationResult, RunMigrationsOptions } from './migrate/runMigrations';
export { migrateAll, SHARDED_SERVICES } from './migrate/migrateAll';
export { migrationsDirFor, migrationsDirsFor, sharedMigrationsDir } from './paths';
export { Prisma as UsersPrisma } from '../generated/users/client';
export { Prisma as ChatsPrisma } from '../generated/chats/client';
export { GuardedPool, ShardUnavailableError } from './GuardedPool';
export type { ShardBreakerOptions } from './GuardedPool';
export { Prisma as NotificationsPrisma } from '../generated/notifications/client';
export { Topology, TopologyError, serverUrl, topologySchema } from './topology/Topology';
export type { TopologyDocument, ShardPlacement, TopologyConfig } from './topology/Topology';
export { TopologyStore, TopologyConflictError } from './topology/TopologyStore';
export { TopologyFollower, announce, topologyChannel, fenceAckChannel } from './topology/TopologyFollower';
export type { TopologyAnnouncement, TopologyFollowerOptions, FenceAck } from './topology/TopologyFollower';
export { followTopology } from './topology/followTopology';
export type { FollowingTopology, FollowTopologyConfig } from './topology/followTopology';
export { ShardMover, MOVE_STEPS } from './topology/ShardMover';
export type { ShardMoveOptions, ShardMoveReport, MoveStep } from './topology/ShardMover';
export { ShardRoute, ShardFencedError } from './topology/ShardRoute';
export { ReplicaReads } from './replicas/ReplicaReads';
export type { ReplicaOptions, ReplicaStats } from './replicas/ReplicaReads';
export { RedisWritePositions, mayWrite } from './replicas/ReadSession';
export type { WritePositions, ReadSessionOptions, SessionScope, RedisLike } from './replicas/ReadSession';
export { replicaOptionsFromConfig, hasReplicas } from './replicas/fromConfig';
export { parseLsn, lsnKey, lsnFromKey } from './replicas/lsn';
export type { Lsn } from './replicas/lsn';
