export { RedisEventBus } from './RedisEventBus';
export type { RedisEventBusOptions, PublishStats } from './RedisEventBus';
export type { Publication } from './Publication';
export { createFailFastRedis } from './createFailFastRedis';
export type { FailFastRedisOptions } from './createFailFastRedis';
export { entityChangesChannel, parseEntityChange } from './entityChanges';
export type { EntityChange } from './entityChanges';
export { blockChangesChannel, parseBlockChange } from './blockChanges';
export type { BlockChange } from './blockChanges';
export { CachedBlockList } from './CachedBlockList';
export type { BlockList, CachedBlockListOptions } from './CachedBlockList';
export {
  createRedis,
  redisLocation,
  isCluster,
  isClusterLocation,
  clusterSeeds,
  publishOn,
  publishCommand,
  hashSlot,
} from './createRedis';
export type { RedisClient, RedisLocation, CreateRedisOptions } from './createRedis';
export { ChannelSubscriber } from './ChannelSubscriber';
export type { ChannelListener } from './ChannelSubscriber';
export { relayWakeupChannel } from './relayWakeups';
export { Reannouncer } from './Reannouncer';
export type {
  Announcement,
  AnnouncePublish,
  AnnouncePublishMany,
  ReannouncerOptions,
  ReannouncerStats,
} from './Reannouncer';
